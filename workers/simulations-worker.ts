// Builds the worker for the simulations task queue: batch workflows and chunk activities, each chunk
// spread over a pool of worker threads. Used by the simulations worker process and by the tests.
import { fileURLToPath } from 'node:url';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { createSimulationActivities } from '../activities/simulations/batches';
import { createThreadPool, type ThreadPool } from '../activities/simulations/thread-pool';
import type { Redis } from '../cache/redis';
import { CHECKPOINT_INTERVAL_MS } from '../domain/simulations/chunking';
import { openProcess, type ProcessEnv } from '../config/process';
import type { Db } from '../db/pool';
import type { Logger } from '../observability/log';
import { TASK_QUEUES } from '../temporal-config/task-queues';
import { poolflowDataConverter } from '../temporal-config/data-converter';
import { workflowInterceptorModules } from './pools/worker';
import { tracingWorkerOptions } from '../observability/temporal-tracing';

/**
 * Chunks one process runs at once. Each uses every thread; a second one keeps the threads busy while the
 * first waits for its last job and is stored, and the next chunk is fetched from the server.
 */
export const CHUNKS_PER_WORKER_DEFAULT = 2;

export const SIMULATION_WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/simulations/index.ts', import.meta.url));

export interface SimulationsWorkerDeps {
  connection: NativeConnection;
  namespace: string;
  db: Db;
  redis: Redis;
  threads: ThreadPool;
  log: Logger;
  /** Names this process in the chunks it stores (host and pid by default). */
  identity: string;
  chunksPerWorker?: number;
  /** How often a running chunk heartbeats its checkpoint. */
  checkpointIntervalMs?: number;
  workflowBundle?: WorkerOptions['workflowBundle'];
  taskQueue?: string;
}

export async function createSimulationsWorker(deps: SimulationsWorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue ?? TASK_QUEUES.simulations,
    identity: deps.identity,
    ...(deps.workflowBundle
      ? { workflowBundle: deps.workflowBundle }
      : { workflowsPath: SIMULATION_WORKFLOWS_PATH, interceptors: { workflowModules: workflowInterceptorModules() } }),
    // Traced like the pools worker; the shared test bundle holds OpenTelemetry's workflow interceptors, whose spans need this sink.
    sinks: tracingWorkerOptions().sinks,
    activities: createSimulationActivities({
      db: deps.db,
      redis: deps.redis,
      threads: deps.threads,
      workerIdentity: deps.identity,
      log: deps.log,
      checkpointIntervalMs: deps.checkpointIntervalMs,
    }),
    dataConverter: poolflowDataConverter(),
    maxConcurrentActivityTaskExecutions: deps.chunksPerWorker ?? CHUNKS_PER_WORKER_DEFAULT,
    // A chunk's checkpoints reach the server as often as it takes them, not throttled by the SDK to 80 % of
    // the heartbeat timeout, so a retry after a crash loses little work.
    maxHeartbeatThrottleInterval: deps.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS.default,
    shutdownGraceTime: '10s',
  });
}

export interface SimulationsWorkerProcess {
  worker: Worker;
  threads: ThreadPool;
  /** After the worker has run: closes the threads, connections and stores. */
  close(): Promise<void>;
}

/**
 * The simulations worker of a process named `name` (workers/simulations-main.ts, and the tests' stand-in):
 * its database, Redis, `threadCount` threads and Temporal connection, and the worker on them. If the
 * worker cannot be created, what was opened is closed again before the error is thrown.
 */
export async function openSimulationsWorkerProcess(
  name: string,
  env: ProcessEnv,
  options: Omit<SimulationsWorkerDeps, 'connection' | 'namespace' | 'db' | 'redis' | 'threads'> & { threadCount: number },
): Promise<SimulationsWorkerProcess> {
  const { threadCount, ...deps } = options;
  const resources = openProcess(name, env);
  const threads = createThreadPool(threadCount);
  resources.closing(() => threads.close());
  try {
    const connection = await resources.workerConnection();
    const worker = await createSimulationsWorker({ ...deps, connection, namespace: env.TEMPORAL_NAMESPACE, db: resources.db, redis: resources.redis, threads });
    return { worker, threads, close: () => resources.close() };
  } catch (error) {
    await resources.close();
    throw error;
  }
}
