// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a counter-based
// generator. Its output is a pure function of (key, counter), so path i can draw its k-th block directly,
// whatever chunk or thread computes it.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const M0_LO = M0 & 0xffff;
const M0_HI = M0 >>> 16;
const M1_LO = M1 & 0xffff;
const M1_HI = M1 >>> 16;
const W0 = 0x9e3779b9 | 0;
const W1 = 0xbb67ae85 | 0;
export const PHILOX_ROUNDS = 10;

/**
 * Writes Philox4x32-10(counter = c0..c3, key = k0,k1) into out[offset..offset+3]. Inputs are 32-bit
 * words. No allocation: callers keep one output array per stream.
 *
 * Every value stays a 32-bit integer so V8 never boxes a double: the high word of each 32×32-bit
 * product is assembled from 16-bit partial products (Math.imul gives each exactly, modulo 2^32).
 */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array, offset = 0): void {
  c0 |= 0;
  c1 |= 0;
  c2 |= 0;
  c3 |= 0;
  k0 |= 0;
  k1 |= 0;
  for (let round = 0; round < PHILOX_ROUNDS; round++) {
    const a0 = c0 & 0xffff;
    const b0 = c0 >>> 16;
    const a2 = c2 & 0xffff;
    const b2 = c2 >>> 16;
    const ll0 = Math.imul(M0_LO, a0);
    const lh0 = Math.imul(M0_LO, b0);
    const hl0 = Math.imul(M0_HI, a0);
    const hi0 = (Math.imul(M0_HI, b0) + (lh0 >>> 16) + (hl0 >>> 16) + (((ll0 >>> 16) + (lh0 & 0xffff) + (hl0 & 0xffff)) >>> 16)) | 0;
    const ll1 = Math.imul(M1_LO, a2);
    const lh1 = Math.imul(M1_LO, b2);
    const hl1 = Math.imul(M1_HI, a2);
    const hi1 = (Math.imul(M1_HI, b2) + (lh1 >>> 16) + (hl1 >>> 16) + (((ll1 >>> 16) + (lh1 & 0xffff) + (hl1 & 0xffff)) >>> 16)) | 0;
    const lo0 = Math.imul(M0, c0);
    const lo1 = Math.imul(M1, c2);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 = (k0 + W0) | 0;
    k1 = (k1 + W1) | 0;
  }
  out[offset] = c0;
  out[offset + 1] = c1;
  out[offset + 2] = c2;
  out[offset + 3] = c3;
}
