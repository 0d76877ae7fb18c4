// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a counter-based
// generator. Its output is a pure function of (key, counter), so path i can draw its k-th block directly,
// whatever chunk or thread computes it.

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;
const TWO_16 = 65_536;
export const PHILOX_ROUNDS = 10;

/**
 * The high 32 bits of the 64-bit product of two uint32 values. JavaScript numbers hold 53 bits exactly,
 * so the product is formed from two 48-bit partial products.
 */
export function mulHi32(a: number, b: number): number {
  const low = a * (b & 0xffff);
  const mid = a * (b >>> 16) + Math.floor(low / TWO_16);
  return Math.floor(mid / TWO_16) >>> 0;
}

/**
 * Writes Philox4x32-10(counter = c0..c3, key = k0,k1) into out[offset..offset+3]. All inputs are uint32.
 * No allocation: callers keep one output array per stream.
 */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array, offset = 0): void {
  for (let round = 0; round < PHILOX_ROUNDS; round++) {
    const hi0 = mulHi32(PHILOX_M0, c0);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulHi32(PHILOX_M1, c2);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  out[offset] = c0;
  out[offset + 1] = c1;
  out[offset + 2] = c2;
  out[offset + 3] = c3;
}
