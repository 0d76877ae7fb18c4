// Builds the worker for the pools task queue, wiring real dependencies into the activity factories.
// Used by the worker process and by the tests, so both run exactly the same wiring.
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { createPlatformFeeActivities } from '../activities/core/platform-fees';
import { createPaymentActivities } from '../activities/payments';
import { createPoolActivities } from '../activities/pools';
import { createProbeActivities } from '../activities/probe';
import type { Redis } from '../cache/redis';
import type { Db } from '../db/pool';
import type { Stripe } from '../payments/stripe-client';
import { TASK_QUEUES } from '../temporal-config/task-queues';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
export const WORKFLOW_INTERCEPTORS_PATH = fileURLToPath(new URL('../workflows/interceptors.ts', import.meta.url));

export interface PoolsWorkerDeps {
  connection: NativeConnection;
  namespace: string;
  /** A client for the activities that manage schedules. */
  client: Client;
  db: Db;
  redis: Redis;
  stripe: Stripe;
  /** A prebuilt bundle (tests build one per file); without it the worker bundles WORKFLOWS_PATH itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  taskQueue?: string;
}

export function poolsActivities(deps: PoolsWorkerDeps & { taskQueue: string }) {
  return {
    ...createProbeActivities(deps),
    ...createPoolActivities(deps),
    ...createPaymentActivities(deps),
    ...createPlatformFeeActivities(deps),
  };
}

export async function createPoolsWorker(deps: PoolsWorkerDeps): Promise<Worker> {
  const taskQueue = deps.taskQueue ?? TASK_QUEUES.pools;
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH, interceptors: { workflowModules: [WORKFLOW_INTERCEPTORS_PATH] } }),
    activities: poolsActivities({ ...deps, taskQueue }),
    // Drain in-flight activities for up to 30 s on SIGTERM/SIGINT before giving up on them.
    shutdownGraceTime: '30s',
  });
}
