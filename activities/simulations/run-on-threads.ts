// Runs a contiguous range of blocks on the worker threads, a few blocks per job and at most two jobs per
// thread in flight, and merges the finished prefix in block order as jobs come back. The chunk activity
// and the benchmark's in-process baseline both run their paths through here.
import { emptySummary, mergeAdjacent, type Layout, type Summary } from '../../domain/simulations/statistics';
import type { BlockJob } from './block-thread';
import type { ThreadPool } from './thread-pool';

/** The blocks to run, as one thread job would name them, and how many blocks each job takes. */
export interface BlockRange extends Omit<BlockJob, 'jobId'> {
  blocksPerJob: number;
}

export interface RunOptions {
  /** The summary of the range's first blocks, already computed (a resumed chunk). */
  prefix?: Summary;
  /** Called each time the finished prefix grows. */
  onPrefix?(prefix: Summary): void;
  /** Stops sending jobs and rejects with `reason()` once aborted. */
  signal?: AbortSignal;
}

/** The summary of the whole range; a job's error rejects it (jobs already sent still finish on their threads). */
export function runOnThreads(threads: ThreadPool, range: BlockRange, layout: Layout, options: RunOptions = {}): Promise<Summary> {
  const end = range.firstBlock + range.blocks;
  let prefix = options.prefix ?? emptySummary(layout, range.firstBlock);
  let prefixEnd = prefix.firstBlock + prefix.blockCount;
  let nextBlock = prefixEnd;
  let inFlight = 0;
  const finished = new Map<number, Summary>();
  return new Promise<Summary>((resolve, reject) => {
    let failed = false;
    const fail = (error: unknown) => {
      failed = true;
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const pump = () => {
      if (failed) return;
      if (options.signal?.aborted) return fail(options.signal.reason);
      if (prefixEnd === end) return resolve(prefix);
      while (inFlight < threads.size * 2 && nextBlock < end) {
        const first = nextBlock;
        const blocks = Math.min(range.blocksPerJob, end - first);
        nextBlock += blocks;
        inFlight++;
        threads.run({ model: range.model, params: range.params, seed: range.seed, pathCount: range.pathCount, firstBlock: first, blocks }).then((summary) => {
          inFlight--;
          finished.set(first, summary);
          let grew = false;
          while (finished.has(prefixEnd)) {
            const next = finished.get(prefixEnd)!;
            finished.delete(prefixEnd);
            prefix = mergeAdjacent(prefix, next);
            prefixEnd += next.blockCount;
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
