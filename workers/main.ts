// The worker process: connects to Temporal, the database and Redis, runs the pools worker until
// SIGTERM/SIGINT, lets it drain in-flight tasks, then closes its connections.
import { createMailer } from '../activities/notifications/mailer';
import { loadEnv, notificationsEnv, webhookPolicyFrom } from '../config/env';
import { modeEnv, refuseUnsafeSecrets } from '../config/mode';
import { openService, serviceEnv } from '../config/process';
import { createStripe, stripeRateLimiterFromEnv } from '../payments/stripe-client';
import { createWebhookRouter } from '../payments/webhook-router';
import { createLogger } from '../observability/log';
import { serveMetrics } from '../observability/metrics';
import { registerOperationalGauges } from '../observability/operational-gauges';
import { installTemporalRuntime } from '../observability/temporal-logger';
import { ensurePlatformSweepSchedules } from '../temporal-config/platform-schedules';
import { createAssessmentsWorker } from './assessments-worker';
import { createPoolsWorker } from './pools/worker';
import { tracingClientInterceptor } from '../observability/temporal-tracing';

const WEBHOOK_REDELIVERY_INTERVAL_MS = 30_000;
/** How often handled webhook events past their retention period are deleted. */
const WEBHOOK_PURGE_INTERVAL_MS = 60 * 60_000;

const env = loadEnv(serviceEnv.extend(notificationsEnv.shape));
const mode = loadEnv(modeEnv).POOLFLOW_MODE;
refuseUnsafeSecrets(mode, env, { jwt: false });
const service = openService('worker', env);
const log = createLogger('worker');
installTemporalRuntime('INFO', { metricsBindAddress: `${env.METRICS_HOST}:${env.TEMPORAL_METRICS_PORT}` });

const { db, redis } = service;
// Every worker and API process shares one Stripe rate limit through Redis.
const stripe = createStripe(env, { rateLimiter: stripeRateLimiterFromEnv(redis, env) });
const mailer = createMailer({ smtpUrl: env.SMTP_URL, from: env.MAIL_FROM });
service.closing(() => mailer.close());
const connection = await service.workerConnection();
const client = await service.temporalClient([tracingClientInterceptor()]);
registerOperationalGauges({ db, client });
const metricsServer = await serveMetrics(env.WORKER_METRICS_PORT, env.METRICS_HOST);
try {
  // The SDK's runtime turns SIGINT/SIGTERM into worker.shutdown(); run() resolves once tasks drained.
  const notifications = { mailer, webhookPolicy: webhookPolicyFrom(env, mode) };
  const worker = await createPoolsWorker({ connection, namespace: env.TEMPORAL_NAMESPACE, client, db, redis, stripe, notifications });
  await ensurePlatformSweepSchedules(client, worker.options.taskQueue);
  const assessmentsWorker = await createAssessmentsWorker({ connection, namespace: env.TEMPORAL_NAMESPACE, db, redis, stripe });
  log.info('worker started', { taskQueues: [worker.options.taskQueue, assessmentsWorker.options.taskQueue], namespace: env.TEMPORAL_NAMESPACE });
  // Webhook events whose signal could not be delivered (the workflow was not running yet, Temporal was
  // briefly away) are sent again from here, so no event is lost between deliveries from Stripe.
  const router = createWebhookRouter({ db, temporal: client, stripe, log });
  const redelivery = setInterval(() => {
    router.redeliverPending().catch((error: unknown) => log.warn('webhook re-delivery failed', { error }));
  }, WEBHOOK_REDELIVERY_INTERVAL_MS);
  // Handled webhook events are kept for WEBHOOK_EVENT_RETENTION.days, then deleted.
  const purge = setInterval(() => {
    router.purgeExpired().catch((error: unknown) => log.warn('webhook event purge failed', { error }));
  }, WEBHOOK_PURGE_INTERVAL_MS);
  // One worker failing stops the other too, so the process exits and is restarted whole.
  const stopBoth = (error: unknown) => {
    for (const running of [worker, assessmentsWorker]) if (running.getState() === 'RUNNING') running.shutdown();
    throw error;
  };
  await Promise.all([worker.run().catch(stopBoth), assessmentsWorker.run().catch(stopBoth)]);
  clearInterval(redelivery);
  clearInterval(purge);
  log.info('worker drained and stopped');
} catch (error) {
  log.error('worker failed', { error });
  process.exitCode = 1;
} finally {
  metricsServer.close();
  await service.close();
}
