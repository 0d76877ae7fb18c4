// Determinism: every event history recorded under test/histories/ (subfolders included) replays against
// the CURRENT workflow bundle without a nondeterminism error, so a change to workflows/ that would break
// pools already running fails here first.
//
// The assessment histories (test/histories/assessments/) come from scripts/record-assessment-histories.ts
// and replay against the assessments worker's bundle; the simulation batches' (test/histories/simulations/,
// one folder per shape of the workflow) from scripts/record-simulation-histories.ts, against the
// simulations worker's own bundle (workflows/simulations/index.ts).
// The histories are recorded by scripts/record-histories.ts from real runs (a full rotating pool, a bid
// round, a default, dunning, an investment pool, a cancellation mid-round, a pool that continued as
// new between rounds and one that did so mid-round). Those of older shapes of the pool and round
// workflows are kept in subfolders (pool-shape-2026-11/: rounds that signalled their result; pool-shape-2026-12/: round results of named fields). Re-record them with the test stack up:
//     set -a; . .data/test.env; set +a; npx tsx scripts/record-histories.ts
// and only after an intentional, versioned workflow change (guarded by patched(), so that the old
// histories still replay); a failure here after any other change is a real nondeterminism to fix in
// the workflow, not in the recordings.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { bundleWorkflowCode, Worker, type ReplayResult, type ReplayWorkerOptions } from '@temporalio/worker';
import { tracingWorkerOptions } from '../observability/temporal-tracing';
import { FAILURE_CONVERTER_PATH, poolflowDataConverter } from '../temporal-config/data-converter';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../workers/pools/worker';
import { SIMULATION_WORKFLOWS_PATH } from '../workers/simulations-worker';
import { assessmentWorkflowBundle } from './support/assessment-harness';
import { workflowBundle } from './support/env';
import { historyFromProtoJson } from './support/history-json';

const HISTORIES_DIR = fileURLToPath(new URL('./histories/', import.meta.url));
/** Each scenario the recording script runs; a missing one means the recordings are incomplete. */
const ASSESSMENT_SCENARIOS = ['price-breach', 'funded-stopped'];
/** The simulation batch's paths, each recorded in every shape folder. */
const SIMULATION_SCENARIOS = ['completed.simulation', 'parts.simulation', 'parts.part-0', 'cancelled.simulation', 'failed.simulation'];
const SCENARIOS = ['rotating-fixed', 'bid-round', 'default-round', 'dunning-round', 'investment', 'cancel-mid-round', 'continue-as-new', 'mid-round-handover'];

const quiet = () => {};

async function historyFiles(): Promise<string[]> {
  const entries = await readdir(HISTORIES_DIR, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => `${entry.parentPath}/${entry.name}`.slice(HISTORIES_DIR.length).replace(/^\/+/, ''))
    .sort();
}

test('every recorded history replays against the current workflow code', async () => {
  const files = await historyFiles();
  for (const scenario of SCENARIOS) {
    assert.ok(
      files.some((file) => file.split('/').at(-1)!.startsWith(`${scenario}.`)),
      `no recorded history for ${scenario}`,
    );
  }
  assert.ok(
    files.some((file) => file.includes('.round-trigger')),
    'no recorded round-trigger history',
  );

  // Assessment and simulation histories replay against their workers' own bundles, the rest against the pools'.
  const isAssessment = (file: string) => file.startsWith('assessments/');
  const isSimulation = (file: string) => file.startsWith('simulations/');
  for (const scenario of ASSESSMENT_SCENARIOS)
    assert.ok(files.includes(`assessments/${scenario}.assessment.json`), `no recorded assessment history for ${scenario}`);
  const simulationShapes = new Set(files.filter(isSimulation).map((file) => file.split('/')[1]));
  assert.ok(simulationShapes.size > 0, 'no recorded simulation histories');
  for (const shape of simulationShapes)
    for (const scenario of SIMULATION_SCENARIOS)
      assert.ok(files.includes(`simulations/${shape}/${scenario}.json`), `no recorded simulation history for ${shape}/${scenario}`);

  async function* histories(subset: string[]) {
    for (const file of subset) {
      // The file's name stands in for the workflow ID: replay needs one, and it names the failure.
      yield { workflowId: file, history: historyFromProtoJson(JSON.parse(await readFile(`${HISTORIES_DIR}${file}`, 'utf8'))) };
    }
  }
  const results: ReplayResult[] = [];
  // The tracing sink is registered as in a worker (its spans are not exported during replay); without it
  // the SDK warns about an unregistered sink for every workflow.
  const replay = async (bundle: NonNullable<ReplayWorkerOptions['workflowBundle']>, replayName: string, subset: string[]) => {
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: bundle, replayName, dataConverter: poolflowDataConverter(), sinks: tracingWorkerOptions().sinks },
      histories(subset),
    ))
      results.push(result);
  };
  await replay(
    await workflowBundle(),
    'poolflow-replay',
    files.filter((f) => !isAssessment(f) && !isSimulation(f)),
  );
  await replay(await assessmentWorkflowBundle(), 'poolflow-assessment-replay', files.filter(isAssessment));
  const simulationBundle = await bundleWorkflowCode({
    workflowsPath: SIMULATION_WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { trace: quiet, debug: quiet, info: quiet, log: quiet, warn: quiet, error: console.error },
  });
  await replay(simulationBundle, 'poolflow-simulation-replay', files.filter(isSimulation));
  assert.deepEqual(results.map((r) => r.workflowId).sort(), files, 'every file was replayed');
  const failures = results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error?.name}: ${r.error?.message}`);
  assert.deepEqual(failures, []);
});
