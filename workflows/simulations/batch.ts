// `simulation/{batchId}`: runs a simulation batch's chunks as activities on the simulations task queue,
// a bounded window at a time, and merges them into the stored result. Past CHUNKS_PER_WORKFLOW_MAX
// chunks the work goes to child workflows, one per range, so no history grows past its limit. Any number
// of worker processes polling the queue share the chunks. Cancelling it cancels the running chunks.
import { CancellationScope, defineQuery, executeChild, isCancellation, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { SimulationActivities } from '../../activities/simulations/batches';
import type { ModelName } from '../../domain/simulations/models';
import { SimulationStatusAttribute } from '../../temporal-config/search-attributes';
import { workflowIds } from '../../temporal-config/workflow-ids';

/** Chunks one workflow run schedules itself (each costs about six history events). */
export const CHUNKS_PER_WORKFLOW_MAX = 500;
/** Chunk activities in flight at once, per workflow: enough to keep several worker processes busy. */
export const CHUNK_WINDOW_DEFAULT = 8;
export const CHUNK_WINDOW_MAX = 64;
/** Child workflows in flight at once for a large batch. */
export const PARTS_IN_FLIGHT_MAX = 4;

export type SimulationStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface SimulationBatchInput {
  batchId: string;
  model: ModelName;
  pathCount: number;
  chunkCount: number;
  blocksPerChunk: number;
  chunkWindow?: number;
  /** Chunks per child workflow when there are more than that (at most CHUNKS_PER_WORKFLOW_MAX). */
  chunksPerWorkflow?: number;
  /** Off only on a test server without search attributes. */
  searchAttributes?: boolean;
}

export interface SimulationPartInput {
  batchId: string;
  firstChunk: number;
  endChunk: number;
  blocksPerChunk: number;
  chunkWindow: number;
}

export interface SimulationProgress {
  status: SimulationStatus;
  chunkCount: number;
  chunksDone: number;
  /** Paths in finished chunks (in-flight chunks report finer progress through the event stream). */
  pathsDone: number;
  pathCount: number;
}

export const simulationProgressQuery = defineQuery<SimulationProgress>('simulationProgress');
export const simulationPartProgressQuery = defineQuery<{ chunksDone: number; pathsDone: number }>('simulationPartProgress');

// A running chunk heartbeats its finished prefix every 2 s (SIMULATION_CHECKPOINT_INTERVAL_MS); missing
// heartbeats for 10 s mean its worker is gone, and the retry resumes from the last heartbeat on whichever
// worker polls first.
const { runSimulationChunk } = proxyActivities<SimulationActivities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '10s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 50,
    nonRetryableErrorTypes: ['SimulationBatchNotFound', 'SimulationBatchInvalid'],
  },
});
const { finishSimulation, markSimulation } = proxyActivities<SimulationActivities>({
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '30m',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: ['SimulationBatchNotFound', 'SimulationBatchInvalid'],
  },
});

/** Runs chunks [first, end) with at most `window` in flight; reports each as it finishes. */
async function runChunks(batchId: string, first: number, end: number, blocksPerChunk: number, window: number, done: (paths: number) => void): Promise<void> {
  const inFlight = new Map<number, Promise<number>>();
  let next = first;
  while (next < end || inFlight.size > 0) {
    while (inFlight.size < window && next < end) {
      const chunkIndex = next++;
      inFlight.set(
        chunkIndex,
        runSimulationChunk({ batchId, chunkIndex, blocksPerChunk }).then((r) => {
          done(r.paths);
          return chunkIndex;
        }),
      );
    }
    inFlight.delete(await Promise.race(inFlight.values()));
  }
}

export async function simulationBatch(input: SimulationBatchInput): Promise<{ paths: number }> {
  const window = Math.min(CHUNK_WINDOW_MAX, Math.max(1, input.chunkWindow ?? CHUNK_WINDOW_DEFAULT));
  const perWorkflow = Math.min(CHUNKS_PER_WORKFLOW_MAX, Math.max(1, input.chunksPerWorkflow ?? CHUNKS_PER_WORKFLOW_MAX));
  const progress: SimulationProgress = { status: 'running', chunkCount: input.chunkCount, chunksDone: 0, pathsDone: 0, pathCount: input.pathCount };
  setHandler(simulationProgressQuery, () => progress);
  const setStatus = (status: SimulationStatus) => {
    progress.status = status;
    if (input.searchAttributes !== false) upsertSearchAttributes([{ key: SimulationStatusAttribute, value: status }]);
  };

  try {
    if (input.chunkCount <= perWorkflow) {
      await runChunks(input.batchId, 0, input.chunkCount, input.blocksPerChunk, window, (paths) => {
        progress.chunksDone++;
        progress.pathsDone += paths;
      });
    } else {
      const parts = Math.ceil(input.chunkCount / perWorkflow);
      let nextPart = 0;
      const inFlight = new Map<number, Promise<number>>();
      while (nextPart < parts || inFlight.size > 0) {
        while (inFlight.size < PARTS_IN_FLIGHT_MAX && nextPart < parts) {
          const part = nextPart++;
          const firstChunk = part * perWorkflow;
          const endChunk = Math.min(input.chunkCount, firstChunk + perWorkflow);
          inFlight.set(
            part,
            executeChild(simulationBatchPart, {
              workflowId: workflowIds.simulationPart(input.batchId, part),
              args: [{ batchId: input.batchId, firstChunk, endChunk, blocksPerChunk: input.blocksPerChunk, chunkWindow: window }],
            }).then((r) => {
              progress.chunksDone += endChunk - firstChunk;
              progress.pathsDone += r.paths;
              return part;
            }),
          );
        }
        inFlight.delete(await Promise.race(inFlight.values()));
      }
    }
    const result = await finishSimulation({ batchId: input.batchId });
    setStatus('completed');
    return result;
  } catch (error) {
    const status = isCancellation(error) ? 'cancelled' : 'failed';
    await CancellationScope.nonCancellable(() => markSimulation({ batchId: input.batchId, status }));
    setStatus(status);
    throw error;
  }
}

/** One range of a large batch's chunks, in a history of its own. */
export async function simulationBatchPart(input: SimulationPartInput): Promise<{ paths: number }> {
  const progress = { chunksDone: 0, pathsDone: 0 };
  setHandler(simulationPartProgressQuery, () => progress);
  await runChunks(input.batchId, input.firstChunk, input.endChunk, input.blocksPerChunk, input.chunkWindow, (paths) => {
    progress.chunksDone++;
    progress.pathsDone += paths;
  });
  return { paths: progress.pathsDone };
}
