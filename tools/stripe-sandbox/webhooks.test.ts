// Webhook delivery as an app receives it: signatures that Stripe.webhooks.constructEvent accepts, the
// event envelope, the events of transfers and refunds, duplicates, delays, reordered batches, pause and
// flush, bounded retries, and endpoints scoped to one secret key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Stripe from 'stripe';
import {
  about,
  startTestSandbox,
  startWebhookReceiver,
  testWebhookSecret,
  uniqueKey,
  uniqueSecretKey,
  type TestSandbox,
  type WebhookReceiver,
} from './test-support';
import { arrange, signatureHeader, type EndpointSpec } from './webhooks';

let sandbox: TestSandbox;
const receivers: WebhookReceiver[] = [];

before(async () => {
  sandbox = await startTestSandbox();
});
after(async () => {
  await sandbox.close();
  await Promise.all(receivers.map((receiver) => receiver.close()));
});

/** A receiver with an endpoint that only gets this test's events (its own secret key). */
async function endpointFor(secretKey: string, spec: Partial<EndpointSpec> = {}, status?: (index: number) => number) {
  const receiver = await startWebhookReceiver(status ? { status } : {});
  receivers.push(receiver);
  const endpoint = await sandbox.client.addWebhookEndpoint({ url: receiver.url, secretKey, ...spec });
  return { receiver, endpoint };
}

const types = (deliveries: { event: Stripe.Event | undefined }[]) => deliveries.map((delivery) => delivery.event?.type);

