// Connections to the test stack that `npm test` (scripts/test.sh) starts. Tests never start services
// themselves and never skip: when a variable is missing they fail saying how to run them.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createRedis, type Redis } from '../../cache/redis';
import { createDbPool, type Db } from '../../db/pool';
import { createStripe, type Stripe } from '../../payments/stripe-client';
import { installTemporalRuntime } from '../../observability/temporal-logger';
import { FAILURE_CONVERTER_PATH, poolflowDataConverter } from '../../temporal-config/data-converter';
import { workflowInterceptorModules, WORKFLOWS_PATH } from '../../workers/pools/worker';
import { tracingClientInterceptor, workflowTracing, type WorkflowTracing } from '../../observability/temporal-tracing';

// Test output shows the SDK's warnings and errors only; worker state changes would drown the results.
installTemporalRuntime('WARN', { forwardCoreLogs: false });

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\`, which starts the test stack and sets it`);
  return value;
}

export const testConfig = {
  get databaseUrl() {
    return required('DATABASE_URL');
  },
  get redisUrl() {
    return required('REDIS_URL');
  },
  get temporalAddress() {
    return required('TEMPORAL_ADDRESS');
  },
  /** The stack's Stripe sandbox (tools/stripe-sandbox/), stateful and with test-mode behaviour. */
  get stripeApiUrl() {
    return required('STRIPE_API_URL');
  },
  /** stripe-mock itself, the upstream for sandboxes a test starts on its own. */
  get stripeMockUrl() {
    return required('STRIPE_MOCK_URL');
  },
  /** The test stack's mail catcher: SMTP in, and an HTTP API to read what arrived. */
  get smtpUrl() {
    return required('SMTP_URL');
  },
  get mailCatcherUrl() {
    return required('MAIL_CATCHER_URL');
  },
  get testServerPath() {
    return required('TEMPORAL_TEST_SERVER_PATH');
  },
  namespace: 'default',
};

/** A short unique identifier for the names a test creates (pools, queues, key prefixes). */
export function uniqueId(prefix = 't'): string {
  return `${prefix}-${randomUUID().slice(0, 12)}`;
}

export function testDb(): Db {
  return createDbPool(testConfig.databaseUrl, { applicationName: 'poolflow-test', connectionsMax: 20 });
}

/** A Redis client confined to its own key prefix, so test files running side by side never collide. */
export function testRedis(prefix = `${uniqueId('test')}:`): Redis {
  return createRedis(testConfig.redisUrl, prefix);
}

/** A Stripe client for `baseUrl` (a sandbox a test started) or the test stack's Stripe server. */
export function testStripe(baseUrl = testConfig.stripeApiUrl): Stripe {
  return createStripe({ STRIPE_SECRET_KEY: 'sk_test_poolflow', STRIPE_API_URL: baseUrl, STRIPE_WEBHOOK_SECRET: 'whsec_test' });
}

export async function devServerClient(): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: testConfig.temporalAddress });
  return {
    client: new Client({
      connection,
      namespace: testConfig.namespace,
      dataConverter: poolflowDataConverter(),
      interceptors: { workflow: [tracingClientInterceptor()] },
    }),
    connection,
  };
}

export function devServerWorkerConnection(): Promise<NativeConnection> {
  return NativeConnection.connect({ address: testConfig.temporalAddress });
}

/** The time-skipping test server, from the binary the test stack installed (never a download). */
export function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testConfig.testServerPath } },
    client: { dataConverter: poolflowDataConverter(), interceptors: { workflow: [tracingClientInterceptor()] } },
  });
}

const bundles = new Map<WorkflowTracing, Promise<WorkflowBundleWithSourceMap>>();
/**
 * The workflow bundle, built once per test process and kind of tracing and shared by every worker it
 * creates; by default with the workflow tracing this process's tracing calls for, as a worker's would be.
 */
export function workflowBundle(tracing: WorkflowTracing = workflowTracing()): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(tracing);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: workflowInterceptorModules(tracing),
      failureConverterPath: FAILURE_CONVERTER_PATH,
      logger: quietBundlerLogger,
    });
    bundles.set(tracing, bundle);
  }
  return bundle;
}

const ignore = () => {};
const quietBundlerLogger = { trace: ignore, debug: ignore, info: ignore, log: ignore, warn: ignore, error: console.error };
