// Standard normal variates by the Ziggurat method (Marsaglia & Tsang 2000, 128 layers). Following
// Doornik's remark on that paper, the layer index and the position within it come from different bits
// of the word (low 7 bits: layer; high 25 bits: signed position), so they are independent.
import type { WordSource } from './stream';

export const ZIGGURAT_LAYERS = 128;
/** Right edge of the base layer's rectangle, and the area of every layer (Marsaglia & Tsang). */
export const ZIGGURAT_R = 3.442619855899;
export const ZIGGURAT_AREA = 9.91256303526217e-3;
/** The signed position has 25 bits: |hz| < 2^24. */
const POSITION_SCALE = 16_777_216;

/** kn: |hz| below which the point lies inside the layer's inner rectangle; wn: hz → x; fn: f(x_i). */
export const ZIGGURAT_TABLES = buildTables();

function buildTables() {
  const kn = new Float64Array(ZIGGURAT_LAYERS);
  const wn = new Float64Array(ZIGGURAT_LAYERS);
  const fn = new Float64Array(ZIGGURAT_LAYERS);
  let dn = ZIGGURAT_R;
  let tn = dn;
  const q = ZIGGURAT_AREA / Math.exp(-0.5 * dn * dn);
  kn[0] = (dn / q) * POSITION_SCALE;
  kn[1] = 0;
  wn[0] = q / POSITION_SCALE;
  wn[ZIGGURAT_LAYERS - 1] = dn / POSITION_SCALE;
  fn[0] = 1;
  fn[ZIGGURAT_LAYERS - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = ZIGGURAT_LAYERS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIGGURAT_AREA / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = (dn / tn) * POSITION_SCALE;
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / POSITION_SCALE;
  }
  return { kn, wn, fn };
}

const { kn, wn, fn } = ZIGGURAT_TABLES;

/** One N(0, 1) variate. About 98.8 % of calls take the first branch: one word, one multiply. */
export function nextNormal(source: WordSource): number {
  for (;;) {
    const word = source.nextUint32() | 0;
    const hz = word >> 7;
    const iz = word & 127;
    if (Math.abs(hz) < kn[iz]!) return hz * wn[iz]!;
    // The unary plus tells V8 the tail's (uninlined) result is a number, so every return stays an unboxed
    // double: without it the common return above was boxed into a heap number on every draw.
    if (iz === 0) return +tail(source, hz);
    const x = hz * wn[iz]!;
    if (fn[iz]! + source.nextUniform() * (fn[iz - 1]! - fn[iz]!) < Math.exp(-0.5 * x * x)) return x;
  }
}

// Beyond R: Marsaglia's exponential rejection for the normal tail.
function tail(source: WordSource, hz: number): number {
  let x: number;
  let y: number;
  do {
    x = -Math.log(source.nextUniform()) / ZIGGURAT_R;
    y = -Math.log(source.nextUniform());
  } while (y + y < x * x);
  return hz > 0 ? ZIGGURAT_R + x : -ZIGGURAT_R - x;
}
