// The API in a process of its own, for the chaos suite to SIGKILL: the same app as api/main.ts, on the
// pools task queue and port it is given, with the test authenticator. Prints "ready" once it listens.
import { poolflowDataConverter } from '../../temporal-config/data-converter';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { z } from 'zod';
import { createApp } from '../../api/app';
import { createAuthenticator } from '../../api/auth';
import { createRedis } from '../../cache/redis';
import { authEnv, databaseEnv, httpEnv, loadEnv, redisEnv, stripeEnv, temporalEnv } from '../../config/env';
import { createDbPool } from '../../db/pool';
import { createLogger } from '../../observability/log';
import { createStripe } from '../../payments/stripe-client';
import { exitWithParent } from '../support/child-lifetime';

exitWithParent();

const env = loadEnv(
  databaseEnv
    .extend(redisEnv.shape)
    .extend(temporalEnv.shape)
    .extend(stripeEnv.shape)
    .extend(httpEnv.shape)
    .extend({ POOLS_TASK_QUEUE: z.string().min(1) }),
);
const auth = loadEnv(authEnv);
const db = createDbPool(env.DATABASE_URL, { applicationName: 'poolflow-chaos-api' });
const redis = createRedis(env.REDIS_URL, env.REDIS_KEY_PREFIX);
const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: '10s' });
const app = createApp({
  temporal: new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter: poolflowDataConverter() }),
  db,
  redis,
  redisUrl: env.REDIS_URL,
  redisKeyPrefix: env.REDIS_KEY_PREFIX,
  log: createLogger('chaos-api'),
  authenticate: createAuthenticator(auth),
  poolsTaskQueue: env.POOLS_TASK_QUEUE,
  stripe: createStripe(env),
  stripeWebhookSecret: env.STRIPE_WEBHOOK_SECRET,
});
serve({ fetch: app.fetch, port: env.PORT, hostname: '127.0.0.1' }, () => process.stdout.write('ready\n'));
