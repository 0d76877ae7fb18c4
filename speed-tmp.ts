import { philox4x32 } from './domain/simulations/philox';
import { PathStream } from './domain/simulations/stream';
import { nextNormal } from './domain/simulations/ziggurat';
const out = new Uint32Array(4);
for (let r = 0; r < 3; r++) {
  let t = performance.now(); let x = 0;
  for (let i = 0; i < 2_000_000; i++) { philox4x32(i, 7, 0, 0, 1, 2, out); x ^= out[0]!; }
  const philoxNs = (performance.now() - t) / 2_000_000 * 1e6;
  const s = new PathStream(5); s.startPath(3); t = performance.now(); let y = 0;
  for (let i = 0; i < 8_000_000; i++) y += nextNormal(s);
  const normNs = (performance.now() - t) / 8_000_000 * 1e6;
  t = performance.now(); let z = 0;
  for (let i = 0; i < 8_000_000; i++) z += Math.exp(i * 1e-9) + Math.log(1 + i) * Math.log(2 + i);
  const expNs = (performance.now() - t) / 8_000_000 * 1e6;
  console.log('philox block ns', philoxNs.toFixed(1), 'normal ns', normNs.toFixed(1), 'exp+2log ns', expNs.toFixed(1), x, y > 0, z > 0);
}
