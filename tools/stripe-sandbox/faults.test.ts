// Fault injection through the control API, as the SDK experiences it: 429, 500 and custom errors
// before anything happens, 500 / hang / dropped connection after the effect ("Stripe did it but the
// caller never heard"), matching rules, and the request record that counts effects per key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Stripe from 'stripe';
import { startTestSandbox, uniqueKey, uniqueSecretKey, type TestSandbox } from './test-support';

let sandbox: TestSandbox;

before(async () => {
  sandbox = await startTestSandbox();
});
after(async () => {
  await sandbox.close();
});

async function setup(options: { timeoutMs?: number } = {}) {
  const secretKey = uniqueSecretKey();
  const stripe = sandbox.stripe(secretKey, options);
  const customer = (await stripe.customers.create({ email: 'fault@example.com' })).id;
  const charge = (idempotencyKey: string) =>
    stripe.paymentIntents.create(
      { amount: 3_000, currency: 'usd', customer, payment_method: 'pm_card_visa', confirm: true, off_session: true, metadata: { round: '4' } },
      { idempotencyKey },
    );
  const intents = async () => (await sandbox.client.objects({ type: 'payment_intent', secretKey })).map((view) => view.id);
  const effects = async (idempotencyKey: string) => (await sandbox.client.effects({ secretKey, idempotencyKey }))[0];
  return { secretKey, stripe, charge, intents, effects };
}

describe('before the effect', () => {
  test('rate_limit answers 429 (StripeRateLimitError) and performs nothing', async () => {
    const { secretKey, charge, intents } = await setup();
    const idempotencyKey = uniqueKey();
    await sandbox.client.addFault({ kind: 'rate_limit', method: 'POST', pathPrefix: '/v1/payment_intents', secretKey });
    await assert.rejects(charge(idempotencyKey), (error: unknown) => {
      assert.ok(error instanceof Stripe.errors.StripeRateLimitError, String(error));
      assert.equal(error.statusCode, 429);
      assert.equal(error.code, 'rate_limit');
      return true;
    });
    assert.deepEqual(await intents(), []);
    const intent = await charge(idempotencyKey);
    assert.deepEqual(await intents(), [intent.id]);
  });

  test('api_error answers 500 (StripeAPIError); the retry with the same key runs for the first time', async () => {
    const { secretKey, charge, intents, effects } = await setup();
    const idempotencyKey = uniqueKey();
    await sandbox.client.addFault({ kind: 'api_error', idempotencyKey, secretKey });
    await assert.rejects(charge(idempotencyKey), (error: unknown) => error instanceof Stripe.errors.StripeAPIError && error.statusCode === 500);
    assert.deepEqual(await intents(), []);
    const intent = await charge(idempotencyKey);
    assert.deepEqual(await effects(idempotencyKey), { idempotencyKey, secretKey, requests: 2, replays: 0, objectIds: [intent.id] });
  });

  test('error answers a custom Stripe error, such as a transfer refused for lack of balance', async () => {
    const secretKey = uniqueSecretKey();
    const stripe = sandbox.stripe(secretKey);
    const account = await stripe.accounts.create({ type: 'express', country: 'US', capabilities: { transfers: { requested: true } } });
    await sandbox.client.onboardAccount(account.id);
    await sandbox.client.addFault({
      kind: 'error',
      pathPrefix: '/v1/transfers',
      secretKey,
      status: 400,
      error: { type: 'invalid_request_error', code: 'balance_insufficient', message: 'You have insufficient available funds in your Stripe account.' },
    });
    await assert.rejects(stripe.transfers.create({ amount: 100, currency: 'usd', destination: account.id }), (error: unknown) => {
      assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(error.code, 'balance_insufficient');
      return true;
    });
    assert.deepEqual(await sandbox.client.objects({ type: 'transfer', secretKey }), []);
  });

  test('hang holds the request until the client times out; nothing was performed', async () => {
    const { secretKey, charge, intents } = await setup({ timeoutMs: 300 });
    const idempotencyKey = uniqueKey();
    await sandbox.client.addFault({ kind: 'hang', idempotencyKey, secretKey, holdMs: 5_000 });
    await assert.rejects(charge(idempotencyKey), (error: unknown) => error instanceof Stripe.errors.StripeConnectionError);
    assert.deepEqual(await intents(), []);
    const [record] = await sandbox.client.requests({ idempotencyKey, secretKey });
    assert.equal(record?.outcome, 'hung');
    assert.equal(record?.status, null);
  });

  test('drop closes the connection; the SDK retries a closed connection once by itself, with the same key', async () => {
    const { secretKey, charge, effects } = await setup();
    const idempotencyKey = uniqueKey();
    await sandbox.client.addFault({ kind: 'drop', idempotencyKey, secretKey });
    const intent = await charge(idempotencyKey);
    assert.equal(intent.status, 'succeeded');
    assert.deepEqual(await effects(idempotencyKey), { idempotencyKey, secretKey, requests: 2, replays: 0, objectIds: [intent.id] });
    const records = await sandbox.client.requests({ idempotencyKey, secretKey });
    assert.deepEqual(
      records.map((record) => record.outcome),
      ['dropped', 'answered'],
    );
  });
});

