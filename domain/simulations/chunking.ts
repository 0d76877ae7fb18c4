// How a batch is cut into chunks: whole blocks of paths, about CHUNK_PATH_STEPS_TARGET path-steps each
// unless a chunk count is asked for. The cut never changes the result (statistics merge in block order),
// only how the work spreads over activities and worker processes.
import { BLOCK_PATHS } from './statistics';

/** Paths in one batch. */
export const PATH_COUNT_MAX = 100_000_000;
/** Path-steps in one batch: about ten minutes of one core at the engine's speed. */
export const PATH_STEPS_MAX = 20_000_000_000;
/**
 * A chunk this size takes about a second on one core (the engine does some 40 M path-steps per
 * CPU-second): small enough to spread over worker processes and to lose little when a worker dies
 * (chunks resume from their checkpoints anyway), big enough that each chunk's scheduling, checkpoints,
 * stored row and dev-server work (some 60 ms of CPU in all) stay a few per cent of its computing.
 */
export const CHUNK_PATH_STEPS_TARGET = 50_000_000;
export const CHUNKS_MAX = 10_000;
/**
 * How often a running chunk heartbeats, each heartbeat carrying its checkpoint: well inside the chunk's
 * 10 s heartbeat timeout. A chunk of the planned size takes about a second, so most chunks finish before
 * their first heartbeat and never pay for one (a checkpoint is a summary of tens of kilobytes, encoded and
 * encrypted on the worker's main thread and stored by the server).
 */
export const CHECKPOINT_INTERVAL_MS = { default: 2_000, min: 50, max: 5_000 } as const;
/**
 * Blocks in one chunk: a chunk's summary keeps per-block moments and travels in its heartbeats, which
 * must stay well under Temporal's 2 MB payload limit.
 */
export const BLOCKS_PER_CHUNK_MAX = 256;

export interface ChunkPlan {
  pathCount: number;
  blockCount: number;
  blocksPerChunk: number;
  chunkCount: number;
}

export function planChunks(pathCount: number, stepsPerPath: number, requestedChunks?: number): ChunkPlan {
  const blockCount = Math.ceil(pathCount / BLOCK_PATHS);
  const byWork = Math.ceil((pathCount * Math.max(1, stepsPerPath)) / CHUNK_PATH_STEPS_TARGET);
  const fewest = Math.ceil(blockCount / BLOCKS_PER_CHUNK_MAX);
  const wanted = Math.min(CHUNKS_MAX, blockCount, Math.max(fewest, requestedChunks ?? byWork));
  const blocksPerChunk = Math.ceil(blockCount / wanted);
  return { pathCount, blockCount, blocksPerChunk, chunkCount: Math.ceil(blockCount / blocksPerChunk) };
}

/** The blocks chunk `index` covers. */
export function chunkBlocks(plan: ChunkPlan, index: number): { firstBlock: number; blocks: number } {
  if (!Number.isInteger(index) || index < 0 || index >= plan.chunkCount) throw new RangeError(`chunk ${index} is outside 0..${plan.chunkCount - 1}`);
  const firstBlock = index * plan.blocksPerChunk;
  return { firstBlock, blocks: Math.min(plan.blocksPerChunk, plan.blockCount - firstBlock) };
}

/** Paths in blocks [firstBlock, firstBlock + blocks). */
export function pathsIn(plan: Pick<ChunkPlan, 'pathCount'>, firstBlock: number, blocks: number): number {
  return Math.max(0, Math.min(plan.pathCount, (firstBlock + blocks) * BLOCK_PATHS) - firstBlock * BLOCK_PATHS);
}

/**
 * Path-steps one worker-thread job aims at (about 25 ms): a job's summary is copied back to the chunk's
 * thread and merged there, which costs about half a millisecond whatever the job's size, so a job of one
 * block (a few milliseconds for long paths) would spend a tenth of its time on the copy.
 */
export const JOB_PATH_STEPS_TARGET = 1_000_000;
export const BLOCKS_PER_JOB_MAX = 16;

/** Blocks per worker-thread job for paths of `stepsPerPath` steps. */
export function blocksPerJob(stepsPerPath: number): number {
  return Math.max(1, Math.min(BLOCKS_PER_JOB_MAX, Math.floor(JOB_PATH_STEPS_TARGET / (BLOCK_PATHS * Math.max(1, stepsPerPath)))));
}
