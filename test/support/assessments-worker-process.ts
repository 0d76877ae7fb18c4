// An assessments worker in a process of its own, for tests that kill it (SIGKILL) in the middle of a
// payout: the same wiring as workers/main.ts through createAssessmentsWorker, on ASSESSMENTS_TASK_QUEUE,
// loading the workflow bundle the test built (WORKFLOW_BUNDLE_PATH). Prints "ready" once it polls.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { loadEnv, stripeEnv } from '../../config/env';
import { openProcess, processEnv } from '../../config/process';
import { installTemporalRuntime } from '../../observability/temporal-logger';
import { createStripe } from '../../payments/stripe-client';
import { createAssessmentsWorker } from '../../workers/assessments-worker';
import { exitWithParent } from './child-lifetime';

exitWithParent();

const env = loadEnv(processEnv.extend(stripeEnv.shape).extend({ ASSESSMENTS_TASK_QUEUE: z.string().min(1), WORKFLOW_BUNDLE_PATH: z.string().min(1) }));
installTemporalRuntime('WARN');

const resources = openProcess('test-assessments-worker', env);
const { db, redis } = resources;
const connection = await resources.workerConnection();
try {
  const worker = await createAssessmentsWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    db,
    redis,
    stripe: createStripe(env),
    taskQueue: env.ASSESSMENTS_TASK_QUEUE,
    workflowBundle: { code: await readFile(env.WORKFLOW_BUNDLE_PATH, 'utf8') },
  });
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
} finally {
  await resources.close();
}
