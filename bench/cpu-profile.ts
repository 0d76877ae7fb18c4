// Sums a V8 CPU profile (.cpuprofile, one per thread, as `node --cpu-prof` writes them) by self time:
// per package, per file or per function, optionally within a window of the profile's clock, which the
// pools benchmark prints for each measured phase when it runs under --cpu-prof (bench/README.md).
// Run: npx tsx bench/cpu-profile.ts PROFILE.cpuprofile [--by package|file|function] [--window FROM-TO] [--top N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Rows printed unless --top says otherwise. */
const TOP_DEFAULT = 30;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { by: { type: 'string', default: 'package' }, window: { type: 'string' }, top: { type: 'string' } },
});
const [file] = positionals;
const by = values.by;
if (!file || !['package', 'file', 'function'].includes(by)) {
  console.error('usage: npx tsx bench/cpu-profile.ts PROFILE.cpuprofile [--by package|file|function] [--window FROM-TO] [--top N]');
  process.exit(64);
}
const [fromUs = -Infinity, toUs = Infinity] = values.window ? values.window.split('-').map(Number) : [];
const top = Number(values.top ?? TOP_DEFAULT);

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const root = process.cwd();

/** What a sample is counted under: V8's own entries ((idle), (garbage collector), (program)) by name. */
function keyOf({ callFrame: { functionName, url, lineNumber } }: ProfileNode): string {
  if (!url) return functionName || '(native)';
  const path = url.replace(/^file:\/\//, '').replace(`${root}/`, '');
  const inPackage = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(path);
  if (by === 'package') return inPackage ? inPackage[1]! : path.startsWith('node:') ? path : path.split('/')[0]!;
  if (by === 'file') return inPackage ? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length) : path;
  return `${functionName || '(anonymous)'} ${path.replace(/.*node_modules\//, '')}:${lineNumber + 1}`;
}

const selfUs = new Map<string, number>();
let sampledUs = 0;
let atUs = profile.startTime;
profile.samples.forEach((id, i) => {
  const deltaUs = profile.timeDeltas[i] ?? 0;
  atUs += deltaUs;
  if (atUs < fromUs || atUs > toUs) return;
  const key = keyOf(nodes.get(id)!);
  selfUs.set(key, (selfUs.get(key) ?? 0) + deltaUs);
  sampledUs += deltaUs;
});

const busyUs = sampledUs - (selfUs.get('(idle)') ?? 0);
console.log(
  `${file}: ${(sampledUs / 1_000).toFixed(0)} ms sampled, ${(busyUs / 1_000).toFixed(0)} ms not idle (wall-clock samples: on a loaded machine they include time spent waiting for a core)`,
);
for (const [key, us] of [...selfUs]
  .filter(([key]) => key !== '(idle)')
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)) {
  console.log(`${(us / 1_000).toFixed(0).padStart(8)} ms ${((us / busyUs) * 100).toFixed(1).padStart(5)} %  ${key}`);
}
