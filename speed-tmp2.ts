const M0 = 0xd2511f53, M1 = 0xcd9e8d57, M0L = M0 & 0xffff, M0H = M0 >>> 16, M1L = M1 & 0xffff, M1H = M1 >>> 16;
function philoxB(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array) {
  for (let round = 0; round < 10; round++) {
    const a0l = c0 & 0xffff, a0h = c0 >>> 16, a2l = c2 & 0xffff, a2h = c2 >>> 16;
    const ll0 = M0L * a0l, lh0 = M0L * a0h, hl0 = M0H * a0l;
    const hi0 = (M0H * a0h + (lh0 >>> 16) + (hl0 >>> 16) + (((ll0 >>> 16) + (lh0 & 0xffff) + (hl0 & 0xffff)) >>> 16)) >>> 0;
    const ll1 = M1L * a2l, lh1 = M1L * a2h, hl1 = M1H * a2l;
    const hi1 = (M1H * a2h + (lh1 >>> 16) + (hl1 >>> 16) + (((ll1 >>> 16) + (lh1 & 0xffff) + (hl1 & 0xffff)) >>> 16)) >>> 0;
    const lo0 = Math.imul(M0, c0) >>> 0, lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0; c1 = lo1; c2 = (hi0 ^ c3 ^ k1) >>> 0; c3 = lo0;
    k0 = (k0 + 0x9e3779b9) >>> 0; k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}
import { philox4x32 } from './domain/simulations/philox';
const out = new Uint32Array(4), out2 = new Uint32Array(4);
for (let i = 0; i < 100000; i++) { philox4x32(i, i * 7, i ^ 5, 99, i * 3, 11, out); philoxB(i, i * 7, i ^ 5, 99, i * 3, 11, out2); if (out.join() !== out2.join()) { console.log('mismatch', i); break; } }
for (let r = 0; r < 3; r++) {
  let t = performance.now(); let x = 0;
  for (let i = 0; i < 2_000_000; i++) { philoxB(i, 7, 0, 0, 1, 2, out); x ^= out[0]!; }
  console.log('B ns', ((performance.now() - t) / 2e6 * 1e6).toFixed(1));
  t = performance.now();
  for (let i = 0; i < 2_000_000; i++) { philox4x32(i, 7, 0, 0, 1, 2, out); x ^= out[0]!; }
  console.log('A ns', ((performance.now() - t) / 2e6 * 1e6).toFixed(1), x);
}