describe('after the effect: Stripe did it, the caller never heard', () => {
  test('api_error after: the PaymentIntent exists; the retry with the same key replays it', async () => {
    const { secretKey, charge, intents, effects } = await setup();
    const idempotencyKey = uniqueKey();
    await sandbox.client.addFault({ kind: 'api_error', when: 'after', idempotencyKey, secretKey });
    await assert.rejects(charge(idempotencyKey), Stripe.errors.StripeAPIError);
    const [created] = await intents();
    assert.ok(created);
    const retried = await charge(idempotencyKey);
    assert.equal(retried.id, created);
    assert.equal(retried.lastResponse.headers['idempotent-replayed'], 'true');
    assert.deepEqual(await effects(idempotencyKey), { idempotencyKey, secretKey, requests: 2, replays: 1, objectIds: [created] });
  });

  test('hang after: the caller times out although the charge succeeded', async () => {
    const { secretKey, charge, intents } = await setup({ timeoutMs: 300 });
    const idempotencyKey = uniqueKey();
    await sandbox.client.addFault({ kind: 'hang', when: 'after', idempotencyKey, secretKey, holdMs: 5_000 });
    await assert.rejects(charge(idempotencyKey), Stripe.errors.StripeConnectionError);
    const [created] = await sandbox.client.objects({ type: 'payment_intent', secretKey });
    assert.equal((created?.object as Stripe.PaymentIntent).status, 'succeeded');
    assert.equal((await charge(idempotencyKey)).id, created?.id);
    assert.equal((await intents()).length, 1);
  });

  test('drop after, once: the SDK’s own reconnect gets the replay', async () => {
    const { secretKey, charge, effects } = await setup();
    const idempotencyKey = uniqueKey();
    await sandbox.client.addFault({ kind: 'drop', when: 'after', idempotencyKey, secretKey });
    const intent = await charge(idempotencyKey);
    assert.equal(intent.lastResponse.headers['idempotent-replayed'], 'true');
    assert.deepEqual(await effects(idempotencyKey), { idempotencyKey, secretKey, requests: 2, replays: 1, objectIds: [intent.id] });
  });

  test('drop after, twice: the SDK gives up (StripeConnectionError) but exactly one charge exists', async () => {
    const { secretKey, charge, intents, effects } = await setup();
    const idempotencyKey = uniqueKey();
    await sandbox.client.addFault({ kind: 'drop', when: 'after', idempotencyKey, secretKey, times: 2 });
    await assert.rejects(charge(idempotencyKey), Stripe.errors.StripeConnectionError);
    assert.equal((await intents()).length, 1);
    const intent = await charge(idempotencyKey);
    assert.deepEqual(await effects(idempotencyKey), { idempotencyKey, secretKey, requests: 3, replays: 2, objectIds: [intent.id] });
  });
});

describe('matching and bookkeeping', () => {
  test('a fault catches only matching requests, `times` times, and can be listed and removed', async () => {
    const { secretKey, stripe, charge } = await setup();
    const fault = await sandbox.client.addFault({ kind: 'rate_limit', method: 'POST', pathPrefix: '/v1/refunds', secretKey, times: 2 });
    assert.equal(fault.remaining, 2);
    const intent = await charge(uniqueKey());
    await stripe.paymentIntents.retrieve(intent.id);
    await assert.rejects(stripe.refunds.create({ payment_intent: intent.id, amount: 1 }), Stripe.errors.StripeRateLimitError);
    assert.equal((await sandbox.client.faults()).find((listed) => listed.id === fault.id)?.remaining, 1);
    await sandbox.client.removeFault(fault.id);
    assert.equal(
      (await sandbox.client.faults()).some((listed) => listed.id === fault.id),
      false,
    );
    assert.equal((await stripe.refunds.create({ payment_intent: intent.id, amount: 1 })).status, 'succeeded');

    const keyed = uniqueKey();
    await sandbox.client.addFault({ kind: 'api_error', idempotencyKey: keyed, secretKey });
    assert.equal((await charge(uniqueKey())).status, 'succeeded');
    await assert.rejects(charge(keyed), Stripe.errors.StripeAPIError);
  });

  test('a bad fault is refused with the reason', async () => {
    await assert.rejects(sandbox.client.addFault({ kind: 'rate_limit', when: 'after' }), /use when "before"/);
    await assert.rejects(sandbox.client.addFault({ kind: 'error', status: 400 }), /needs `status` and `error`/);
  });

  test('the request record keeps method, path, key, params, status, created object and replays', async () => {
    const { secretKey, stripe, charge } = await setup();
    const idempotencyKey = uniqueKey();
    const intent = await charge(idempotencyKey);
    await charge(idempotencyKey);
    await stripe.paymentIntents.retrieve(intent.id);
    const records = await sandbox.client.requests({ secretKey, pathPrefix: '/v1/payment_intents' });
    assert.deepEqual(
      records.map((record) => [record.method, record.path, record.idempotencyKey, record.status, record.objectId, record.replayed]),
      [
        ['POST', '/v1/payment_intents', idempotencyKey, 200, intent.id, false],
        ['POST', '/v1/payment_intents', idempotencyKey, 200, null, true],
        ['GET', `/v1/payment_intents/${intent.id}`, null, 200, null, false],
      ],
    );
    assert.deepEqual(records[0]?.params.metadata, { round: '4' });
    assert.equal(records[0]?.params.amount, '3000');
  });
});
