// `npm run chaos -- [--profile full|ci] [--seed N]`: runs the chaos suite (test/chaos/run.ts) against a
// private stack and prints, per fault, runs, duplicates, missing, stuck and recovery time. Exits 0 when
// every invariant held, 1 otherwise (with each problem listed), 64 on bad usage. The seed replays a run.
import { parseArgs } from 'node:util';
import { passed, PROFILES, resultTable, runChaos } from '../test/chaos/run';

const USAGE = 'usage: npm run chaos -- [--profile full|ci] [--seed N]';
let values: { profile?: string; seed?: string };
try {
  values = parseArgs({ options: { profile: { type: 'string', default: 'full' }, seed: { type: 'string' } }, strict: true }).values;
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(64);
}
const profile = PROFILES[values.profile as 'ci' | 'full'];
const seed = values.seed === undefined ? Math.floor(Math.random() * 1_000_000) : Number(values.seed);
if (!profile || !Number.isInteger(seed)) {
  console.error(USAGE);
  process.exit(64);
}

const startedAt = Date.now();
console.log(`chaos: profile ${profile.name}, seed ${seed}`);
const results = await runChaos({ profile, seed, log: (line) => console.log(line) });
console.log(`\n${resultTable(results)}\n`);
for (const result of results) for (const problem of result.problems) console.log(`problem (${result.fault}): ${problem}`);
// One line with every figure, for adding several runs up.
console.log(`chaos: results ${JSON.stringify({ seed, profile: profile.name, results })}`);
const ok = passed(results);
console.log(`chaos: ${ok ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - startedAt) / 1_000)} s (profile ${profile.name}, seed ${seed})`);
process.exit(ok ? 0 : 1);
