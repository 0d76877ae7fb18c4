// A fixed set of worker threads that run blocks of simulation paths, one job at a time each, so a chunk
// uses every core while the worker's own event loop stays free to heartbeat and poll.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Summary } from '../../domain/simulations/statistics';
import type { BlockJob } from './block-thread';

export const THREADS_MAX = 64;
const THREAD_ENTRY = new URL('./block-thread.ts', import.meta.url).href;
// Threads load TypeScript through tsx's loader, as the main process does.
const BOOTSTRAP = `import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(THREAD_ENTRY)});`;

interface Pending {
  resolve(summary: Summary): void;
  reject(error: Error): void;
}

export interface ThreadPool {
  readonly size: number;
  run(job: Omit<BlockJob, 'jobId'>): Promise<Summary>;
  close(): Promise<void>;
}

export function defaultThreadCount(): number {
  return Math.min(THREADS_MAX, availableParallelism());
}

export function createThreadPool(size = defaultThreadCount()): ThreadPool {
  if (!Number.isInteger(size) || size < 1 || size > THREADS_MAX) throw new RangeError(`thread count must be 1..${THREADS_MAX}, got ${size}`);
  const idle: Worker[] = [];
  const queue: Array<{ job: BlockJob; pending: Pending }> = [];
  const pending = new Map<number, Pending>();
  const busy = new Map<Worker, number>();
  let nextJobId = 0;
  let closed = false;

  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      const thread = idle.pop()!;
      const { job, pending: p } = queue.shift()!;
      pending.set(job.jobId, p);
      busy.set(thread, job.jobId);
      thread.postMessage(job);
    }
  };

  const spawn = (): Worker => {
    const thread = new Worker(BOOTSTRAP, { eval: true });
    thread.on('message', (message: { jobId: number; summary?: Summary; error?: string }) => {
      const p = pending.get(message.jobId);
      pending.delete(message.jobId);
      busy.delete(thread);
      idle.push(thread);
      if (message.error !== undefined) p?.reject(new Error(message.error));
      else p?.resolve(message.summary!);
      dispatch();
    });
    // A thread that dies fails its job (the activity retries) and is replaced.
    thread.on('error', (error) => {
      const jobId = busy.get(thread);
      busy.delete(thread);
      if (jobId !== undefined) {
        pending.get(jobId)?.reject(error);
        pending.delete(jobId);
      }
      if (!closed) {
        idle.push(spawn());
        dispatch();
      }
    });
    return thread;
  };
  for (let i = 0; i < size; i++) idle.push(spawn());

  return {
    size,
    run(job) {
      if (closed) return Promise.reject(new Error('the thread pool is closed'));
      return new Promise<Summary>((resolve, reject) => {
        queue.push({ job: { ...job, jobId: nextJobId++ }, pending: { resolve, reject } });
        dispatch();
      });
    },
    async close() {
      closed = true;
      for (const { pending: p } of queue.splice(0)) p.reject(new Error('the thread pool is closed'));
      await Promise.all([...idle, ...busy.keys()].map((thread) => thread.terminate()));
    },
  };
}
