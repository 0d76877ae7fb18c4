// The API process: parses its environment, connects to Temporal, the database and Redis, serves the
// Hono app, and on SIGTERM/SIGINT stops accepting connections, finishes in-flight requests, then exits.
import { authEnv, fairUseEnv, httpEnv, loadEnv, notificationsEnv, webhookPolicyFrom } from '../config/env';
import { apiHost, modeEnv, refuseUnsafeSecrets } from '../config/mode';
import { openService, serviceEnv } from '../config/process';
import { createLogger } from '../observability/log';
import { serveMetrics } from '../observability/metrics';
import { requestIdClientInterceptor } from '../observability/request-context';
import { createStripe, stripeRateLimiterFromEnv } from '../payments/stripe-client';
import { TASK_QUEUES } from '../temporal-config/task-queues';
import { createApp } from './app';
import { createAuthenticator } from './auth';
import { serveApi } from './http-server';
import { apiLimitsFromEnv } from './limits';
import { tracingClientInterceptor } from '../observability/temporal-tracing';

const SHUTDOWN_GRACE_MS = 10_000;

const env = loadEnv(serviceEnv.extend(httpEnv.shape));
const auth = loadEnv(authEnv);
const mode = loadEnv(modeEnv);
refuseUnsafeSecrets(mode.POOLFLOW_MODE, { ...env, ...auth }, { jwt: true });
const notifications = loadEnv(notificationsEnv);
const limits = apiLimitsFromEnv(loadEnv(fairUseEnv));
const log = createLogger('api');
const service = openService('api', env);
const { db, redis } = service;
const temporal = await service.temporalClient([tracingClientInterceptor(), requestIdClientInterceptor()]);

const app = createApp({
  temporal,
  db,
  redis,
  redisUrl: env.REDIS_URL,
  redisKeyPrefix: env.REDIS_KEY_PREFIX,
  log,
  authenticate: createAuthenticator(auth),
  poolsTaskQueue: TASK_QUEUES.pools,
  stripe: createStripe(env, { rateLimiter: stripeRateLimiterFromEnv(redis, env) }),
  stripeWebhookSecret: env.STRIPE_WEBHOOK_SECRET,
  stripeLivemode: /^(sk|rk)_live_/.test(env.STRIPE_SECRET_KEY),
  webhookPolicy: webhookPolicyFrom(notifications, mode.POOLFLOW_MODE),
  limits,
});
// Metrics on a port of their own, so the public API never exposes them.
const metricsServer = await serveMetrics(env.API_METRICS_PORT, env.METRICS_HOST);
const hostname = apiHost(mode);
const server = serveApi(app, { port: env.PORT, hostname, requestTimeoutMs: limits.requestTimeoutMs }, (port) =>
  log.info('api listening', { host: hostname, port, mode: mode.POOLFLOW_MODE }),
);

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  log.info('api stopping', { signal });
  // Requests still running after the grace period are cut off rather than holding the deploy hostage.
  setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
  server.close(() => {
    metricsServer.close();
    void service
      .close()
      .catch((error: unknown) => log.warn('closing the api failed', { error }))
      .then(() => process.exit(0));
  });
  if ('closeIdleConnections' in server) server.closeIdleConnections();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
