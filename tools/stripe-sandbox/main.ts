// The sandbox process (`node --import tsx tools/stripe-sandbox/main.ts`): a Stripe test-mode emulator in front of
// stripe-mock, configured from the environment, stopped cleanly by SIGTERM or SIGINT.
import { loadEnv } from '../../config/env';
import { createLogger } from '../../observability/log';
import { sandboxEnv } from './config';
import { startSandbox } from './server';

const env = loadEnv(sandboxEnv);
const log = createLogger('stripe-sandbox');
const sandbox = await startSandbox({
  upstreamUrl: env.STRIPE_MOCK_URL,
  webhookSecret: env.STRIPE_WEBHOOK_SECRET,
  webhookUrls: env.SANDBOX_WEBHOOK_URLS,
  port: env.SANDBOX_PORT,
  host: env.SANDBOX_HOST,
  settings: { settlementDelayMs: env.SANDBOX_SETTLEMENT_DELAY_MS },
  log,
});
log.info('webhook endpoints', { urls: env.SANDBOX_WEBHOOK_URLS });

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  log.info('stripe sandbox stopping', { signal, url: sandbox.url });
  void sandbox.close().then(() => process.exit(0));
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
