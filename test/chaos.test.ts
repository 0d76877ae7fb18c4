// The chaos suite's CI profile (test/chaos/run.ts): a worker and an API killed, PostgreSQL cut off,
// Stripe failing after the effect, webhooks duplicated, conflicting commands — and afterwards no charge
// or transfer made twice or missing, no acknowledged write lost, no pool stuck or waiting for
// operations, reconciliation clean. The full profile is `npm run chaos`; the seed comes from CHAOS_SEED
// (a fixed one by default, so CI is reproducible). A run past its budget is abandoned and its processes
// killed, so a hang fails this test instead of holding up the test runner.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passed, PROFILES, resultTable, runChaos } from './chaos/run';

const SEED = Number(process.env.CHAOS_SEED ?? 20261130);
/** The CI profile takes one to three minutes; past this it is abandoned and fails. */
const BUDGET_MS = 420_000;

test('the CI chaos profile keeps every money and liveness invariant', { timeout: BUDGET_MS + 60_000 }, async (t) => {
  const results = await runChaos({ profile: PROFILES.ci, seed: SEED, budgetMs: BUDGET_MS, signal: t.signal, log: (line) => t.diagnostic(line) });
  const problems = results.flatMap((r) => r.problems.map((p) => `${r.fault}: ${p}`));
  assert.ok(passed(results), `seed ${SEED}\n${resultTable(results)}\n${problems.join('\n')}`);
});
