// An assessments worker in a process of its own, for tests that kill it (SIGKILL) in the middle of a
// payout: the same wiring as workers/main.ts through createAssessmentsWorker, on ASSESSMENTS_TASK_QUEUE,
// loading the workflow bundle the test built (WORKFLOW_BUNDLE_PATH). Prints "ready" once it polls.
import { readFile } from 'node:fs/promises';
import { NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { createRedis } from '../../cache/redis';
import { databaseEnv, loadEnv, redisEnv, stripeEnv, temporalEnv } from '../../config/env';
import { createDbPool } from '../../db/pool';
import { installTemporalRuntime } from '../../observability/temporal-logger';
import { createStripe } from '../../payments/stripe-client';
import { createAssessmentsWorker } from '../../workers/assessments-worker';

const env = loadEnv(
  databaseEnv
    .extend(redisEnv.shape)
    .extend(temporalEnv.shape)
    .extend(stripeEnv.shape)
    .extend({ ASSESSMENTS_TASK_QUEUE: z.string().min(1), WORKFLOW_BUNDLE_PATH: z.string().min(1) }),
);
installTemporalRuntime('WARN');

const db = createDbPool(env.DATABASE_URL, { applicationName: 'poolflow-test-assessments-worker' });
const redis = createRedis(env.REDIS_URL, env.REDIS_KEY_PREFIX);
const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
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
  await connection.close();
  await db.end();
  redis.disconnect();
}
