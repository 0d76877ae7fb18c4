// Helpers for the sandbox's tests: an in-process sandbox in front of the test stack's stripe-mock, the
// real `stripe` SDK pointed at it, and a webhook receiver that verifies deliveries with constructEvent.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { createSandboxClient, type SandboxClient } from './client';
import { startSandbox, type RunningSandbox, type SandboxOptions } from './server';

export const testWebhookSecret = 'whsec_sandbox_tests_only';

/** stripe-mock of the test stack (scripts/test.sh sets STRIPE_MOCK_URL; before the sandbox, STRIPE_API_URL). */
export function stripeMockUrl(): string {
  const url = process.env.STRIPE_MOCK_URL ?? process.env.STRIPE_API_URL;
  if (!url) throw new Error('STRIPE_MOCK_URL is not set: run the tests with `bash scripts/test.sh FILE`, which starts stripe-mock');
  return url;
}

/** A secret key of its own per test, so requests, effects and webhooks of different tests never mix. */
export function uniqueSecretKey(): string {
  return `sk_test_${randomUUID().replaceAll('-', '')}`;
}

export function uniqueKey(prefix = 'key'): string {
  return `${prefix}-${randomUUID()}`;
}

export interface TestSandbox {
  url: string;
  client: SandboxClient;
  /** The real SDK pointed at the sandbox, without retries (tests count requests exactly). */
  stripe: (secretKey: string, options?: { timeoutMs?: number; maxNetworkRetries?: number }) => Stripe;
  close: () => Promise<void>;
}

export async function startTestSandbox(options: Partial<SandboxOptions> = {}): Promise<TestSandbox> {
  const sandbox: RunningSandbox = await startSandbox({ upstreamUrl: stripeMockUrl(), webhookSecret: testWebhookSecret, ...options });
  const { hostname, port } = new URL(sandbox.url);
  return {
    url: sandbox.url,
    client: createSandboxClient(sandbox.url),
    stripe: (secretKey, { timeoutMs = 10_000, maxNetworkRetries = 0 } = {}) =>
      new Stripe(secretKey, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries, timeout: timeoutMs }),
    close: () => sandbox.close(),
  };
}

export interface ReceivedWebhook {
  rawBody: string;
  signature: string;
  receivedAtMs: number;
  /** The event as constructEvent returned it; undefined when verification failed. */
  event: Stripe.Event | undefined;
  verifyError: string | undefined;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Resolves with the deliveries once `count` of them (matching `keep`) arrived; rejects after `timeoutMs`. */
  waitFor: (count: number, keep?: (delivery: ReceivedWebhook) => boolean, timeoutMs?: number) => Promise<ReceivedWebhook[]>;
  close: () => Promise<void>;
}

/**
 * A webhook endpoint that verifies each delivery exactly as an app would (Stripe.webhooks.constructEvent
 * over the raw body) and answers `status(n)` to the n-th delivery (0-based), 200 unless told otherwise.
 */
export async function startWebhookReceiver(options: { secret?: string; status?: (deliveryIndex: number) => number } = {}): Promise<WebhookReceiver> {
  const secret = options.secret ?? testWebhookSecret;
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    void readAll(req).then((rawBody) => {
      const signature = String(req.headers['stripe-signature'] ?? '');
      let event: Stripe.Event | undefined;
      let verifyError: string | undefined;
      try {
        event = Stripe.webhooks.constructEvent(rawBody, signature, secret);
      } catch (error) {
        verifyError = error instanceof Error ? error.message : String(error);
      }
      const index = received.length;
      received.push({ rawBody, signature, receivedAtMs: Date.now(), event, verifyError });
      res.writeHead(options.status?.(index) ?? (verifyError ? 400 : 200)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const pollMs = 20;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    received,
    waitFor: async (count, keep = () => true, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = received.filter(keep);
        if (matching.length >= count) return matching;
        if (Date.now() > deadline) throw new Error(`expected ${count} webhook deliveries, got ${matching.length} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Deliveries whose verified event is about `objectId`. */
export function about(objectId: string): (delivery: ReceivedWebhook) => boolean {
  return (delivery) => (delivery.event?.data.object as { id?: string } | undefined)?.id === objectId;
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
