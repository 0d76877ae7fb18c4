// The simulation batch's activities: run one chunk of paths on the worker's threads (heartbeating the
// finished prefix of its blocks every few seconds, so a retry resumes there), merge the stored chunks into
// the result, and record how a batch ended. A chunk already stored is never computed again.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { Redis } from '../../cache/redis';
import { findBatch, findChunk, finishBatch, listChunks, storeChunk, type BatchStatus } from '../../db/simulations/batches';
import type { Db } from '../../db/pool';
import { blocksPerJob, CHECKPOINT_INTERVAL_MS, chunkBlocks, pathsIn, type ChunkPlan } from '../../domain/simulations/chunking';
import { MODELS, type ModelName } from '../../domain/simulations/models';
import { blockCount } from '../../domain/simulations/run-blocks';
import { buildResult } from '../../domain/simulations/result';
import { emptySummary, mergeAll, type Summary } from '../../domain/simulations/statistics';
import type { Logger } from '../../observability/log';
import { pathsDone, publishChunkProgress, publishEvent } from './progress';
import { runOnThreads } from './run-on-threads';
import type { ThreadPool } from './thread-pool';

/** Least time between two progress events of one chunk (each is two Redis round trips), besides its first and last. */
const PROGRESS_EVENT_INTERVAL_MS = 1_000;

export interface SimulationActivityDeps {
  db: Db;
  redis: Redis;
  threads: ThreadPool;
  /** Names this worker process in the chunks it stores. */
  workerIdentity: string;
  log: Logger;
  /** How often a running chunk heartbeats its checkpoint (CHECKPOINT_INTERVAL_MS.default). */
  checkpointIntervalMs?: number;
}

export interface ChunkInput {
  batchId: string;
  chunkIndex: number;
  blocksPerChunk: number;
}

/** What a chunk's heartbeat carries: the summary of its first `blocksDone` blocks. */
interface ChunkCheckpoint {
  blocksDone: number;
  summary: Summary;
}

/** Thrown (non-retryable) when a chunk names a batch that is not recorded. */
export const BATCH_NOT_FOUND = 'SimulationBatchNotFound';
/** Thrown (non-retryable) when a batch's stored parameters no longer validate or its chunks do not add up. */
export const BATCH_INVALID = 'SimulationBatchInvalid';

