// Builds the worker for the pools task queue, wiring real dependencies into the activity factories.
// Used by the worker process and by the tests, so both run exactly the same wiring.
import { fileURLToPath } from 'node:url';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { createProbeActivities } from '../activities/probe';
import type { Redis } from '../cache/redis';
import type { Db } from '../db/pool';
import { TASK_QUEUES } from '../temporal-config/task-queues';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface PoolsWorkerDeps {
  connection: NativeConnection;
  namespace: string;
  db: Db;
  redis: Redis;
  /** A prebuilt bundle (tests build one per file); without it the worker bundles WORKFLOWS_PATH itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  taskQueue?: string;
}

export function poolsActivities(deps: Pick<PoolsWorkerDeps, 'db' | 'redis'>) {
  return { ...createProbeActivities(deps) };
}

export async function createPoolsWorker(deps: PoolsWorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue ?? TASK_QUEUES.pools,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: poolsActivities(deps),
    // Drain in-flight activities for up to 30 s on SIGTERM/SIGINT before giving up on them.
    shutdownGraceTime: '30s',
  });
}
