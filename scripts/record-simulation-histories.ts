// Records the simulation batch workflow's event histories that test/replay.test.ts replays, from real runs
// on the test stack through the simulations worker's own bundle: a batch of several chunks, one split into
// child parts, one cancelled mid-way and one whose chunks fail because its batch row is missing. Each shape
// of the workflow keeps its own folder (the shape's name is the argument), so histories of running batches
// recorded before a patched() change keep replaying. Run with the test stack up, after an intentional,
// versioned workflow change:
//     npx tsx scripts/record-simulation-histories.ts local-finish
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { createThreadPool } from '../activities/simulations/thread-pool';
import { planChunks } from '../domain/simulations/chunking';
import { investmentParams } from '../domain/simulations/investment';
import { installTemporalRuntime } from '../observability/temporal-logger';
import { workflowIds } from '../temporal-config/workflow-ids';
import { loadTestStackEnv } from '../test/support/stack-env';
import { historyToProtoJson } from '../test/support/history-json';
import { startSimulationsStack } from '../test/support/simulations-stack';
import { type simulationBatch, simulationProgressQuery, type SimulationBatchInput } from '../workflows/simulations/batch';

const shape = process.argv[2];
if (!shape || !/^[a-z0-9-]+$/.test(shape)) throw new Error('usage: record-simulation-histories.ts <shape-name>, e.g. local-finish');
const OUT_DIR = fileURLToPath(new URL(`../test/histories/simulations/${shape}/`, import.meta.url));
const WAIT_MS = 60_000;
const SEED = 20_261_130;

loadTestStackEnv();
installTemporalRuntime('WARN');
const threads = createThreadPool(2);
const stack = await startSimulationsStack('record-simulations', threads);
const { client } = stack;

const smallParams = investmentParams.parse({
  initialMinor: 1_000_000,
  contributionMinor: 20_000,
  periods: 24,
  periodsPerYear: 12,
  returns: { type: 'gbm', drift: 0.06, volatility: 0.22 },
});
/** Long enough per chunk (hundreds of milliseconds) that a cancel lands while chunks remain. */
const slowParams = investmentParams.parse({ initialMinor: 250_000, periods: 250, periodsPerYear: 250, returns: { type: 'gbm', drift: 0.05, volatility: 0.3 } });

async function start(
  name: string,
  params: typeof smallParams,
  pathCount: number,
  chunks: number,
  options: { record?: boolean; extra?: Partial<SimulationBatchInput> } = {},
): Promise<WorkflowHandle<typeof simulationBatch>> {
  const plan = planChunks(pathCount, params.periods, chunks);
  if (plan.chunkCount !== chunks) throw new Error(`${name}: planned ${plan.chunkCount} chunks, wanted ${chunks}`);
  return stack.startBatch({ batchId: `recorded-${name}-${Date.now()}`, params, seed: SEED, plan, subject: 'recorder', ...options });
}

async function expectFailure(handle: WorkflowHandle, what: string): Promise<void> {
  try {
    await handle.result();
  } catch (error) {
    if (error instanceof WorkflowFailedError) return;
    throw error;
  }
  throw new Error(`${what}: the batch completed`);
}

const recorded: Array<[string, string]> = [];
async function keep(file: string, workflowId: string): Promise<void> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  recorded.push([file, `${JSON.stringify(historyToProtoJson(history), null, 1)}\n`]);
}

try {
  const completed = await start('completed', smallParams, 16 * 1_024 - 100, 4, { extra: { chunkWindow: 2 } });
  await completed.result();
  await keep('completed.simulation.json', completed.workflowId);

  // Six chunks, two per child part: three parts, each history of its own.
  const parts = await start('parts', smallParams, 16 * 1_024 - 100, 6, { extra: { chunksPerWorkflow: 2 } });
  await parts.result();
  await keep('parts.simulation.json', parts.workflowId);
  const batchId = parts.workflowId.slice('simulation/'.length);
  for (const part of [0, 1, 2]) await keep(`parts.part-${part}.json`, workflowIds.simulationPart(batchId, part));

  // One chunk at a time; cancelled once the first has finished.
  const cancelled = await start('cancelled', slowParams, 1_024 * 1_024, 16, { extra: { chunkWindow: 1 } });
  const deadline = Date.now() + WAIT_MS;
  while ((await cancelled.query(simulationProgressQuery)).chunksDone < 1) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the first chunk');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await cancelled.cancel();
  await expectFailure(cancelled, 'cancelled');
  if ((await cancelled.query(simulationProgressQuery)).status !== 'cancelled') throw new Error('the cancelled batch did not report cancelled');
  await keep('cancelled.simulation.json', cancelled.workflowId);

  // No batch row: the first chunk fails non-retryably and the batch fails.
  const failed = await start('failed', smallParams, 16 * 1_024 - 100, 4, { record: false });
  await expectFailure(failed, 'failed');
  await keep('failed.simulation.json', failed.workflowId);
} finally {
  await stack.stop();
  await threads.close();
}
await mkdir(OUT_DIR, { recursive: true });
for (const [file, content] of recorded) await writeFile(`${OUT_DIR}${file}`, content);
console.log(`recorded ${recorded.map(([file]) => file).join(', ')} in ${OUT_DIR}`);