export function createSimulationActivities(deps: SimulationActivityDeps) {
  const { db, redis, threads, log } = deps;
  const checkpointIntervalMs = deps.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS.default;
  if (!Number.isInteger(checkpointIntervalMs) || checkpointIntervalMs < CHECKPOINT_INTERVAL_MS.min || checkpointIntervalMs > CHECKPOINT_INTERVAL_MS.max)
    throw new RangeError(`checkpointIntervalMs must be a whole number from ${CHECKPOINT_INTERVAL_MS.min} to ${CHECKPOINT_INTERVAL_MS.max}`);

  async function loadBatch(batchId: string) {
    const batch = await findBatch(db, batchId);
    if (!batch) throw ApplicationFailure.nonRetryable(`simulation batch ${batchId} is not recorded`, BATCH_NOT_FOUND);
    const model = MODELS[batch.model as ModelName];
    const parsed = model?.schema.safeParse(batch.params);
    if (!model || !parsed?.success) throw ApplicationFailure.nonRetryable(`simulation batch ${batchId} has invalid parameters`, BATCH_INVALID);
    return { batch, model, params: parsed.data };
  }

  const progress = (batchId: string, chunkIndex: number, paths: number, pathCount: number) =>
    publishChunkProgress(redis, batchId, chunkIndex, paths, pathCount).catch((error: unknown) =>
      log.warn('simulation progress not published', { batchId, error }),
    );

  return {
    async runSimulationChunk(input: ChunkInput): Promise<{ paths: number; reused: boolean; worker: string }> {
      const stored = await findChunk(db, input.batchId, input.chunkIndex);
      if (stored) return { paths: stored.paths, reused: true, worker: stored.worker };
      const { batch, model, params } = await loadBatch(input.batchId);
      const plan: ChunkPlan = {
        pathCount: batch.pathCount,
        blockCount: blockCount(batch.pathCount),
        blocksPerChunk: input.blocksPerChunk,
        chunkCount: batch.chunkCount,
      };
      const { firstBlock, blocks } = chunkBlocks(plan, input.chunkIndex);
      const layout = model.layout(params);
      const context = Context.current();

      // Resume from the last heartbeat of an earlier attempt, if it belongs to this chunk.
      const checkpoint = context.info.heartbeatDetails as ChunkCheckpoint | undefined;
      const resumed = checkpoint && checkpoint.summary?.firstBlock === firstBlock && checkpoint.blocksDone <= blocks ? checkpoint.blocksDone : 0;
      const resumedPrefix = resumed > 0 ? checkpoint!.summary : emptySummary(layout, firstBlock);
      let current: () => Summary = () => resumedPrefix;
      let lastEventAt = 0;
      // Heartbeats come from a timer, not from finished jobs, so a chunk shorter than the interval sends
      // none, and a long one sends one per interval whatever its job size. Each carries the whole finished
      // prefix: the server keeps only the last heartbeat's details.
      const checkpoints = setInterval(() => {
        const summary = current();
        context.heartbeat({ blocksDone: summary.blockCount, summary } satisfies ChunkCheckpoint);
      }, checkpointIntervalMs);
      let done: Summary;
      try {
        done = await runOnThreads(
          threads,
          {
            model: batch.model as ModelName,
            params,
            seed: batch.seed,
            pathCount: batch.pathCount,
            firstBlock,
            blocks,
            blocksPerJob: blocksPerJob(model.stepsPerPath(params)),
          },
          layout,
          {
            prefix: resumed > 0 ? resumedPrefix : undefined,
            signal: context.cancellationSignal,
            onPrefix(prefix) {
              current = () => prefix.summary();
              if (Date.now() - lastEventAt >= PROGRESS_EVENT_INTERVAL_MS) {
                lastEventAt = Date.now();
                void progress(input.batchId, input.chunkIndex, prefix.paths, batch.pathCount);
              }
            },
          },
        );
      } catch (error) {
        if (context.cancellationSignal.aborted) throw new CancelledFailure('simulation chunk cancelled');
        throw error;
      } finally {
        clearInterval(checkpoints);
      }

      const paths = pathsIn(plan, firstBlock, blocks);
      if (done.paths !== paths)
        throw ApplicationFailure.nonRetryable(`chunk ${input.chunkIndex} covered ${done.paths} paths, expected ${paths}`, BATCH_INVALID);
      await storeChunk(db, input.batchId, {
        chunkIndex: input.chunkIndex,
        firstBlock,
        blockCount: blocks,
        paths,
        summary: done,
        worker: deps.workerIdentity,
        resumedBlocks: resumed,
      });
      await progress(input.batchId, input.chunkIndex, paths, batch.pathCount);
      return { paths, reused: false, worker: deps.workerIdentity };
    },

    /** Merges every stored chunk in block order into the batch's result and records it. */
    async finishSimulation(input: { batchId: string }): Promise<{ paths: number }> {
      const { batch, model, params } = await loadBatch(input.batchId);
      const chunks = await listChunks(db, input.batchId);
      if (chunks.length !== batch.chunkCount)
        throw ApplicationFailure.nonRetryable(`batch ${input.batchId} has ${chunks.length} of ${batch.chunkCount} chunks`, BATCH_INVALID);
      const merged = mergeAll(
        chunks.map((c) => c.summary as Summary),
        model.layout(params),
      );
      if (merged.paths !== batch.pathCount)
        throw ApplicationFailure.nonRetryable(`batch ${input.batchId} merged ${merged.paths} of ${batch.pathCount} paths`, BATCH_INVALID);
      await finishBatch(db, input.batchId, 'completed', { ...buildResult(model, params, merged, batch.seed) });
      await publishEvent(redis, input.batchId, { type: 'completed', pathsDone: merged.paths, pathCount: batch.pathCount }).catch(() => {});
      return { paths: merged.paths };
    },

    /** Records that a batch failed or was cancelled (its finished chunks stay for a later run). */
    async markSimulation(input: { batchId: string; status: Exclude<BatchStatus, 'running' | 'completed'> }): Promise<void> {
      await finishBatch(db, input.batchId, input.status, null);
      const batch = await findBatch(db, input.batchId);
      const done = await pathsDone(redis, input.batchId).catch(() => 0);
      await publishEvent(redis, input.batchId, { type: input.status, pathsDone: done, pathCount: batch?.pathCount ?? 0 }).catch(() => {});
    },
  };
}

export type SimulationActivities = ReturnType<typeof createSimulationActivities>;
