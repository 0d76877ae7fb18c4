// The shared Stripe rate limiter against a real sandbox and Redis: a burst of 10,000 charges from four
// "workers" (each its own Redis connection and Stripe client) reaches Stripe no faster than the
// configured rate, the rest being refused at once to be retried later; a 429 with Retry-After holds
// back every worker of the account, not just the one that got it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from '../cache/redis';
import { createSandboxClient, type SandboxClient } from '../tools/stripe-sandbox/client';
import { startSandbox } from '../tools/stripe-sandbox/server';
import { testConfig, testRedis, uniqueId } from '../test/support/env';
import { retryAfterMs } from './rate-limited-http-client';
import { createStripe } from './stripe-client';
import { createStripeRateLimiter, type StripeRateLimits, stripeEndpoint } from './stripe-rate-limit';

const WORKERS = 4;
const CHARGES = 10_000;

describe('Stripe rate limiter', () => {
  // The stack's sandbox, in its own process, so that the 10,000 refusals handled here do not delay the
  // moments at which it records the charges; a secret key of the test's own keeps its records apart.
  let control: SandboxClient;
  const redisClients: Redis[] = [];

  before(() => {
    control = createSandboxClient(testConfig.stripeApiUrl);
  });
  after(() => {
    for (const redis of redisClients) redis.disconnect();
  });

  /** One Stripe client per simulated worker, all on one account and one Redis key prefix. */
  function workers(secretKey: string, limits: StripeRateLimits, stripeApiUrl = testConfig.stripeApiUrl) {
    const prefix = `${uniqueId('stripe-rate')}:`;
    return Array.from({ length: WORKERS }, () => {
      const redis = testRedis(prefix);
      redisClients.push(redis);
      const rateLimiter = createStripeRateLimiter(redis, secretKey, limits);
      return createStripe({ STRIPE_SECRET_KEY: secretKey, STRIPE_API_URL: stripeApiUrl, STRIPE_WEBHOOK_SECRET: 'whsec_rate_limit' }, { rateLimiter });
    });
  }

  const newSecretKey = () => `sk_test_${uniqueId('rl').replace(/[^A-Za-z0-9]/g, '')}`;

  test('a burst of 10,000 charges reaches Stripe no faster than the configured rate', async () => {
    const ratePerSecond = 40;
    const burst = 4;
    const waitMaxMs = 3_000;
    const secretKey = newSecretKey();
    const clients = workers(secretKey, { globalPerSecond: ratePerSecond, endpointPerSecond: ratePerSecond, searchPerSecond: 20, burst, waitMaxMs });

    const startedMs = performance.now();
    const startedAtMs = Date.now();
    const outcomes = await Promise.all(
      Array.from({ length: CHARGES }, (_, i) =>
        clients[i % WORKERS]!.paymentIntents.create(
          {
            amount: 2_500,
            currency: 'usd',
            payment_method: 'pm_card_visa',
            confirm: true,
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          },
          { idempotencyKey: `burst-charge-${i}` },
        ).then(
          () => 'sent' as const,
          (error: { type?: string; detail?: { name?: string; message?: string } }) => {
            // The limiter refused the slot: the SDK reports it as a connection error, which the
            // activity's retry policy retries later. Anything else is a failure of the test.
            assert.equal(error.type, 'StripeConnectionError');
            assert.match(String(error.detail?.message ?? error), /Stripe rate limit: POST \/v1\/payment_intents would wait/);
            return 'refused' as const;
          },
        ),
      ),
    );
    const elapsedS = (performance.now() - startedMs) / 1_000;
    const sent = outcomes.filter((o) => o === 'sent').length;

    const received = (await control.requests({ secretKey, method: 'POST', pathPrefix: '/v1/payment_intents' }))
      .map((r) => Date.parse(r.at))
      .sort((a, b) => a - b);
    assert.equal(received.length, sent, 'every admitted charge, and only those, reached the sandbox');
    // Most of the burst is refused at once; what was admitted is bounded by the rate below. (How many
    // get in depends on how long the 10,000 reservations take to be made, which a loaded machine
    // stretches, so it is not a fixed number.)
    assert.ok(sent >= ratePerSecond * 2 && sent <= CHARGES / 4, `sent ${sent} of ${CHARGES}`);
    assert.ok(elapsedS < 60, `the burst took ${elapsedS.toFixed(1)} s`);

    // From the burst's start to the last charge Stripe saw, no more than the rate plus the burst: slots
    // start with the burst and a charge never leaves before its slot (a stalled machine only delays).
    // Per-second windows are not asserted: a process that stalls for seconds (as this one does on a
    // loaded machine, creating 10,000 requests) sends the slots it slept through together.
    const spanS = (received.at(-1)! - startedAtMs) / 1_000;
    assert.ok(sent - burst <= ratePerSecond * spanS + 1, `${sent} charges in ${spanS.toFixed(2)} s exceed ${ratePerSecond}/s`);
  });

  test('a 429 with Retry-After holds back every worker on the account for that long', async (t) => {
    // A sandbox of this file's own, which this version of the sandbox code runs (Retry-After faults).
    const sandbox = await startSandbox({ upstreamUrl: testConfig.stripeMockUrl, webhookSecret: 'whsec_rate_limit' });
    t.after(() => sandbox.close());
    const control = createSandboxClient(sandbox.url);
    const secretKey = newSecretKey();
    const limits = { globalPerSecond: 1_000, endpointPerSecond: 1_000, searchPerSecond: 1_000, burst: 10, waitMaxMs: 10_000 };
    const [first, second] = workers(secretKey, limits, sandbox.url);
    await control.addFault({ kind: 'rate_limit', retryAfterSeconds: 2, times: 1, secretKey, method: 'POST', pathPrefix: '/v1/customers' });

    const charged = first!.customers.create({ name: 'rate limited' }, { idempotencyKey: 'retry-after-customer' });
    // The other worker asks a moment after the 429 arrived: it waits for the same pause.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const read = second!.customers.list({ limit: 1 });
    const [customer] = await Promise.all([charged, read]);

    const requests = await control.requests({ secretKey });
    const creates = requests.filter((r) => r.method === 'POST');
    assert.deepEqual(
      creates.map((r) => r.status),
      [429, 200],
      'the 429 was absorbed and the create sent again',
    );
    assert.equal(creates[1]!.objectId, customer.id);
    const limitedAt = Date.parse(creates[0]!.at);
    const list = requests.find((r) => r.method === 'GET')!;
    assert.ok(Date.parse(creates[1]!.at) - limitedAt >= 1_900, 'the create waited for Retry-After');
    assert.ok(Date.parse(list.at) - limitedAt >= 1_900, 'the other worker waited for Retry-After too');
  });

  test('names endpoints as Stripe counts them and reads Retry-After', () => {
    assert.equal(stripeEndpoint('get', '/v1/payment_intents/pi_3MtwBwLkdIwHu7ix28a3tqPa?expand[]=x'), 'GET /v1/payment_intents/{id}');
    assert.equal(stripeEndpoint('POST', '/v1/payment_intents'), 'POST /v1/payment_intents');
    assert.equal(stripeEndpoint('GET', '/v1/payment_intents/search'), 'GET /v1/payment_intents/search');
    assert.equal(stripeEndpoint('POST', '/v1/customers/cus_Ab12Cd34Ef56/sources'), 'POST /v1/customers/{id}/sources');
    assert.equal(retryAfterMs('2'), 2_000);
    assert.equal(retryAfterMs('0.5'), 500);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 7_000), 3_000);
    assert.equal(retryAfterMs(undefined), undefined);
    assert.equal(retryAfterMs('soon'), undefined);
  });

  test('refuses limits that are not positive', () => {
    assert.throws(
      () =>
        createStripeRateLimiter(redisClients[0]!, 'sk_test_x', { globalPerSecond: 0, endpointPerSecond: 25, searchPerSecond: 20, burst: 1, waitMaxMs: 1_000 }),
      /globalPerSecond/,
    );
  });
});
