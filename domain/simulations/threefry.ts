// Threefry4x32-20 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a counter-based
// generator built from Threefish's add-rotate-xor rounds. Its output is a pure function of (key, counter),
// so path i can draw its k-th block directly, whatever chunk or thread computes it; and it needs only
// 32-bit adds, rotations and xors, which JavaScript runs about as fast as C (Philox needs a 32×32→64 multiply).

/** Skein's key-schedule parity constant: the fifth schedule word is this xor the four key words. */
export const THREEFRY_PARITY = 0x1bd11bda;

/** The five key-schedule words for key k0..k3, written into ks[0..4] (once per key, not per block). */
export function threefryKeySchedule(k0: number, k1: number, k2: number, k3: number, ks: Int32Array | Uint32Array): void {
  ks[0] = k0;
  ks[1] = k1;
  ks[2] = k2;
  ks[3] = k3;
  ks[4] = THREEFRY_PARITY ^ k0 ^ k1 ^ k2 ^ k3;
}

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));

/** Threefry4x32-20's twenty rounds are five groups of four, each followed by a key injection. */
const KEY_INJECTIONS = 5;

/**
 * Writes Threefry4x32-20(counter c0..c3) under the key schedule ks into out[offset..offset+3]. No
 * allocation; every value stays a 32-bit integer.
 *
 * Twenty rounds in five groups of four, each group followed by a key injection: the schedule shifted one
 * word along each time, with the injection's number added to the last word. Each round adds, rotates and
 * xors two pairs of words, alternately (0,1)(2,3) and (0,3)(2,1). The rotations (Random123's R_32x4
 * constants) cycle every eight rounds, so the groups alternate between the cycle's two halves, each written
 * once with constant rotations: V8 compiles a rotation by a constant to a single rotate, while rotations
 * read from a table made the whole engine about 18 % slower (bench/simulations).
 */
export function threefry4x32(c0: number, c1: number, c2: number, c3: number, ks: Int32Array | Uint32Array, out: Int32Array | Uint32Array, offset = 0): void {
  let k0 = ks[0]! | 0;
  let k1 = ks[1]! | 0;
  let k2 = ks[2]! | 0;
  let k3 = ks[3]! | 0;
  let k4 = ks[4]! | 0;
  let x0 = (c0 + k0) | 0;
  let x1 = (c1 + k1) | 0;
  let x2 = (c2 + k2) | 0;
  let x3 = (c3 + k3) | 0;
  for (let injection = 1; injection <= KEY_INJECTIONS; injection++) {
    if (injection % 2 === 1) {
      x0 = (x0 + x1) | 0;
      x1 = rotl(x1, 10) ^ x0;
      x2 = (x2 + x3) | 0;
      x3 = rotl(x3, 26) ^ x2;
      x0 = (x0 + x3) | 0;
      x3 = rotl(x3, 11) ^ x0;
      x2 = (x2 + x1) | 0;
      x1 = rotl(x1, 21) ^ x2;
      x0 = (x0 + x1) | 0;
      x1 = rotl(x1, 13) ^ x0;
      x2 = (x2 + x3) | 0;
      x3 = rotl(x3, 27) ^ x2;
      x0 = (x0 + x3) | 0;
      x3 = rotl(x3, 23) ^ x0;
      x2 = (x2 + x1) | 0;
      x1 = rotl(x1, 5) ^ x2;
    } else {
      x0 = (x0 + x1) | 0;
      x1 = rotl(x1, 6) ^ x0;
      x2 = (x2 + x3) | 0;
      x3 = rotl(x3, 20) ^ x2;
      x0 = (x0 + x3) | 0;
      x3 = rotl(x3, 17) ^ x0;
      x2 = (x2 + x1) | 0;
      x1 = rotl(x1, 11) ^ x2;
      x0 = (x0 + x1) | 0;
      x1 = rotl(x1, 25) ^ x0;
      x2 = (x2 + x3) | 0;
      x3 = rotl(x3, 10) ^ x2;
      x0 = (x0 + x3) | 0;
      x3 = rotl(x3, 18) ^ x0;
      x2 = (x2 + x1) | 0;
      x1 = rotl(x1, 20) ^ x2;
    }
    const shifted = k0;
    k0 = k1;
    k1 = k2;
    k2 = k3;
    k3 = k4;
    k4 = shifted;
    x0 = (x0 + k0) | 0;
    x1 = (x1 + k1) | 0;
    x2 = (x2 + k2) | 0;
    x3 = (x3 + k3 + injection) | 0;
  }
  out[offset] = x0;
  out[offset + 1] = x1;
  out[offset + 2] = x2;
  out[offset + 3] = x3;
}
