// The API in a process of its own, for the chaos suite to SIGKILL: the same app as api/main.ts, on the
// pools task queue and port it is given, with the test authenticator. Prints "ready" once it listens.
import { serve } from '@hono/node-server';
import { z } from 'zod';
import { createApp } from '../../api/app';
import { createAuthenticator } from '../../api/auth';
import { authEnv, httpEnv, loadEnv, stripeEnv } from '../../config/env';
import { openProcess, processEnv } from '../../config/process';
import { createLogger } from '../../observability/log';
import { createStripe } from '../../payments/stripe-client';
import { exitWithParent } from '../support/child-lifetime';

exitWithParent();

const env = loadEnv(
  processEnv
    .extend(stripeEnv.shape)
    .extend(httpEnv.shape)
    .extend({ POOLS_TASK_QUEUE: z.string().min(1) }),
);
const auth = loadEnv(authEnv);
const { db, redis, temporalClient } = openProcess('chaos-api', env);
const app = createApp({
  temporal: await temporalClient(),
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
