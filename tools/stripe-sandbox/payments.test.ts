// PaymentIntents, charges and refunds through the real `stripe` SDK against an in-process sandbox in
// front of the test stack's stripe-mock: each test card's outcome and error shape, retries with a new
// payment method, delayed settlement, search and list, saved cards, and refund limits.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Stripe from 'stripe';
import { about, startTestSandbox, startWebhookReceiver, uniqueKey, uniqueSecretKey, type TestSandbox, type WebhookReceiver } from './test-support';

let sandbox: TestSandbox;
let receiver: WebhookReceiver;

before(async () => {
  sandbox = await startTestSandbox({ settings: { settlementDelayMs: 300 } });
  receiver = await startWebhookReceiver();
  await sandbox.client.addWebhookEndpoint({ url: receiver.url });
});
after(async () => {
  await sandbox.close();
  await receiver.close();
});

async function customerWith(stripe: Stripe): Promise<Stripe.Customer> {
  return stripe.customers.create({ email: 'member@example.com', metadata: { member: uniqueKey('member') } });
}

function chargeParams(customer: string, paymentMethod: string, metadata: Record<string, string> = {}): Stripe.PaymentIntentCreateParams {
  return { amount: 2_500, currency: 'usd', customer, payment_method: paymentMethod, confirm: true, off_session: true, metadata };
}

