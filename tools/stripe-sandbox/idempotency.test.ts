// Stripe's Idempotency-Key semantics as the SDK sees them: replay with Idempotent-Replayed, 400
// idempotency_error on different parameters, keys per secret key, replayed declines, keys freed by
// failed validation, 409 while the first request runs, and keys forgotten on expiry.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Stripe from 'stripe';
import { startTestSandbox, uniqueKey, uniqueSecretKey, type TestSandbox } from './test-support';

let sandbox: TestSandbox;

before(async () => {
  sandbox = await startTestSandbox();
});
after(async () => {
  await sandbox.close();
});

async function newCustomer(stripe: Stripe): Promise<string> {
  return (await stripe.customers.create({ email: 'idem@example.com' })).id;
}

const charge = (customer: string, amount = 1_200, paymentMethod = 'pm_card_visa'): Stripe.PaymentIntentCreateParams => ({
  amount,
  currency: 'usd',
  customer,
  payment_method: paymentMethod,
  confirm: true,
  off_session: true,
  metadata: { pool: 'p1', round: '3' },
});

test('the same key with the same parameters replays the first response, marked Idempotent-Replayed', async () => {
  const secretKey = uniqueSecretKey();
  const stripe = sandbox.stripe(secretKey);
  const customer = await newCustomer(stripe);
  const idempotencyKey = uniqueKey('charge');
  const first = await stripe.paymentIntents.create(charge(customer), { idempotencyKey });
  const second = await stripe.paymentIntents.create(charge(customer), { idempotencyKey });
  assert.equal(second.id, first.id);
  assert.equal(second.lastResponse.headers['idempotent-replayed'], 'true');
  assert.equal(first.lastResponse.headers['idempotent-replayed'], undefined);
  assert.equal(second.lastResponse.headers['original-request'], first.lastResponse.requestId);
  const [effects] = await sandbox.client.effects({ idempotencyKey, secretKey });
  assert.deepEqual(effects, { idempotencyKey, secretKey, requests: 2, replays: 1, objectIds: [first.id] });
  assert.equal((await sandbox.client.objects({ type: 'payment_intent', secretKey })).length, 1);
});

test('the same key with different parameters is a 400 idempotency_error', async () => {
  const stripe = sandbox.stripe(uniqueSecretKey());
  const customer = await newCustomer(stripe);
  const idempotencyKey = uniqueKey('charge');
  await stripe.paymentIntents.create(charge(customer), { idempotencyKey });
  await assert.rejects(stripe.paymentIntents.create(charge(customer, 1_300), { idempotencyKey }), (error: unknown) => {
    assert.ok(error instanceof Stripe.errors.StripeIdempotencyError, String(error));
    assert.equal(error.rawType, 'idempotency_error');
    assert.equal(error.statusCode, 400);
    assert.match(error.message, /same parameters/);
    return true;
  });
  // Another endpoint under the same key is refused too.
  await assert.rejects(stripe.customers.create({ email: 'x@example.com' }, { idempotencyKey }), Stripe.errors.StripeIdempotencyError);
});

test('a replay answers what the first request answered, even after the object changed', async () => {
  const stripe = sandbox.stripe(uniqueSecretKey());
  const customer = await newCustomer(stripe);
  const idempotencyKey = uniqueKey('processing');
  const first = await stripe.paymentIntents.create(charge(customer, 1_200, 'pm_card_sandbox_processing'), { idempotencyKey });
  assert.equal(first.status, 'processing');
  await sandbox.client.settlePaymentIntent(first.id);
  assert.equal((await stripe.paymentIntents.retrieve(first.id)).status, 'succeeded');
  const replay = await stripe.paymentIntents.create(charge(customer, 1_200, 'pm_card_sandbox_processing'), { idempotencyKey });
  assert.equal(replay.id, first.id);
  assert.equal(replay.status, 'processing');
});

