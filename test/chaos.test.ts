// The chaos suite's CI profile (test/chaos/run.ts): a worker and an API killed, PostgreSQL cut off,
// Stripe failing after the effect, webhooks duplicated, conflicting commands — and afterwards no charge
// or transfer made twice or missing, no acknowledged write lost, no pool stuck. The full profile is
// `npm run chaos`; the seed comes from CHAOS_SEED (a fixed one by default, so CI is reproducible).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passed, PROFILES, resultTable, runChaos } from './chaos/run';

const SEED = Number(process.env.CHAOS_SEED ?? 20261130);

test('the CI chaos profile keeps every money and liveness invariant', { timeout: 600_000 }, async () => {
  const results = await runChaos({ profile: PROFILES.ci, seed: SEED });
  const problems = results.flatMap((r) => r.problems.map((p) => `${r.fault}: ${p}`));
  assert.ok(passed(results), `seed ${SEED}\n${resultTable(results)}\n${problems.join('\n')}`);
});
