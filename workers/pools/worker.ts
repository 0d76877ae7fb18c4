// Builds the worker for the pools task queue, wiring real dependencies into the activity factories.
// Used by the worker process and by the tests, so both run exactly the same wiring.
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { createPlatformFeeActivities } from '../../activities/core/platform-fees';
import { createReconciliationSweepActivities } from '../../activities/core/reconciliation-sweep';
import { createNotificationActivities } from '../../activities/notifications';
import type { EndpointPolicy } from '../../activities/notifications/endpoint-policy';
import type { Mailer } from '../../activities/notifications/mailer';
import { notificationTap } from '../../activities/notifications/tap';
import { createPaymentActivities } from '../../activities/core/payments';
import { createPoolActivities } from '../../activities/pools/pools';
import { createProbeActivities } from '../../activities/core/probe';
import type { Redis } from '../../cache/redis';
import type { Db } from '../../db/pool';
import type { Stripe } from '../../payments/stripe-client';
import { poolflowDataConverter } from '../../temporal-config/data-converter';
import { TASK_QUEUES } from '../../temporal-config/task-queues';
import { tracingWorkerOptions, WORKFLOW_TRACING_INTERCEPTORS, workflowTracing, type WorkflowTracing } from '../../observability/temporal-tracing';
import { heartbeatWhileRunning } from '../heartbeat';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));
export const WORKFLOW_INTERCEPTORS_PATH = fileURLToPath(new URL('../../workflows/interceptors.ts', import.meta.url));
/**
 * Every workflow interceptor module a worker's bundle holds: Poolflow's and the tracing ones, by default
 * those this process's tracing calls for (decided once, when the worker or its bundle is built).
 */
export function workflowInterceptorModules(tracing: WorkflowTracing = workflowTracing()): string[] {
  return [WORKFLOW_INTERCEPTORS_PATH, WORKFLOW_TRACING_INTERCEPTORS[tracing]];
}

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
  /** The shared converter (temporal-config/data-converter.ts) unless given; the benchmark's baseline passes its own. */
  dataConverter?: DataConverter;
  /** Turns notifications on: notices of every pool, delivered by email, feed and webhooks. */
  notifications?: { mailer: Mailer; webhookPolicy: EndpointPolicy };
}

export function poolsActivities(deps: PoolsWorkerDeps & { taskQueue: string }) {
  return {
    ...createProbeActivities(deps),
    ...createPoolActivities(deps),
    ...createPaymentActivities(deps),
    ...createPlatformFeeActivities(deps),
    ...createReconciliationSweepActivities(deps),
    ...(deps.notifications ? createNotificationActivities({ ...deps, ...deps.notifications }) : {}),
  };
}

export async function createPoolsWorker(deps: PoolsWorkerDeps): Promise<Worker> {
  const taskQueue = deps.taskQueue ?? TASK_QUEUES.pools;
  const tracing = tracingWorkerOptions();
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue,
    // A prebuilt bundle already holds the workflow interceptors (bundled with workflowInterceptorModules()).
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    interceptors: {
      ...(deps.workflowBundle ? {} : { workflowModules: workflowInterceptorModules() }),
      // Notices are heard where pools and rounds already report their events (activities/notifications/tap.ts).
      activity: [heartbeatWhileRunning, ...tracing.activityInterceptors, ...(deps.notifications ? [notificationTap()] : [])],
    },
    sinks: tracing.sinks,
    activities: poolsActivities({ ...deps, taskQueue }),
    dataConverter: deps.dataConverter ?? poolflowDataConverter(),
    // Drain in-flight activities for up to 30 s on SIGTERM/SIGINT before giving up on them.
    shutdownGraceTime: '30s',
  });
}
