// The assessments product over the test stack, for its tests and benchmarks: the API (with its Stripe
// webhook endpoint served over HTTP, registered with a Stripe sandbox of the file's own), an assessments
// worker on a queue of its own, the risk monitor in-process, prices published straight into Redis, and
// helpers for traders, purchases and ticks. Everything is closed again by close().
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, type NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Role } from '../../api/auth';
import type { Redis } from '../../cache/redis';
import { findAssessment, type AssessmentRow } from '../../db/assessments/assessments';
import { seedPresetPacks } from '../../db/assessments/seed-presets';
import type { Db } from '../../db/pool';
import { createLogger } from '../../observability/log';
import { startPaymentsTestKit, TEST_WEBHOOK_SECRET, type PaymentsTestKit } from './payments-kit';
import type { SandboxSettings } from '../../tools/stripe-sandbox/state';
import { FAILURE_CONVERTER_PATH } from '../../temporal-config/data-converter';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { assessmentViewQuery } from '../../workflows/assessments/assessment';
import { ASSESSMENT_WORKFLOWS_PATH, createAssessmentsWorker } from '../../workers/assessments-worker';
import { publishTick } from '../../workers/assessments/market-data/publisher';
import { createRiskMonitor } from '../../workers/assessments/risk-monitor/monitor';
import { WORKFLOW_INTERCEPTORS_PATH } from '../../workers/pools/worker';
import { testApiDeps, testApp, tokenFor } from './api';
import { devServerClient, devServerWorkerConnection, testDb, testRedis, uniqueId } from './env';
import { startTestProcess, type TestProcess } from './worker-process';

const quiet = () => {};
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The assessment workflows, bundled once per test process. */
export function assessmentWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: ASSESSMENT_WORKFLOWS_PATH,
    workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH],
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { trace: quiet, debug: quiet, info: quiet, log: quiet, warn: quiet, error: console.error },
  });
  return bundle;
}

export interface AssessmentHarness {
  db: Db;
  redis: Redis;
  kit: PaymentsTestKit;
  client: Client;
  taskQueue: string;
  keyPrefix: string;
  baseUrl: string;
  /** The sandbox's webhook endpoint delivering to the API (pause it, or make it send copies). */
  endpointId: string;
  monitor: ReturnType<typeof createRiskMonitor>;
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    sub: string,
    role: Role,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T }>;
  /** A trader with a profile and a saved card from the sandbox's test cards. */
  trader(card?: string): Promise<string>;
  /** Publishes a price now (or at `atMs`). */
  tick(symbol: string, price: string, atMs?: number): Promise<void>;
  /** Waits until the assessment's row satisfies `ready`. */
  waitFor(assessmentId: string, ready: (row: AssessmentRow) => boolean, timeoutMs?: number): Promise<AssessmentRow>;
  close(): Promise<void>;
}

