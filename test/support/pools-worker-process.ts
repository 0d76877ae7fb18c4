// A pools worker in a process of its own, for tests that kill it (SIGKILL) in the middle of a round: the
// same wiring as workers/main.ts through createPoolsWorker, on POOLS_TASK_QUEUE, optionally with a
// workflow bundle the test built once (WORKFLOW_BUNDLE_PATH). Prints "ready" on stdout once it polls.
import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { createMailer } from '../../activities/notifications/mailer';
import { createRedis } from '../../cache/redis';
import { databaseEnv, loadEnv, redisEnv, stripeEnv, temporalEnv } from '../../config/env';
import { createDbPool } from '../../db/pool';
import { createStripe } from '../../payments/stripe-client';
import { installTemporalRuntime } from '../../observability/temporal-logger';
import { poolflowDataConverter } from '../../temporal-config/data-converter';
import { createPoolsWorker } from '../../workers/pools/worker';
import { exitWithParent } from './child-lifetime';

exitWithParent();

const env = loadEnv(
  databaseEnv
    .extend(redisEnv.shape)
    .extend(temporalEnv.shape)
    .extend(stripeEnv.shape)
    .extend({
      POOLS_TASK_QUEUE: z.string().min(1),
      WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
      SDK_METRICS_BIND_ADDRESS: z.string().min(1).optional(),
      NOTIFICATIONS_SMTP_URL: z.string().min(1).optional(),
    }),
);
// With SDK_METRICS_BIND_ADDRESS, the SDK's Prometheus endpoint, as workers/main.ts serves it.
installTemporalRuntime('WARN', env.SDK_METRICS_BIND_ADDRESS ? { metricsBindAddress: env.SDK_METRICS_BIND_ADDRESS } : {});

const db = createDbPool(env.DATABASE_URL, { applicationName: 'poolflow-test-worker' });
// With NOTIFICATIONS_SMTP_URL the worker also delivers notices, mailing through that server.
const mailer = env.NOTIFICATIONS_SMTP_URL ? createMailer({ smtpUrl: env.NOTIFICATIONS_SMTP_URL, from: 'Poolflow tests <notices@poolflow.test>' }) : undefined;
const redis = createRedis(env.REDIS_URL, env.REDIS_KEY_PREFIX);
const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
const clientConnection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
try {
  const worker = await createPoolsWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    client: new Client({ connection: clientConnection, namespace: env.TEMPORAL_NAMESPACE, dataConverter: poolflowDataConverter() }),
    db,
    redis,
    stripe: createStripe(env),
    taskQueue: env.POOLS_TASK_QUEUE,
    ...(env.WORKFLOW_BUNDLE_PATH ? { workflowBundle: { code: await readFile(env.WORKFLOW_BUNDLE_PATH, 'utf8') } } : {}),
    ...(mailer ? { notifications: { mailer, webhookPolicy: { httpsOnly: false, blockPrivateAddresses: false } } } : {}),
  });
  const running = worker.run();
  // The line worker-process.ts waits for.
  process.stdout.write('ready\n');
  await running;
} finally {
  await connection.close();
  await clientConnection.close();
  await db.end();
  redis.disconnect();
}