/** The endpoint's delivery log once it holds `count` entries (an attempt is logged once it was answered). */
async function loggedDeliveries(endpointId: string, count: number, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await sandbox.client.deliveries({ endpointId });
    if (log.length >= count) return log;
    assert.ok(Date.now() < deadline, `expected ${count} logged deliveries, got ${log.length} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const objectIds = (deliveries: { event: Stripe.Event | undefined }[]) => deliveries.map((delivery) => (delivery.event?.data.object as { id: string }).id);

describe('signing and envelope', () => {
  test('constructEvent accepts every delivery; the envelope is Stripe’s', async () => {
    const secretKey = uniqueSecretKey();
    const { receiver } = await endpointFor(secretKey);
    const stripe = sandbox.stripe(secretKey);
    const customer = await stripe.customers.create({ email: 'hook@example.com' });
    const idempotencyKey = uniqueKey('charge');
    const intent = await stripe.paymentIntents.create(
      { amount: 900, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', confirm: true, off_session: true },
      { idempotencyKey },
    );
    const deliveries = await receiver.waitFor(2, about(intent.id));
    assert.deepEqual(types(deliveries), ['payment_intent.created', 'payment_intent.succeeded']);
    await receiver.waitFor(1, (delivery) => delivery.event?.type === 'charge.succeeded');
    for (const delivery of receiver.received) assert.equal(delivery.verifyError, undefined);
    const succeeded = deliveries.find((delivery) => delivery.event?.type === 'payment_intent.succeeded')!.event!;
    assert.match(succeeded.id, /^evt_\w{24}$/);
    assert.equal(succeeded.object, 'event');
    assert.equal(succeeded.livemode, false);
    assert.equal(succeeded.api_version, Stripe.API_VERSION);
    assert.equal(succeeded.pending_webhooks, 1);
    assert.equal(succeeded.request?.idempotency_key, idempotencyKey);
    assert.equal(succeeded.request?.id, intent.lastResponse.requestId);
    assert.ok(Math.abs(succeeded.created - Date.now() / 1000) < 10);
    assert.equal((succeeded.data.object as Stripe.PaymentIntent).status, 'succeeded');
    assert.equal((await stripe.events.retrieve(succeeded.id)).type, 'payment_intent.succeeded');
    // The header is exactly the SDK's own test header for the same payload and timestamp.
    const [first] = deliveries;
    const timestamp = Number(/t=(\d+)/.exec(first!.signature)![1]);
    assert.equal(first!.signature, Stripe.webhooks.generateTestHeaderString({ payload: first!.rawBody, secret: testWebhookSecret, timestamp }));
    assert.equal(first!.signature, signatureHeader(first!.rawBody, testWebhookSecret, timestamp));
  });

  test('a receiver holding another secret rejects the signature (and the sandbox retries)', async () => {
    const secretKey = uniqueSecretKey();
    const { receiver, endpoint } = await endpointFor(secretKey, { secret: 'whsec_not_the_receivers', retriesMax: 1, retryBaseMs: 20 });
    await sandbox.stripe(secretKey).customers.create({ email: 'wrong-secret@example.com' });
    const deliveries = await receiver.waitFor(2);
    for (const delivery of deliveries) assert.match(delivery.verifyError ?? '', /signature/i);
    const log = await sandbox.client.deliveries({ endpointId: endpoint.id });
    assert.deepEqual(
      log.map((record) => [record.attempt, record.status]),
      [
        [1, 400],
        [2, 400],
      ],
    );
  });

  test('transfers send transfer.created; refunds send refund.created and charge.refunded', async () => {
    const secretKey = uniqueSecretKey();
    const { receiver } = await endpointFor(secretKey, { eventTypes: ['transfer.created', 'refund.created', 'charge.refunded'] });
    const stripe = sandbox.stripe(secretKey);
    const account = await stripe.accounts.create({ type: 'express', country: 'US', capabilities: { transfers: { requested: true } } });
    await sandbox.client.onboardAccount(account.id);
    const transfer = await stripe.transfers.create({ amount: 700, currency: 'usd', destination: account.id });
    const customer = await stripe.customers.create({ email: 'refund@example.com' });
    const intent = await stripe.paymentIntents.create({
      amount: 900,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      off_session: true,
    });
    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 400 });
    const deliveries = await receiver.waitFor(3);
    assert.deepEqual(types(deliveries).sort(), ['charge.refunded', 'refund.created', 'transfer.created']);
    assert.equal(objectIds(deliveries.filter((delivery) => delivery.event?.type === 'transfer.created'))[0], transfer.id);
    assert.equal(objectIds(deliveries.filter((delivery) => delivery.event?.type === 'refund.created'))[0], refund.id);
    const refunded = deliveries.find((delivery) => delivery.event?.type === 'charge.refunded')!.event!;
    assert.equal((refunded.data.object as Stripe.Charge).amount_refunded, 400);
    assert.deepEqual(refunded.data.previous_attributes, { amount_refunded: 0, refunded: false });
  });
});

describe('delivery options', () => {
  test('copies: every event arrives that many times, with the same event id', async () => {
    const secretKey = uniqueSecretKey();
    const { receiver } = await endpointFor(secretKey, { copies: 3 });
    const customer = await sandbox.stripe(secretKey).customers.create({ email: 'dup@example.com' });
    const deliveries = await receiver.waitFor(3, about(customer.id));
    assert.equal(new Set(deliveries.map((delivery) => delivery.event?.id)).size, 1);
    // An endpoint's first attempts go out in the order its events were queued: once a later event's copies
    // have arrived, a fourth copy of the first would have too.
    const later = await sandbox.stripe(secretKey).customers.create({ email: 'later@example.com' });
    await receiver.waitFor(3, about(later.id));
    assert.equal(receiver.received.filter(about(customer.id)).length, 3);
  });

  test('delayMs: nothing arrives before the delay has passed', async () => {
    const secretKey = uniqueSecretKey();
    const { receiver } = await endpointFor(secretKey, { delayMs: 400 });
    const sentAtMs = Date.now();
    await sandbox.stripe(secretKey).customers.create({ email: 'late@example.com' });
    assert.equal(receiver.received.length, 0);
    const [delivery] = await receiver.waitFor(1);
    assert.ok(delivery!.receivedAtMs - sentAtMs >= 400, `arrived after ${delivery!.receivedAtMs - sentAtMs} ms`);
  });

  test('paused endpoints queue events; flush delivers the batch in reverse order', async () => {
    const secretKey = uniqueSecretKey();
    const { receiver, endpoint } = await endpointFor(secretKey, { paused: true, order: 'reverse', eventTypes: ['customer.created'] });
    const stripe = sandbox.stripe(secretKey);
    const created: string[] = [];
    for (let i = 0; i < 4; i++) created.push((await stripe.customers.create({ email: `c${i}@example.com` })).id);
    const queued = async () => (await sandbox.client.webhookEndpoints()).find((view) => view.id === endpoint.id)?.queued;
    // Releasing a batch empties the queue: four still queued means none was sent.
    assert.equal(await queued(), 4);
    assert.equal(receiver.received.length, 0);
    assert.deepEqual(await sandbox.client.flushWebhooks(endpoint.id), { flushed: 4 });
    assert.deepEqual(objectIds(receiver.received), [...created].reverse());
    // Still paused: later events wait again until the endpoint is resumed.
    const later = (await stripe.customers.create({ email: 'later@example.com' })).id;
    assert.equal(await queued(), 1);
    assert.equal(receiver.received.length, 4);
    await sandbox.client.updateWebhookEndpoint(endpoint.id, { paused: false });
    await receiver.waitFor(1, about(later));
  });

  test('a batch window shuffles with a seed: the order is the seeded permutation', async () => {
    const secretKey = uniqueSecretKey();
    const seed = 7;
    const { receiver } = await endpointFor(secretKey, { batchWindowMs: 500, order: 'shuffle', seed, eventTypes: ['customer.created'] });
    const stripe = sandbox.stripe(secretKey);
    const created = await Promise.all([0, 1, 2, 3, 4, 5].map(async (i) => (await stripe.customers.create({ email: `s${i}@example.com` })).id));
    const emitted = (await sandbox.client.events({ type: 'customer.created', secretKey })).map((event) => (event.data.object as { id: string }).id);
    assert.deepEqual([...emitted].sort(), [...created].sort());
    const deliveries = await receiver.waitFor(6);
    const expected = arrange(emitted, { order: 'shuffle', seed });
    assert.deepEqual(objectIds(deliveries), expected);
    assert.notDeepEqual(expected, emitted);
  });

  test('non-2xx answers are retried with backoff until one succeeds', async () => {
    const secretKey = uniqueSecretKey();
    const { receiver, endpoint } = await endpointFor(secretKey, { retryBaseMs: 50, retriesMax: 5 }, (index) => (index < 2 ? 500 : 200));
    await sandbox.stripe(secretKey).customers.create({ email: 'flaky@example.com' });
    await receiver.waitFor(3);
    // An attempt is logged once answered, and whether another follows is decided then: after the
    // successful third attempt's entry nothing more is sent.
    const log = await loggedDeliveries(endpoint.id, 3);
    assert.deepEqual(
      log.map((record) => [record.attempt, record.status]),
      [
        [1, 500],
        [2, 500],
        [3, 200],
      ],
    );
    assert.equal(new Set(receiver.received.map((delivery) => delivery.event?.id)).size, 1);
  });

  test('retries stop after retriesMax', async () => {
    const secretKey = uniqueSecretKey();
    const { receiver, endpoint } = await endpointFor(secretKey, { retryBaseMs: 20, retriesMax: 2 }, () => 503);
    await sandbox.stripe(secretKey).customers.create({ email: 'down@example.com' });
    await receiver.waitFor(3);
    // The last attempt allowed is logged once answered, and it schedules no other.
    const log = await loggedDeliveries(endpoint.id, 3);
    assert.deepEqual(
      log.map((record) => [record.attempt, record.status]),
      [
        [1, 503],
        [2, 503],
        [3, 503],
      ],
    );
    assert.equal(receiver.received.length, 3);
  });

  test('an endpoint scoped to a secret key never sees another key’s events', async () => {
    const mine = uniqueSecretKey();
    const { receiver } = await endpointFor(mine);
    await sandbox.stripe(uniqueSecretKey()).customers.create({ email: 'theirs@example.com' });
    const own = await sandbox.stripe(mine).customers.create({ email: 'mine@example.com' });
    // The other key's event was emitted first: had the endpoint taken it, it would have arrived first.
    const [delivery] = await receiver.waitFor(1);
    assert.equal((delivery!.event!.data.object as { id: string }).id, own.id);
    assert.equal(receiver.received.length, 1);
  });
});

test('arrange: reverse and seeded shuffle are permutations; the same seed gives the same order', () => {
  const items = Array.from({ length: 20 }, (_, index) => index);
  assert.deepEqual(arrange(items, { order: 'reverse', seed: 1 }), [...items].reverse());
  const once = arrange(items, { order: 'shuffle', seed: 42 });
  assert.deepEqual(arrange(items, { order: 'shuffle', seed: 42 }), once);
  assert.notDeepEqual(arrange(items, { order: 'shuffle', seed: 43 }), once);
  assert.deepEqual(
    [...once].sort((a, b) => a - b),
    items,
  );
  assert.notDeepEqual(once, items);
});