export async function startAssessmentHarness(
  options: { sandbox?: Partial<SandboxSettings>; monitor?: boolean; worker?: boolean } = {},
): Promise<AssessmentHarness> {
  const taskQueue = uniqueId('assess');
  const keyPrefix = `${uniqueId('assess')}:`;
  const db = testDb();
  const redis = testRedis(keyPrefix);
  const reader = testRedis(keyPrefix);
  await seedPresetPacks(db);
  const kit = await startPaymentsTestKit(db, options.sandbox ?? {});
  const { client, connection } = await devServerClient();
  const workerConnection: NativeConnection = await devServerWorkerConnection();
  // Without an in-process worker, the test runs workers of its own (in child processes it may kill).
  const worker: Worker | null =
    options.worker === false
      ? null
      : await createAssessmentsWorker({
          connection: workerConnection,
          namespace: 'default',
          db,
          redis,
          stripe: kit.stripe,
          taskQueue,
          workflowBundle: await assessmentWorkflowBundle(),
        });
  const running = worker ? worker.run() : Promise.resolve();
  const app = testApp({
    ...testApiDeps({
      temporal: client,
      db,
      redis,
      stripe: kit.stripe,
      poolsTaskQueue: uniqueId('pools'),
      redisKeyPrefix: keyPrefix,
      stripeWebhookSecret: TEST_WEBHOOK_SECRET,
    }),
    assessmentsTaskQueue: taskQueue,
  });
  const server: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const endpoint = await kit.control.addWebhookEndpoint({ url: `${baseUrl}/v1/webhooks/stripe`, secretKey: kit.secretKey });

  const began = async (assessmentId: string) =>
    (await client.workflow
      .getHandle(workflowIds.assessment(assessmentId))
      .query(assessmentViewQuery)
      .catch(() => null)) !== null;
  const monitor = createRiskMonitor({ db, redis, reader, temporal: client, log: createLogger('risk-monitor-test') });
  const stopMonitor = new AbortController();
  const monitoring = options.monitor === false ? Promise.resolve() : monitor.run(stopMonitor.signal);

  async function call<T>(method: string, path: string, sub: string, role: Role, body?: unknown, headers: Record<string, string> = {}) {
    const all: Record<string, string> = { authorization: `Bearer ${await tokenFor(sub, role)}`, ...headers };
    if (body !== undefined) all['content-type'] ??= 'application/json';
    if (method === 'POST') all['idempotency-key'] ??= uniqueId('idem');
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: all,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (an SVG, say): the text as it is.
    }
    return { status: response.status, body: parsed as T };
  }

  return {
    db,
    redis,
    kit,
    client,
    taskQueue,
    keyPrefix,
    baseUrl,
    endpointId: endpoint.id,
    monitor,
    call,
    async trader(card = 'pm_card_visa') {
      const traderId = uniqueId('trader');
      const profile = await call('PUT', '/v1/traders/me', traderId, 'trader', {
        displayName: `Trader ${traderId.slice(-4)}`,
        email: `${traderId}@example.com`,
      });
      if (profile.status !== 200) throw new Error(`profile: ${profile.status} ${JSON.stringify(profile.body)}`);
      const saved = await call('POST', '/v1/traders/me/payment-methods', traderId, 'trader', { paymentMethodId: card });
      if (saved.status !== 201) throw new Error(`card: ${saved.status} ${JSON.stringify(saved.body)}`);
      return traderId;
    },
    async tick(symbol, price, atMs = Date.now()) {
      await publishTick(redis, { symbol, price, atMs });
    },
    async waitFor(assessmentId, ready, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const row = await findAssessment(db, assessmentId);
        // The row turns active as the workflow's begin activity returns, a moment before the workflow
        // itself takes commands: an active row is ready once the workflow answers with its view.
        if (row && ready(row) && (row.status !== 'active' || (await began(assessmentId)))) return row;
        if (Date.now() > deadline) throw new Error(`assessment ${assessmentId} never got there: ${JSON.stringify(row)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      stopMonitor.abort();
      await monitoring;
      server.close();
      worker?.shutdown();
      await running;
      await workerConnection.close();
      await (connection as Connection).close();
      await kit.close();
      await db.end();
      redis.disconnect();
      reader.disconnect();
    },
  };
}

/** Starts an assessments worker on the harness' queue in a child process a test may SIGKILL. */
export async function startAssessmentsWorkerProcess(h: AssessmentHarness): Promise<TestProcess> {
  bundleFile ??= (async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'poolflow-assessments-bundle-')), 'workflows.js');
    await writeFile(path, (await assessmentWorkflowBundle()).code);
    return path;
  })();
  const env = { ASSESSMENTS_TASK_QUEUE: h.taskQueue, STRIPE_API_URL: h.kit.sandbox.url, STRIPE_SECRET_KEY: h.kit.secretKey, REDIS_KEY_PREFIX: h.keyPrefix };
  return startTestProcess('test/support/assessments-worker-process.ts', env, { name: 'assessments worker process', workflowBundlePath: await bundleFile });
}

let bundleFile: Promise<string> | undefined;
