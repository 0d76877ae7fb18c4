// The API over a real pools worker on the dev server, for API tests: a Stripe sandbox of the test's own
// (test/support/payments-kit.ts), the app wired to the test stack, and everything closed again after.
import type { Client, Connection } from '@temporalio/client';
import type { Hono } from 'hono';
import type { AppEnv } from '../../api/context';
import type { ApiDeps } from '../../api/deps';
import type { Redis } from '../../cache/redis';
import type { Db } from '../../db/pool';
import { startPaymentsTestKit, TEST_WEBHOOK_SECRET, type PaymentsTestKit } from './payments-kit';
import type { SandboxSettings } from '../../tools/stripe-sandbox/state';
import { createPoolsWorker } from '../../workers/pools/worker';
import { testApiDeps, testApp } from './api';
import type { EndpointPolicy } from '../../activities/notifications/endpoint-policy';
import { createMailer } from '../../activities/notifications/mailer';
import type { WorkflowTracing } from '../../observability/temporal-tracing';
import { devServerClient, devServerWorkerConnection, testConfig, testDb, testRedis, uniqueId, workflowBundle } from './env';

export interface ApiHarness {
  app: Hono<AppEnv>;
  /** What the app was built from, to build variants of it. */
  deps: ApiDeps;
  db: Db;
  redis: Redis;
  kit: PaymentsTestKit;
  client: Client;
  taskQueue: string;
  close(): Promise<void>;
}

export interface ApiHarnessOptions {
  /** Run the notifications on the worker (email to the test stack's mail catcher), with this endpoint policy. */
  notifications?: { webhookPolicy?: EndpointPolicy };
  /** The policy the API applies when managers register webhook endpoints. */
  webhookPolicy?: EndpointPolicy;
  /** The worker's workflow tracing; by default the one this process's tracing calls for, as in production. */
  tracing?: WorkflowTracing;
}

const OPEN_POLICY: EndpointPolicy = { httpsOnly: false, blockPrivateAddresses: false };

export async function startApiHarness(sandboxSettings: Partial<SandboxSettings> = {}, options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const taskQueue = uniqueId('api');
  const keyPrefix = `${uniqueId('api')}:`;
  const db = testDb();
  const redis = testRedis(keyPrefix);
  const kit = await startPaymentsTestKit(db, sandboxSettings);
  const { client, connection } = await devServerClient();
  const workerConnection = await devServerWorkerConnection();
  const mailer = options.notifications ? createMailer({ smtpUrl: testConfig.smtpUrl, from: 'Poolflow tests <notices@poolflow.test>' }) : undefined;
  const notifications = mailer ? { notifications: { mailer, webhookPolicy: options.notifications?.webhookPolicy ?? OPEN_POLICY } } : {};
  const worker = await createPoolsWorker({
    connection: workerConnection,
    namespace: 'default',
    client,
    db,
    redis,
    stripe: kit.stripe,
    taskQueue,
    workflowBundle: await workflowBundle(options.tracing),
    ...notifications,
  });
  const running = worker.run();
  const deps: ApiDeps = {
    ...testApiDeps({
      temporal: client,
      db,
      redis,
      stripe: kit.stripe,
      poolsTaskQueue: taskQueue,
      redisKeyPrefix: keyPrefix,
      stripeWebhookSecret: TEST_WEBHOOK_SECRET,
    }),
    webhookPolicy: options.webhookPolicy ?? OPEN_POLICY,
  };
  const app = testApp(deps);
  return {
    app,
    deps,
    db,
    redis,
    kit,
    client,
    taskQueue,
    async close() {
      worker.shutdown();
      await running;
      await workerConnection.close();
      await (connection as Connection).close();
      await kit.close();
      mailer?.close();
      await db.end();
      redis.disconnect();
    },
  };
}
