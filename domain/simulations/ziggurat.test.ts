// The Ziggurat sampler: its layers have equal areas (the construction's defining property, checked by
// integration written here), chosen words map to exactly the values the method prescribes, and a million
// draws match the standard normal's moments and bin probabilities within 4 standard errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PathStream, type WordSource } from './stream';
import { nextNormal, ZIGGURAT_AREA, ZIGGURAT_LAYERS, ZIGGURAT_R, ZIGGURAT_TABLES } from './ziggurat';

const { kn, wn, fn } = ZIGGURAT_TABLES;
const density = (x: number) => Math.exp(-0.5 * x * x);
const SCALE = 2 ** 24;

// Simpson's rule; the integrands here are smooth, so 20,000 intervals give ~1e-15 relative error.
function integrate(f: (x: number) => number, a: number, b: number, intervals = 20_000): number {
  const h = (b - a) / intervals;
  let sum = f(a) + f(b);
  for (let i = 1; i < intervals; i++) sum += f(a + i * h) * (i % 2 === 0 ? 2 : 4);
  return (sum * h) / 3;
}

// Φ by integrating the density from 0 (reference for the bin probabilities).
const normalCdf = (x: number) => 0.5 + Math.sign(x) * integrate((t) => density(t) / Math.sqrt(2 * Math.PI), 0, Math.abs(x), 2_000);

class Words implements WordSource {
  private index = 0;
  constructor(private readonly words: number[]) {}
  nextUint32() {
    return this.words[this.index++]! >>> 0;
  }
  nextUniform() {
    return (this.nextUint32() + 0.5) / 2 ** 32;
  }
}

test('every layer of the ziggurat has the same area, the base layer including the tail', () => {
  const edge = (i: number) => wn[i]! * SCALE;
  const base = ZIGGURAT_R * density(ZIGGURAT_R) + integrate(density, ZIGGURAT_R, ZIGGURAT_R + 15);
  assert.ok(Math.abs(base - ZIGGURAT_AREA) < 1e-9 * ZIGGURAT_AREA, `base ${base}`);
  for (let i = 2; i < ZIGGURAT_LAYERS; i++) {
    const area = edge(i) * (fn[i - 1]! - fn[i]!);
    assert.ok(Math.abs(area - ZIGGURAT_AREA) < 1e-9, `layer ${i}: ${area}`);
  }
  // The top layer ends at the peak: its area closes the recursion only if R was chosen right.
  const top = edge(1) * (1 - fn[1]!);
  assert.ok(Math.abs(top - ZIGGURAT_AREA) < 1e-6, `top layer ${top}`);
  assert.equal(kn[1], 0);
});

test('a word inside a layer’s inner rectangle maps to position × width exactly, using one word', () => {
  // Layer 5, position +1000: inside the rectangle (kn[5] is about 0.98 × 2^24).
  const word = (1000 << 7) | 5;
  const source = new Words([word, 0xdeadbeef]);
  assert.equal(nextNormal(source), 1000 * wn[5]!);
  assert.equal(source.nextUint32(), 0xdeadbeef, 'the fast path consumed exactly one word');
  // Negative positions come from the sign bit: position -3 in layer 77.
  const negative = ((-3 << 7) | 77) >>> 0;
  assert.equal(nextNormal(new Words([negative])), -3 * wn[77]!);
});

test('the base layer beyond R samples the tail, and the top layer always goes through the wedge test', () => {
  // Layer 0 with a position beyond kn[0]: the tail sampler draws two uniforms (chosen to accept at once).
  const position = Math.ceil(kn[0]!) + 10;
  const tailWord = ((position << 7) | 0) >>> 0;
  const u1 = 0x40000000; // x = -ln(u1)/R
  const u2 = 0x10000000; // y = -ln(u2), large enough that y + y ≥ x²
  const x = -Math.log((u1 + 0.5) / 2 ** 32) / ZIGGURAT_R;
  const value = nextNormal(new Words([tailWord, u1, u2]));
  assert.equal(value, ZIGGURAT_R + x);
  // Layer 1 (kn[1] = 0): with a tiny wedge uniform the point is under the curve and accepted as hz·w.
  const topWord = ((100 << 7) | 1) >>> 0;
  assert.equal(nextNormal(new Words([topWord, 0])), 100 * wn[1]!);
});

test('a million variates match N(0,1): mean, variance, kurtosis and 40 bins within 4 standard errors', () => {
  const n = 1_000_000;
  const stream = new PathStream(20_261_130);
  const edges = Array.from({ length: 39 }, (_, i) => -3.8 + (i * 7.6) / 38);
  const counts = new Float64Array(edges.length + 1);
  let sum = 0;
  let sum2 = 0;
  let sum4 = 0;
  for (let path = 0; path < n / 100; path++) {
    stream.startPath(path);
    for (let k = 0; k < 100; k++) {
      const z = nextNormal(stream);
      sum += z;
      sum2 += z * z;
      sum4 += z * z * z * z;
      let bin = 0;
      while (bin < edges.length && z >= edges[bin]!) bin++;
      counts[bin]!++;
    }
  }
  assert.ok(Math.abs(sum / n) < 4 / Math.sqrt(n), `mean ${sum / n}`);
  assert.ok(Math.abs(sum2 / n - 1) < 4 * Math.sqrt(2 / n), `variance ${sum2 / n}`);
  assert.ok(Math.abs(sum4 / n - 3) < 4 * Math.sqrt(96 / n), `fourth moment ${sum4 / n}`);
  let previous = 0;
  for (let bin = 0; bin <= edges.length; bin++) {
    const cdf = bin < edges.length ? normalCdf(edges[bin]!) : 1;
    const p = cdf - previous;
    previous = cdf;
    const se = Math.sqrt(n * p * (1 - p));
    assert.ok(Math.abs(counts[bin]! - n * p) < 4 * se + 1, `bin ${bin}: ${counts[bin]} vs ${n * p}`);
  }
});

test('a path draws the same numbers however the paths around it are visited', () => {
  const a = new PathStream(7);
  const b = new PathStream(7);
  a.startPath(12_345);
  const first = Array.from({ length: 50 }, () => nextNormal(a));
  for (let path = 12_345 + 10; path > 12_345; path--) {
    b.startPath(path);
    nextNormal(b);
  }
  b.startPath(12_345);
  assert.deepEqual(
    Array.from({ length: 50 }, () => nextNormal(b)),
    first,
  );
  assert.throws(() => new PathStream(-1), /seed/);
});