/** The card error the SDK raised, checked to be a StripeCardError with the sandbox's 402. */
async function cardError(promise: Promise<unknown>): Promise<Stripe.errors.StripeCardError> {
  const error = await promise.then(
    () => assert.fail('expected a card error'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof Stripe.errors.StripeCardError, `expected StripeCardError, got ${String(error)}`);
  assert.equal(error.statusCode, 402);
  assert.equal(error.rawType, 'card_error');
  return error;
}

describe('test cards', () => {
  for (const card of ['pm_card_visa', 'pm_card_mastercard']) {
    test(`${card} succeeds, and the same PaymentIntent comes back on retrieve`, async () => {
      const stripe = sandbox.stripe(uniqueSecretKey());
      const customer = await customerWith(stripe);
      const intent = await stripe.paymentIntents.create(chargeParams(customer.id, card, { round: '1' }), { idempotencyKey: uniqueKey() });
      assert.equal(intent.status, 'succeeded');
      assert.equal(intent.amount_received, 2_500);
      assert.match(intent.id, /^pi_\w{24}$/);
      assert.deepEqual(intent.metadata, { round: '1' });
      assert.equal(intent.customer, customer.id);
      assert.equal(intent.last_payment_error, null);
      const charge = await stripe.charges.retrieve(intent.latest_charge as string);
      assert.equal(charge.status, 'succeeded');
      const expanded = await stripe.paymentIntents.retrieve(intent.id, { expand: ['latest_charge', 'customer'] });
      assert.equal((expanded.latest_charge as Stripe.Charge).id, charge.id);
      assert.equal((expanded.customer as Stripe.Customer).email, 'member@example.com');
      assert.equal((await stripe.paymentIntents.retrieve(intent.id)).latest_charge, charge.id);
      assert.equal(charge.amount_captured, 2_500);
      assert.equal(charge.payment_intent, intent.id);
      const { lastResponse: _created, ...createdFields } = intent;
      const { lastResponse: _fetched, ...fetchedFields } = await stripe.paymentIntents.retrieve(intent.id);
      assert.deepEqual(fetchedFields, createdFields);
    });
  }

  test('pm_card_chargeDeclined raises card_declined / generic_decline carrying the PaymentIntent', async () => {
    const stripe = sandbox.stripe(uniqueSecretKey());
    const customer = await customerWith(stripe);
    const error = await cardError(stripe.paymentIntents.create(chargeParams(customer.id, 'pm_card_chargeDeclined'), { idempotencyKey: uniqueKey() }));
    assert.equal(error.code, 'card_declined');
    assert.equal(error.decline_code, 'generic_decline');
    assert.equal(error.message, 'Your card was declined.');
    assert.match(error.charge ?? '', /^ch_/);
    const intent = error.payment_intent!;
    assert.equal(intent.status, 'requires_payment_method');
    assert.equal(intent.last_payment_error?.code, 'card_declined');
    const stored = await stripe.paymentIntents.retrieve(intent.id);
    assert.equal(stored.status, 'requires_payment_method');
    assert.equal(stored.last_payment_error?.decline_code, 'generic_decline');
    assert.equal((await stripe.charges.retrieve(error.charge!)).status, 'failed');
  });

  test('pm_card_chargeDeclinedInsufficientFunds raises card_declined / insufficient_funds', async () => {
    const stripe = sandbox.stripe(uniqueSecretKey());
    const customer = await customerWith(stripe);
    const error = await cardError(
      stripe.paymentIntents.create(chargeParams(customer.id, 'pm_card_chargeDeclinedInsufficientFunds'), { idempotencyKey: uniqueKey() }),
    );
    assert.equal(error.code, 'card_declined');
    assert.equal(error.decline_code, 'insufficient_funds');
    assert.equal(error.payment_intent?.status, 'requires_payment_method');
  });

  test('pm_card_authenticationRequired off-session raises authentication_required, PaymentIntent requires_payment_method', async () => {
    const stripe = sandbox.stripe(uniqueSecretKey());
    const customer = await customerWith(stripe);
    const error = await cardError(stripe.paymentIntents.create(chargeParams(customer.id, 'pm_card_authenticationRequired'), { idempotencyKey: uniqueKey() }));
    assert.equal(error.code, 'authentication_required');
    assert.equal(error.decline_code, 'authentication_required');
    assert.equal(error.payment_intent?.status, 'requires_payment_method');
    assert.equal((await stripe.paymentIntents.retrieve(error.payment_intent!.id)).status, 'requires_payment_method');
  });

  test('pm_card_authenticationRequired on-session waits in requires_action instead of failing', async () => {
    const stripe = sandbox.stripe(uniqueSecretKey());
    const customer = await customerWith(stripe);
    const intent = await stripe.paymentIntents.create({ ...chargeParams(customer.id, 'pm_card_authenticationRequired'), off_session: undefined });
    assert.equal(intent.status, 'requires_action');
    assert.equal(intent.next_action?.type, 'use_stripe_sdk');
    assert.equal(intent.latest_charge, null);
  });

  test('an unknown payment method is a 400 resource_missing and creates nothing', async () => {
    const secretKey = uniqueSecretKey();
    const stripe = sandbox.stripe(secretKey);
    const customer = await customerWith(stripe);
    await assert.rejects(stripe.paymentIntents.create(chargeParams(customer.id, 'pm_nothing_here')), (error: unknown) => {
      assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(error.code, 'resource_missing');
      assert.equal(error.param, 'payment_method');
      return true;
    });
    assert.deepEqual(await sandbox.client.objects({ type: 'payment_intent', secretKey }), []);
  });

  test('a declined PaymentIntent is confirmed again with a new payment method; a succeeded one cannot be', async () => {
    const stripe = sandbox.stripe(uniqueSecretKey());
    const customer = await customerWith(stripe);
    const error = await cardError(stripe.paymentIntents.create(chargeParams(customer.id, 'pm_card_chargeDeclined')));
    const retried = await stripe.paymentIntents.confirm(error.payment_intent!.id, { payment_method: 'pm_card_visa', off_session: true });
    assert.equal(retried.status, 'succeeded');
    assert.notEqual(retried.latest_charge, error.charge);
    await assert.rejects(stripe.paymentIntents.confirm(retried.id, { payment_method: 'pm_card_visa' }), (caught: unknown) => {
      assert.ok(caught instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(caught.code, 'payment_intent_unexpected_state');
      return true;
    });
  });

  test('a card attached to a customer gets its own id and keeps the test card’s behaviour', async () => {
    const stripe = sandbox.stripe(uniqueSecretKey());
    const customer = await customerWith(stripe);
    const saved = await stripe.paymentMethods.attach('pm_card_chargeDeclinedInsufficientFunds', { customer: customer.id });
    assert.match(saved.id, /^pm_\w{24}$/);
    assert.equal(saved.customer, customer.id);
    assert.equal(saved.card?.last4, '9995');
    assert.equal((await stripe.paymentMethods.retrieve(saved.id)).customer, customer.id);
    const error = await cardError(stripe.paymentIntents.create(chargeParams(customer.id, saved.id)));
    assert.equal(error.decline_code, 'insufficient_funds');
  });
});

describe('settlement', () => {
  test('pm_card_sandbox_processing stays processing, then settles to succeeded with a webhook', async () => {
    const stripe = sandbox.stripe(uniqueSecretKey());
    const customer = await customerWith(stripe);
    const intent = await stripe.paymentIntents.create(chargeParams(customer.id, 'pm_card_sandbox_processing'));
    assert.equal(intent.status, 'processing');
    assert.equal((await stripe.paymentIntents.retrieve(intent.id)).status, 'processing');
    const [settled] = await receiver.waitFor(1, (delivery) => delivery.event?.type === 'payment_intent.succeeded' && about(intent.id)(delivery));
    assert.equal((settled!.event!.data.object as Stripe.PaymentIntent).status, 'succeeded');
    assert.equal(settled!.event!.request?.id, null);
    assert.equal((await stripe.paymentIntents.retrieve(intent.id)).status, 'succeeded');
  });

  test('pm_card_sandbox_processingDeclined settles to payment_failed; the control API settles at once', async () => {
    await sandbox.client.updateSettings({ settlementDelayMs: 60_000 });
    try {
      const stripe = sandbox.stripe(uniqueSecretKey());
      const customer = await customerWith(stripe);
      const intent = await stripe.paymentIntents.create(chargeParams(customer.id, 'pm_card_sandbox_processingDeclined'));
      assert.equal(intent.status, 'processing');
      const settled = await sandbox.client.settlePaymentIntent(intent.id);
      assert.equal(settled.settled, true);
      const stored = await stripe.paymentIntents.retrieve(intent.id);
      assert.equal(stored.status, 'requires_payment_method');
      assert.equal(stored.last_payment_error?.decline_code, 'insufficient_funds');
      await receiver.waitFor(1, (delivery) => delivery.event?.type === 'payment_intent.payment_failed' && about(intent.id)(delivery));
      assert.equal((await sandbox.client.settlePaymentIntent(intent.id)).settled, false);
    } finally {
      await sandbox.client.updateSettings({ settlementDelayMs: 300 });
    }
  });
});

describe('search and list', () => {
  test("search finds PaymentIntents by metadata['k']:'v' AND …, and nothing else", async () => {
    const stripe = sandbox.stripe(uniqueSecretKey());
    const customer = await customerWith(stripe);
    const pool = uniqueKey('pool');
    const first = await stripe.paymentIntents.create(chargeParams(customer.id, 'pm_card_visa', { pool, round: '1' }));
    const second = await stripe.paymentIntents.create(chargeParams(customer.id, 'pm_card_visa', { pool, round: '2' }));
    await stripe.paymentIntents.create(chargeParams(customer.id, 'pm_card_visa', { pool: uniqueKey('other'), round: '1' }));
    const roundOne = await stripe.paymentIntents.search({ query: `metadata['pool']:'${pool}' AND metadata['round']:'1'` });
    assert.deepEqual(
      roundOne.data.map((intent) => intent.id),
      [first.id],
    );
    const both = await stripe.paymentIntents.search({ query: `metadata["pool"]:"${pool}" and status:'succeeded'` });
    assert.deepEqual(both.data.map((intent) => intent.id).sort(), [first.id, second.id].sort());
    await assert.rejects(stripe.paymentIntents.search({ query: `metadata['pool']:'${pool}' OR status:'succeeded'` }), Stripe.errors.StripeInvalidRequestError);
  });

  test('search lags behind writes by searchLagMs, as Stripe’s index does', async () => {
    await sandbox.client.updateSettings({ searchLagMs: 60_000 });
    try {
      const stripe = sandbox.stripe(uniqueSecretKey());
      const customer = await customerWith(stripe);
      const pool = uniqueKey('pool');
      await stripe.paymentIntents.create(chargeParams(customer.id, 'pm_card_visa', { pool }));
      assert.equal((await stripe.paymentIntents.search({ query: `metadata['pool']:'${pool}'` })).data.length, 0);
      await sandbox.client.updateSettings({ searchLagMs: 0 });
      assert.equal((await stripe.paymentIntents.search({ query: `metadata['pool']:'${pool}'` })).data.length, 1);
    } finally {
      await sandbox.client.updateSettings({ searchLagMs: 0 });
    }
  });

  test('list by customer pages newest first', async () => {
    const stripe = sandbox.stripe(uniqueSecretKey());
    const customer = await customerWith(stripe);
    const created: string[] = [];
    for (let i = 0; i < 3; i++) created.push((await stripe.paymentIntents.create(chargeParams(customer.id, 'pm_card_visa'))).id);
    const firstPage = await stripe.paymentIntents.list({ customer: customer.id, limit: 2 });
    assert.deepEqual(
      firstPage.data.map((intent) => intent.id),
      [created[2], created[1]],
    );
    assert.equal(firstPage.has_more, true);
    const secondPage = await stripe.paymentIntents.list({ customer: customer.id, limit: 2, starting_after: created[1] });
    assert.deepEqual(
      secondPage.data.map((intent) => intent.id),
      [created[0]],
    );
    assert.equal(secondPage.has_more, false);
  });
});

describe('refunds', () => {
  test('refunds may add up to the captured amount and not one unit more', async () => {
    const stripe = sandbox.stripe(uniqueSecretKey());
    const customer = await customerWith(stripe);
    const intent = await stripe.paymentIntents.create(chargeParams(customer.id, 'pm_card_visa'));
    const partial = await stripe.refunds.create({ payment_intent: intent.id, amount: 1_000 }, { idempotencyKey: uniqueKey() });
    assert.equal(partial.status, 'succeeded');
    assert.equal(partial.amount, 1_000);
    assert.equal((await stripe.refunds.retrieve(partial.id)).amount, 1_000);
    await assert.rejects(stripe.refunds.create({ payment_intent: intent.id, amount: 1_501 }), (error: unknown) => {
      assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(error.rawType, 'invalid_request_error');
      assert.equal(error.statusCode, 400);
      assert.equal(error.param, 'amount');
      return true;
    });
    const rest = await stripe.refunds.create({ payment_intent: intent.id });
    assert.equal(rest.amount, 1_500);
    const charge = await stripe.charges.retrieve(intent.latest_charge as string);
    assert.equal(charge.amount_refunded, 2_500);
    assert.equal(charge.refunded, true);
    await assert.rejects(stripe.refunds.create({ payment_intent: intent.id, amount: 1 }), (error: unknown) => {
      assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(error.code, 'charge_already_refunded');
      return true;
    });
    const refunds = await stripe.refunds.list({ payment_intent: intent.id });
    assert.deepEqual(refunds.data.map((refund) => refund.amount).sort(), [1_000, 1_500]);
  });

  test('a PaymentIntent without a successful charge cannot be refunded', async () => {
    const stripe = sandbox.stripe(uniqueSecretKey());
    const customer = await customerWith(stripe);
    const error = await cardError(stripe.paymentIntents.create(chargeParams(customer.id, 'pm_card_chargeDeclined')));
    await assert.rejects(stripe.refunds.create({ payment_intent: error.payment_intent!.id }), Stripe.errors.StripeInvalidRequestError);
    await assert.rejects(stripe.refunds.create({ payment_intent: 'pi_unknown' }), (caught: unknown) => {
      assert.ok(caught instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(caught.code, 'resource_missing');
      return true;
    });
  });
});
