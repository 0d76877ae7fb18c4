// Runs a contiguous range of blocks on the worker threads, a few blocks per job and at most two jobs per
// thread in flight, and merges the finished prefix in block order as jobs come back. The chunk activity
// and the benchmark's in-process baseline both run their paths through here.
//
// This thread's work per job is kept to adding typed arrays (the jobs' buffers are transferred, not
// copied): on a machine with as many cores as threads it competes with them for a core. The JSON-safe
// summary is built only when asked for (a heartbeat, the end of the range).
import { BlockAccumulator, type Layout, type PackedSummary, type Summary } from '../../domain/simulations/statistics';
import type { BlockJob } from './block-thread';
import type { ThreadPool } from './thread-pool';

/** The blocks to run, as one thread job would name them, and how many blocks each job takes. */
export interface BlockRange extends Omit<BlockJob, 'jobId'> {
  blocksPerJob: number;
}

/** The finished prefix of a range: its size now, and its summary when asked. */
export interface Prefix {
  readonly blockCount: number;
  readonly paths: number;
  summary(): Summary;
}

export interface RunOptions {
  /** The summary of the range's first blocks, already computed (a resumed chunk). */
  prefix?: Summary;
  /** Called each time the finished prefix grows; `prefix` is live (read later, it is the prefix by then). */
  onPrefix?(prefix: Prefix): void;
  /** Stops sending jobs and rejects with `reason()` once aborted. */
  signal?: AbortSignal;
}

/**
 * Blocks for the next job: `blocksPerJob`, shrinking towards the end of the range so that the threads
 * finish together (the last job of a thread otherwise leaves the others idle for up to a whole job).
 */
export function nextJobBlocks(blocksPerJob: number, blocksLeft: number, threads: number): number {
  return Math.max(1, Math.min(blocksPerJob, blocksLeft, Math.floor(blocksLeft / (2 * threads))));
}

// Ranges started so far: a range's jobs go before those of ranges started after it.
let rangesStarted = 0;

/** The summary of the whole range; a job's error rejects it (jobs already sent still finish on their threads). */
export function runOnThreads(threads: ThreadPool, range: BlockRange, layout: Layout, options: RunOptions = {}): Promise<Summary> {
  const end = range.firstBlock + range.blocks;
  const prefix = new BlockAccumulator(layout, range.firstBlock);
  if (options.prefix) prefix.absorbSummary(options.prefix);
  let nextBlock = range.firstBlock + prefix.blockCount;
  let inFlight = 0;
  const finished = new Map<number, PackedSummary>();
  const order = rangesStarted++;
  return new Promise<Summary>((resolve, reject) => {
    let failed = false;
    const fail = (error: unknown) => {
      failed = true;
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const pump = () => {
      if (failed) return;
      if (options.signal?.aborted) return fail(options.signal.reason);
      if (prefix.firstBlock + prefix.blockCount === end) return resolve(prefix.summary());
      while (inFlight < threads.size * 2 && nextBlock < end) {
        const first = nextBlock;
        const blocks = nextJobBlocks(range.blocksPerJob, end - first, threads.size);
        nextBlock += blocks;
        inFlight++;
        threads
          .run({ model: range.model, params: range.params, seed: range.seed, pathCount: range.pathCount, firstBlock: first, blocks }, order)
          .then((packed) => {
            inFlight--;
            finished.set(first, packed);
            let grew = false;
            for (let next = finished.get(prefix.firstBlock + prefix.blockCount); next; next = finished.get(prefix.firstBlock + prefix.blockCount)) {
              finished.delete(next.firstBlock);
              prefix.absorb(next);
              grew = true;
            }
            if (grew) options.onPrefix?.(prefix);
            pump();
          }, fail);
      }
    };
    pump();
  });
}
