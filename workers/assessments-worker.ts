// Builds the worker for the assessments task queue, wiring real dependencies into the activity
// factories; used by the worker process and by the tests, so both run exactly the same wiring. It also
// seeds the preset tiers, idempotently, before it polls.
import { fileURLToPath } from 'node:url';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { createAssessmentActivities } from '../activities/assessments/assessments';
import { createAssessmentPayoutActivities } from '../activities/assessments/payouts';
import { createPurchases } from '../activities/assessments/purchases';
import type { Redis } from '../cache/redis';
import { seedPresetPacks } from '../db/assessments/seed-presets';
import type { Db } from '../db/pool';
import type { Stripe } from '../payments/stripe-client';
import { TASK_QUEUES } from '../temporal-config/task-queues';
import { poolflowDataConverter } from '../temporal-config/data-converter';
import { workflowInterceptorModules } from './pools/worker';
import { tracingWorkerOptions } from '../observability/temporal-tracing';

export const ASSESSMENT_WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/assessments/index.ts', import.meta.url));

export interface AssessmentsWorkerDeps {
  connection: NativeConnection;
  namespace: string;
  db: Db;
  redis: Redis;
  stripe: Stripe;
  /** A prebuilt bundle (tests build one per file); without it the worker bundles the workflows itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  taskQueue?: string;
}

export function assessmentsActivities(deps: Pick<AssessmentsWorkerDeps, 'db' | 'redis' | 'stripe'>) {
  const purchases = createPurchases(deps);
  return {
    ...createAssessmentActivities({ ...deps, purchases }),
    ...createAssessmentPayoutActivities(deps),
  };
}

export async function createAssessmentsWorker(deps: AssessmentsWorkerDeps): Promise<Worker> {
  await seedPresetPacks(deps.db);
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue ?? TASK_QUEUES.assessments,
    ...(deps.workflowBundle
      ? { workflowBundle: deps.workflowBundle }
      : { workflowsPath: ASSESSMENT_WORKFLOWS_PATH, interceptors: { workflowModules: workflowInterceptorModules() } }),
    // Traced like the pools worker: a bundle with OpenTelemetry's workflow interceptors exports its spans through this sink.
    sinks: tracingWorkerOptions().sinks,
    activities: assessmentsActivities(deps),
    dataConverter: poolflowDataConverter(),
    shutdownGraceTime: '30s',
  });
}
