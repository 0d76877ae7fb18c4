// A fixed set of worker threads that run blocks of simulation paths, so a chunk uses every core while the
// worker's own event loop stays free to heartbeat and poll. Each thread holds up to JOBS_PER_THREAD jobs
// (one running, the next waiting in its message queue), so it never idles while this thread is busy
// elsewhere; jobs of the range started first go first, so of two chunks one finishes early and is stored
// while the other keeps the threads busy.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PackedSummary } from '../../domain/simulations/statistics';
import type { BlockJob } from './block-thread';

export const THREADS_MAX = 64;
/** Jobs handed to one thread at once: the one it runs and the one it starts next without waiting for us. */
const JOBS_PER_THREAD = 2;
const THREAD_ENTRY = new URL('./block-thread.ts', import.meta.url).href;
// Threads load TypeScript through tsx's loader, as the main process does.
const BOOTSTRAP = `import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(THREAD_ENTRY)});`;

interface Pending {
  resolve(packed: PackedSummary): void;
  reject(error: Error): void;
}

export interface ThreadPool {
  readonly size: number;
  /** Runs a job; among queued jobs the lowest `order` goes first, then the earliest queued. */
  run(job: Omit<BlockJob, 'jobId'>, order?: number): Promise<PackedSummary>;
  close(): Promise<void>;
}

export function defaultThreadCount(): number {
  return Math.min(THREADS_MAX, availableParallelism());
}

export function createThreadPool(size = defaultThreadCount()): ThreadPool {
  if (!Number.isInteger(size) || size < 1 || size > THREADS_MAX) throw new RangeError(`thread count must be 1..${THREADS_MAX}, got ${size}`);
  const queue: Array<{ job: BlockJob; order: number; pending: Pending }> = [];
  const pending = new Map<number, Pending>();
  /** Each thread's jobs not yet answered. */
  const held = new Map<Worker, Set<number>>();
  let nextJobId = 0;
  let closed = false;

  const dispatch = () => {
    for (const [thread, jobs] of held) {
      while (jobs.size < JOBS_PER_THREAD && queue.length > 0) {
        const { job, pending: p } = queue.shift()!;
        pending.set(job.jobId, p);
        jobs.add(job.jobId);
        thread.postMessage(job);
      }
    }
  };

  const spawn = () => {
    const thread = new Worker(BOOTSTRAP, { eval: true });
    const jobs = new Set<number>();
    held.set(thread, jobs);
    thread.on('message', (message: { jobId: number; packed?: PackedSummary; error?: string }) => {
      const p = pending.get(message.jobId);
      pending.delete(message.jobId);
      jobs.delete(message.jobId);
      if (message.error !== undefined) p?.reject(new Error(message.error));
      else p?.resolve(message.packed!);
      // After the caller has seen the result (a microtask queued before this one) and queued its next
      // job, which may come before the jobs already waiting.
      queueMicrotask(dispatch);
    });
    // A thread that dies fails its jobs (the activity retries) and is replaced.
    thread.on('error', (error) => {
      held.delete(thread);
      for (const jobId of jobs) {
        pending.get(jobId)?.reject(error);
        pending.delete(jobId);
      }
      if (!closed) {
        spawn();
        dispatch();
      }
    });
  };
  for (let i = 0; i < size; i++) spawn();

  return {
    size,
    run(job, order = 0) {
      if (closed) return Promise.reject(new Error('the thread pool is closed'));
      return new Promise<PackedSummary>((resolve, reject) => {
        const at = queue.findIndex((queued) => queued.order > order);
        queue.splice(at === -1 ? queue.length : at, 0, { job: { ...job, jobId: nextJobId++ }, order, pending: { resolve, reject } });
        dispatch();
      });
    },
    async close() {
      closed = true;
      for (const { pending: p } of queue.splice(0)) p.reject(new Error('the thread pool is closed'));
      await Promise.all([...held.keys()].map((thread) => thread.terminate()));
    },
  };
}
