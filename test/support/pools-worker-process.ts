// A pools worker in a process of its own, for tests that kill it (SIGKILL) in the middle of a round: the
// same wiring as workers/main.ts through createPoolsWorker, on POOLS_TASK_QUEUE, optionally with a
// workflow bundle the test built once (WORKFLOW_BUNDLE_PATH). Prints "ready" on stdout once it polls.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { createMailer } from '../../activities/notifications/mailer';
import { loadEnv, stripeEnv } from '../../config/env';
import { openProcess, processEnv } from '../../config/process';
import { createStripe } from '../../payments/stripe-client';
import { installTemporalRuntime } from '../../observability/temporal-logger';
import { createPoolsWorker } from '../../workers/pools/worker';
import { exitWithParent } from './child-lifetime';

exitWithParent();

const env = loadEnv(
  processEnv.extend(stripeEnv.shape).extend({
    POOLS_TASK_QUEUE: z.string().min(1),
    WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
    SDK_METRICS_BIND_ADDRESS: z.string().min(1).optional(),
    NOTIFICATIONS_SMTP_URL: z.string().min(1).optional(),
  }),
);
// With SDK_METRICS_BIND_ADDRESS, the SDK's Prometheus endpoint, as workers/main.ts serves it.
installTemporalRuntime('WARN', env.SDK_METRICS_BIND_ADDRESS ? { metricsBindAddress: env.SDK_METRICS_BIND_ADDRESS } : {});

const resources = openProcess('test-worker', env);
const { db, redis } = resources;
// With NOTIFICATIONS_SMTP_URL the worker also delivers notices, mailing through that server.
const mailer = env.NOTIFICATIONS_SMTP_URL ? createMailer({ smtpUrl: env.NOTIFICATIONS_SMTP_URL, from: 'Poolflow tests <notices@poolflow.test>' }) : undefined;
if (mailer) resources.closing(() => mailer.close());
const connection = await resources.workerConnection();
const client = await resources.temporalClient();
try {
  const worker = await createPoolsWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    client,
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
  await resources.close();
}
