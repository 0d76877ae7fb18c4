// The Stripe client factory: requests go to STRIPE_API_URL (here an in-process sandbox), the SDK does
// not retry on its own (Temporal does), and the request timeout is ours.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseEnv, stripeEnv } from '../config/env';
import type { Db } from '../db/pool';
import { testDb } from '../test/support/env';
import { createStripe } from './stripe-client';
import { type PaymentsTestKit, startPaymentsTestKit, TEST_WEBHOOK_SECRET } from '../test/support/payments-kit';

describe('createStripe', () => {
  let db: Db;
  let kit: PaymentsTestKit;

  before(async () => {
    db = testDb();
    kit = await startPaymentsTestKit(db);
  });
  after(async () => {
    await kit.close();
    await db.end();
  });

  const client = (timeoutMs?: number) =>
    createStripe(parseEnv(stripeEnv, { STRIPE_SECRET_KEY: kit.secretKey, STRIPE_API_URL: kit.sandbox.url, STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET }), {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });

  test('sends requests to STRIPE_API_URL', async () => {
    const customer = await client().customers.create({ name: 'factory' }, { idempotencyKey: 'factory-points-at-url' });
    const [request] = await kit.control.requests({ secretKey: kit.secretKey, idempotencyKey: 'factory-points-at-url' });
    assert.equal(request?.objectId, customer.id);
  });

  test('does not retry a failed request by itself', async () => {
    await kit.control.addFault({ kind: 'api_error', times: 5, method: 'POST', idempotencyKey: 'factory-no-retries' });
    await assert.rejects(client().customers.create({ name: 'factory' }, { idempotencyKey: 'factory-no-retries' }), { type: 'StripeAPIError' });
    assert.equal((await kit.control.requests({ secretKey: kit.secretKey, idempotencyKey: 'factory-no-retries' })).length, 1);
  });

  test('gives up after its request timeout', async () => {
    await kit.control.addFault({ kind: 'hang', holdMs: 5_000, method: 'POST', idempotencyKey: 'factory-timeout' });
    const startedMs = Date.now();
    await assert.rejects(client(250).customers.create({ name: 'factory' }, { idempotencyKey: 'factory-timeout' }), { type: 'StripeConnectionError' });
    assert.ok(Date.now() - startedMs < 2_000, 'well before the sandbox would have answered');
  });
});