test('keys belong to a secret key: the same key under another secret key creates its own object', async () => {
  const idempotencyKey = uniqueKey('shared');
  const created: string[] = [];
  for (const secretKey of [uniqueSecretKey(), uniqueSecretKey()]) {
    const stripe = sandbox.stripe(secretKey);
    created.push((await stripe.paymentIntents.create(charge(await newCustomer(stripe)), { idempotencyKey })).id);
  }
  assert.notEqual(created[0], created[1]);
});

test('a declined charge is replayed as the same 402, without a second PaymentIntent', async () => {
  const secretKey = uniqueSecretKey();
  const stripe = sandbox.stripe(secretKey);
  const customer = await newCustomer(stripe);
  const idempotencyKey = uniqueKey('declined');
  const attempt = () =>
    stripe.paymentIntents.create(charge(customer, 1_200, 'pm_card_chargeDeclined'), { idempotencyKey }).then(
      () => assert.fail('expected a decline'),
      (error: unknown) => error as Stripe.errors.StripeCardError,
    );
  const first = await attempt();
  const second = await attempt();
  assert.ok(second instanceof Stripe.errors.StripeCardError);
  assert.equal(second.payment_intent?.id, first.payment_intent?.id);
  assert.equal(second.headers?.['idempotent-replayed'], 'true');
  assert.equal((await sandbox.client.objects({ type: 'payment_intent', secretKey })).length, 1);
});

test('a request that fails validation saves nothing: the key can then be used with valid parameters', async () => {
  const stripe = sandbox.stripe(uniqueSecretKey());
  const customer = await newCustomer(stripe);
  const idempotencyKey = uniqueKey('invalid-first');
  await assert.rejects(
    stripe.paymentIntents.create({ currency: 'usd', customer } as Stripe.PaymentIntentCreateParams, { idempotencyKey }),
    (error: unknown) => error instanceof Stripe.errors.StripeInvalidRequestError && /amount/.test(error.message),
  );
  const intent = await stripe.paymentIntents.create(charge(customer), { idempotencyKey });
  assert.equal(intent.status, 'succeeded');
});

test('a retry while the first request is still running gets 409 idempotency_key_in_use', async () => {
  const secretKey = uniqueSecretKey();
  const stripe = sandbox.stripe(secretKey);
  const customer = await newCustomer(stripe);
  const idempotencyKey = uniqueKey('slow');
  await sandbox.client.addFault({ kind: 'latency', holdMs: 500, idempotencyKey });
  const slow = stripe.paymentIntents.create(charge(customer), { idempotencyKey });
  await new Promise((resolve) => setTimeout(resolve, 150));
  await assert.rejects(stripe.paymentIntents.create(charge(customer), { idempotencyKey }), (error: unknown) => {
    assert.ok(error instanceof Stripe.errors.StripeError);
    assert.equal(error.statusCode, 409);
    assert.equal(error.code, 'idempotency_key_in_use');
    return true;
  });
  assert.equal((await slow).status, 'succeeded');
  const [effects] = await sandbox.client.effects({ idempotencyKey, secretKey });
  assert.equal(effects?.objectIds.length, 1);
});

test('an expired key runs again and creates a second object, as after Stripe’s 24 hours', async () => {
  const secretKey = uniqueSecretKey();
  const stripe = sandbox.stripe(secretKey);
  const customer = await newCustomer(stripe);
  const idempotencyKey = uniqueKey('old');
  const first = await stripe.paymentIntents.create(charge(customer), { idempotencyKey });
  const otherKey = uniqueKey('kept');
  const kept = await stripe.paymentIntents.create(charge(customer), { idempotencyKey: otherKey });
  assert.deepEqual(await sandbox.client.expireIdempotencyKeys({ secretKey, idempotencyKey }), { expired: 1 });
  const second = await stripe.paymentIntents.create(charge(customer), { idempotencyKey });
  assert.notEqual(second.id, first.id);
  assert.equal((await stripe.paymentIntents.create(charge(customer), { idempotencyKey: otherKey })).id, kept.id);
  const [effects] = await sandbox.client.effects({ idempotencyKey, secretKey });
  assert.deepEqual(effects?.objectIds, [first.id, second.id]);
});
