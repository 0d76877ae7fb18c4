// The API over a real pools worker on the dev server, for API tests: a Stripe sandbox of the test's own
// (payments/test-support.ts), the app wired to the test stack, and everything closed again after.
import type { Client, Connection } from '@temporalio/client';
import type { Hono } from 'hono';
import type { AppEnv } from '../../api/context';
import type { Redis } from '../../cache/redis';
import type { Db } from '../../db/pool';
import { startPaymentsTestKit, TEST_WEBHOOK_SECRET, type PaymentsTestKit } from '../../payments/test-support';
import type { SandboxSettings } from '../../sandbox/state';
import { createPoolsWorker } from '../../workers/pools-worker';
import { testApiDeps, testApp } from './api';
import { devServerClient, devServerWorkerConnection, testDb, testRedis, uniqueId, workflowBundle } from './env';

export interface ApiHarness {
  app: Hono<AppEnv>;
  db: Db;
  redis: Redis;
  kit: PaymentsTestKit;
  client: Client;
  taskQueue: string;
  close(): Promise<void>;
}

export async function startApiHarness(sandboxSettings: Partial<SandboxSettings> = {}): Promise<ApiHarness> {
  const taskQueue = uniqueId('api');
  const keyPrefix = `${uniqueId('api')}:`;
  const db = testDb();
  const redis = testRedis(keyPrefix);
  const kit = await startPaymentsTestKit(db, sandboxSettings);
  const { client, connection } = await devServerClient();
  const workerConnection = await devServerWorkerConnection();
  const worker = await createPoolsWorker({ connection: workerConnection, namespace: 'default', client, db, redis, stripe: kit.stripe, taskQueue, workflowBundle: await workflowBundle() });
  const running = worker.run();
  const app = testApp(testApiDeps({ temporal: client, db, redis, stripe: kit.stripe, poolsTaskQueue: taskQueue, redisKeyPrefix: keyPrefix, stripeWebhookSecret: TEST_WEBHOOK_SECRET }));
  return {
    app,
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
      await db.end();
      redis.disconnect();
    },
  };
}
