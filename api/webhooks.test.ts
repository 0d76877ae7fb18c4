// POST /v1/webhooks/stripe against PostgreSQL and the Temporal dev server, with a test-only listener
// workflow standing in for the round and pool workflows: signatures are verified over the raw body,
// each event is stored once, repeated and out-of-order deliveries change nothing, undelivered signals
// are sent again later, and — end to end — the Stripe sandbox's own signed, duplicated and reordered
// deliveries of a real charge reach the round workflow as exactly one signal per state.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { serve, type ServerType } from '@hono/node-server';
import type { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { createPaymentActivities } from '../activities/core/payments';
import type { Redis } from '../cache/redis';
import { findPaymentIntentById } from '../db/payments/payment-intents';
import { findWebhookEvent } from '../db/payments/webhook-events';
import type { Db } from '../db/pool';
import { createLogger } from '../observability/log';
import { movementMetadata } from '../payments/metadata';
import {
  type PaymentsTestKit,
  paymentTestWorkflowBundle,
  payingMember,
  startPaymentsTestKit,
  TEST_WEBHOOK_SECRET,
  withAgreements,
} from '../test/support/payments-kit';
import { createWebhookRouter } from '../payments/webhook-router';
import { workflowIds } from '../temporal-config/workflow-ids';
import { paymentSignalListener, receivedSignalsQuery, stopListeningSignal } from '../test/fixtures/workflows/payments';
import { testApiDeps } from '../test/support/api';
import { devServerClient, devServerWorkerConnection, testDb, testRedis, uniqueId } from '../test/support/env';
import { eventually } from '../test/support/eventually';
import type { PaymentIntentSignal, PaymentSignal } from '../workflows/core/payment-signals';
import { createApp } from './app';
import { poolflowDataConverter } from '../temporal-config/data-converter';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Stripe webhooks', () => {
  const taskQueue = uniqueId('webhooks');
  const poolId = uniqueId('pool');
  let db: Db;
  let redis: Redis;
  let kit: PaymentsTestKit;
  let client: Client;
  let connection: Connection;
  let workerConnection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let app: ReturnType<typeof createApp>;
  const listeners: WorkflowHandle[] = [];

  before(async () => {
    db = testDb();
    redis = testRedis();
    // Long enough that a processing charge is still processing when its first events are fetched back.
    kit = await startPaymentsTestKit(db, { settlementDelayMs: 1_500 });
    ({ client, connection } = await devServerClient());
    workerConnection = await devServerWorkerConnection();
    worker = await Worker.create({
      connection: workerConnection,
      namespace: 'default',
      taskQueue,
      workflowBundle: await paymentTestWorkflowBundle(),
      dataConverter: poolflowDataConverter(),
      activities: withAgreements(createPaymentActivities({ stripe: kit.stripe, db }), db),
    });
    running = worker.run();
    app = createApp(
      testApiDeps({
        temporal: client,
        db,
        redis,
        stripe: kit.stripe,
        poolsTaskQueue: taskQueue,
        redisKeyPrefix: 'webhooks-test:',
        stripeWebhookSecret: TEST_WEBHOOK_SECRET,
      }),
    );
  });

  after(async () => {
    await Promise.all(listeners.map((handle) => handle.signal(stopListeningSignal).catch(() => {})));
    worker.shutdown();
    await running;
    await workerConnection.close();
    await connection.close();
    await kit.close();
    await db.end();
    redis.disconnect();
  });

  /** Starts the stand-in for the workflow that `workflowId` names. */
  async function listen(workflowId: string): Promise<WorkflowHandle<typeof paymentSignalListener>> {
    const handle = await client.workflow.start(paymentSignalListener, { taskQueue, workflowId, workflowExecutionTimeout: '5m' });
    listeners.push(handle);
    return handle;
  }

  const received = (handle: WorkflowHandle<typeof paymentSignalListener>) => handle.query(receivedSignalsQuery);

  async function receivedAtLeast(handle: WorkflowHandle<typeof paymentSignalListener>, count: number, timeoutMs = 10_000): Promise<PaymentSignal[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const signals = await received(handle);
      if (signals.length >= count || Date.now() > deadline) return signals;
      await sleep(100);
    }
  }

  function post(body: string, signature?: string) {
    return app.request('/v1/webhooks/stripe', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'stripe-signature': signature }) },
    });
  }

  const sign = (body: string, secret = TEST_WEBHOOK_SECRET) => kit.stripe.webhooks.generateTestHeaderString({ payload: body, secret });
  const deliver = (event: object) => {
    const body = JSON.stringify(event);
    return post(body, sign(body));
  };

  let eventSeq = 0;
  /** A PaymentIntent event as Stripe sends it, for a contribution of this file's pool. */
  function paymentIntentEvent(
    type: string,
    created: number,
    pi: {
      id: string;
      status: string;
      memberId: string;
      round?: number;
      lastPaymentError?: { code: string; decline_code?: string; message: string };
      metadata?: Record<string, string>;
    },
  ) {
    const key = { poolId, round: pi.round ?? 1, memberId: pi.memberId, purpose: 'contribution' };
    return {
      id: `evt_test_${uniqueId('e').replace(/-/g, '')}_${++eventSeq}`,
      object: 'event',
      api_version: '2026-01-01',
      created,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
      data: {
        object: {
          id: pi.id,
          object: 'payment_intent',
          amount: 2500,
          currency: 'usd',
          customer: 'cus_test',
          payment_method: 'pm_test',
          status: pi.status,
          last_payment_error: pi.lastPaymentError ?? null,
          metadata: pi.metadata ?? movementMetadata('contribution', key),
        },
      },
    };
  }

  /** A contribution PaymentIntent that exists in the sandbox: confirmed with `card`, or left unconfirmed. */
  async function sandboxPaymentIntent(memberId: string, round: number, card: string | null): Promise<string> {
    const payer = await payingMember(kit, card ?? 'pm_card_visa');
    const key = { poolId, round, memberId, purpose: 'contribution' };
    const pi = await kit.stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      customer: payer.customerId,
      metadata: movementMetadata('contribution', key),
      ...(card ? { payment_method: payer.paymentMethodId, confirm: true, off_session: true } : {}),
    });
    return pi.id;
  }

  async function storedEventCount(eventId: string): Promise<number> {
    const { rows } = await db.query<{ n: bigint }>('SELECT count(*) AS n FROM stripe_webhook_events WHERE event_id = $1', [eventId]);
    return Number(rows[0]!.n);
  }

  describe('signature', () => {
    test('a missing, wrong or stale-body signature gets a 400 problem and stores nothing', async () => {
      const event = paymentIntentEvent('payment_intent.succeeded', 1_700_000_000, { id: `pi_${uniqueId('x')}`, status: 'succeeded', memberId: 'm1' });
      const body = JSON.stringify(event);
      const tampered = body.replace('"amount":2500', '"amount":1');
      const cases: Array<[string, string, string | undefined]> = [
        ['missing', body, undefined],
        ['wrong secret', body, sign(body, 'whsec_someone_else')],
        ['garbage', body, 't=1,v1=deadbeef'],
        ['body changed after signing', tampered, sign(body)],
        [
          'replayed old signature',
          body,
          kit.stripe.webhooks.generateTestHeaderString({ payload: body, secret: TEST_WEBHOOK_SECRET, timestamp: Math.floor(Date.now() / 1000) - 3_600 }),
        ],
        [
          'signed in the future',
          body,
          kit.stripe.webhooks.generateTestHeaderString({ payload: body, secret: TEST_WEBHOOK_SECRET, timestamp: Math.floor(Date.now() / 1000) + 3_600 }),
        ],
      ];
      for (const [what, payload, signature] of cases) {
        const response = await post(payload, signature);
        assert.equal(response.status, 400, what);
        assert.equal(response.headers.get('content-type'), 'application/problem+json', what);
      }
      assert.equal(await storedEventCount(event.id), 0);
      assert.equal(await findPaymentIntentById(db, event.data.object.id), null);
    });

    test('no byte of the body is read unless the signature header is well formed and fresh', async () => {
      const fresh = Math.floor(Date.now() / 1000);
      const mac = 'a'.repeat(64);
      const headers: Array<[string, string | undefined]> = [
        ['missing', undefined],
        ['no v1 signature', `t=${fresh}`],
        ['short v1 signature', `t=${fresh},v1=deadbeef`],
        ['no timestamp', `v1=${mac}`],
        ['too old', `t=${fresh - 3_600},v1=${mac}`],
        ['too long', `t=${fresh},v1=${mac},${'v0=x,'.repeat(300)}`],
      ];
      for (const [what, signature] of headers) {
        let pulls = 0;
        // highWaterMark 0: the stream is pulled only when someone reads the body.
        const body = new ReadableStream<Uint8Array>(
          {
            pull(controller) {
              pulls++;
              controller.enqueue(new Uint8Array(16 * 1024));
            },
          },
          { highWaterMark: 0 },
        );
        const response = await app.request('/v1/webhooks/stripe', {
          method: 'POST',
          body,
          duplex: 'half',
          headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'stripe-signature': signature }) },
        } as RequestInit);
        assert.equal(response.status, 400, what);
        assert.equal(pulls, 0, `${what}: the body was not read`);
      }
    });

    test('deliveries are limited per sending address before anything else is done', async () => {
      const limited = createApp({
        ...testApiDeps({
          temporal: client,
          db,
          redis,
          stripe: kit.stripe,
          poolsTaskQueue: taskQueue,
          redisKeyPrefix: 'webhooks-test:',
          stripeWebhookSecret: TEST_WEBHOOK_SECRET,
        }),
        webhookRateLimit: { name: `webhook-${uniqueId('limit')}`, requestsMax: 2, windowSeconds: 3_600, whenRedisDown: 'open' },
      });
      const from = (address: string) =>
        limited.request('/v1/webhooks/stripe', { method: 'POST', body: '{}' }, { incoming: { socket: { remoteAddress: address } } });
      assert.deepEqual([(await from('203.0.113.7')).status, (await from('203.0.113.7')).status], [400, 400]);
      const refused = await from('203.0.113.7');
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      assert.equal((await from('198.51.100.9')).status, 400, 'another address has its own allowance');
    });
  });

  test('an event of the other mode (live at a test-mode endpoint) is refused and stores nothing', async () => {
    const event = {
      ...paymentIntentEvent('payment_intent.succeeded', 1_700_000_050, { id: `pi_${uniqueId('live')}`, status: 'succeeded', memberId: 'm1' }),
      livemode: true,
    };
    const response = await deliver(event);
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { title: string }).title, 'Livemode Mismatch');
    assert.equal(await storedEventCount(event.id), 0);
  });

  describe('storing and routing', () => {
    test('an event is stored once and signalled to the round workflow; a duplicate delivery changes nothing', async () => {
      const memberId = uniqueId('member');
      const listener = await listen(workflowIds.round(poolId, 1));
      const event = paymentIntentEvent('payment_intent.succeeded', 1_700_000_100, {
        id: await sandboxPaymentIntent(memberId, 1, 'pm_card_visa'),
        status: 'succeeded',
        memberId,
      });

      const first = await deliver(event);
      assert.equal(first.status, 200);
      assert.deepEqual(await first.json(), { received: true, eventId: event.id, duplicate: false });
      const signals = await receivedAtLeast(listener, 1);
      const mine = signals.filter((s) => s.memberId === memberId);
      assert.equal(mine.length, 1);
      assert.deepEqual(mine[0], {
        eventId: event.id,
        eventCreated: 1_700_000_100,
        poolId,
        round: 1,
        memberId,
        purpose: 'contribution',
        idempotencyKey: `contribution:${poolId}:1:${memberId}:contribution`,
        amountMinor: '2500',
        currency: 'usd',
        paymentIntentId: event.data.object.id,
        status: 'succeeded',
        failureCode: null,
        declineCode: null,
      } satisfies PaymentIntentSignal);

      const again = await deliver(event);
      assert.equal(again.status, 200);
      assert.equal(((await again.json()) as { duplicate: boolean }).duplicate, true);
      // The router signals before it answers, and a query sees every signal sent before it: a second
      // signal would show now.
      assert.equal((await received(listener)).filter((s) => s.memberId === memberId).length, 1, 'no second signal');
      assert.equal(await storedEventCount(event.id), 1);
      const stored = await findWebhookEvent(db, event.id);
      assert.equal(stored?.outcome, 'signal');
      assert.ok(stored?.routedAt, 'marked routed');
      const row = await findPaymentIntentById(db, event.data.object.id);
      assert.equal(row?.status, 'succeeded');
      assert.equal(row?.statusSource, 'webhook');
      assert.equal(row?.statusEventId, event.id);
    });

    test('out-of-order deliveries are harmless: an older processing never overwrites succeeded', async () => {
      const memberId = uniqueId('member');
      const listener = await listen(workflowIds.round(poolId, 2));
      const pi = { id: await sandboxPaymentIntent(memberId, 2, 'pm_card_visa'), memberId, round: 2 };
      const created = paymentIntentEvent('payment_intent.created', 1_700_000_200, { ...pi, status: 'requires_payment_method' });
      const processing = paymentIntentEvent('payment_intent.processing', 1_700_000_201, { ...pi, status: 'processing' });
      const succeeded = paymentIntentEvent('payment_intent.succeeded', 1_700_000_205, { ...pi, status: 'succeeded' });

      for (const event of [succeeded, processing, created]) assert.equal((await deliver(event)).status, 200);
      // Each delivery above was answered after its signal was sent, and a query sees every signal sent
      // before it: a signal for the stale deliveries would show now.
      const signals = await receivedAtLeast(listener, 1);
      assert.deepEqual(
        (await received(listener)).filter((s) => s.memberId === memberId).map((s) => (s as PaymentIntentSignal).status),
        ['succeeded'],
        'only the real transition was signalled',
      );
      assert.ok(signals.length >= 1);
      const row = await findPaymentIntentById(db, pi.id);
      assert.equal(row?.status, 'succeeded');
      assert.equal(row?.statusEventId, succeeded.id);
      assert.equal((await findWebhookEvent(db, processing.id))?.outcome, 'stale');
      assert.equal((await findWebhookEvent(db, created.id))?.outcome, 'stale');
    });

    test('an event whose workflow is not running is kept and delivered later', async () => {
      const memberId = uniqueId('member');
      const event = paymentIntentEvent('payment_intent.succeeded', 1_700_000_500, {
        id: await sandboxPaymentIntent(memberId, 4, 'pm_card_visa'),
        status: 'succeeded',
        memberId,
        round: 4,
      });
      assert.equal((await deliver(event)).status, 200, 'Stripe is answered 200: the event is safely stored');
      const pending = await findWebhookEvent(db, event.id);
      assert.equal(pending?.routedAt, null);
      assert.equal(pending?.routeAttempts, 1);
      assert.match(pending?.lastRouteError ?? '', /not found/i);

      const listener = await listen(workflowIds.round(poolId, 4));
      const router = createWebhookRouter({ db, temporal: client, stripe: kit.stripe, log: createLogger('webhooks-test') });
      const result = await router.redeliverPending({ poolId });
      assert.ok(result.delivered >= 1);
      const signals = (await receivedAtLeast(listener, 1)).filter((s) => s.memberId === memberId);
      assert.equal(signals.length, 1);
      assert.equal(signals[0]?.eventId, event.id);
      assert.ok((await findWebhookEvent(db, event.id))?.routedAt);
      assert.equal((await router.redeliverPending({ poolId })).attempted, 0, 'nothing left to deliver');
    });

    test('a validly signed event claiming success for a charge Stripe holds as unpaid settles nothing', async () => {
      const memberId = uniqueId('member');
      const listener = await listen(workflowIds.round(poolId, 6));
      const unpaid = await sandboxPaymentIntent(memberId, 6, null);
      assert.equal((await kit.stripe.paymentIntents.retrieve(unpaid)).status, 'requires_payment_method');
      const forged = paymentIntentEvent('payment_intent.succeeded', 1_700_000_800, { id: unpaid, status: 'succeeded', memberId, round: 6 });
      assert.equal((await deliver(forged)).status, 200);
      await receivedAtLeast(listener, 1, 2_000);
      const statuses = ((await received(listener)) as PaymentIntentSignal[]).filter((s) => s.memberId === memberId).map((s) => s.status);
      assert.ok(!statuses.includes('succeeded'), `no success was signalled (got ${statuses.join(', ')})`);
      assert.equal((await findPaymentIntentById(db, unpaid))?.status, 'requires_payment_method', 'what Stripe says was recorded');

      // An intent Stripe has never heard of is stored as ignored, and nothing is recorded for it.
      const invented = paymentIntentEvent('payment_intent.succeeded', 1_700_000_801, { id: `pi_${uniqueId('x')}`, status: 'succeeded', memberId, round: 6 });
      assert.equal((await deliver(invented)).status, 200);
      assert.equal((await findWebhookEvent(db, invented.id))?.outcome, 'ignored');
      assert.equal(await findPaymentIntentById(db, invented.data.object.id), null);
    });

    test('an event is stored as what we acted on, and deleted once handled and past its retention period', async () => {
      const memberId = uniqueId('member');
      await listen(workflowIds.round(poolId, 7));
      const paid = paymentIntentEvent('payment_intent.succeeded', 1_700_000_900, {
        id: await sandboxPaymentIntent(memberId, 7, 'pm_card_visa'),
        status: 'succeeded',
        memberId,
        round: 7,
      });
      const unrouted = paymentIntentEvent('payment_intent.succeeded', 1_700_000_901, {
        id: await sandboxPaymentIntent(memberId, 8, 'pm_card_visa'),
        status: 'succeeded',
        memberId,
        round: 8,
      });
      const recent = paymentIntentEvent('payment_intent.succeeded', 1_700_000_902, {
        id: await sandboxPaymentIntent(memberId, 7, 'pm_card_visa'),
        status: 'succeeded',
        memberId,
        round: 7,
      });
      for (const event of [paid, unrouted, recent]) assert.equal((await deliver(event)).status, 200);
      const { rows } = await db.query<{ payload: unknown }>('SELECT payload FROM stripe_webhook_events WHERE event_id = $1', [paid.id]);
      assert.deepEqual(rows[0]?.payload, { object: 'payment_intent', status: 'succeeded', verifiedWithStripe: true }, 'no customer, card or metadata kept');

      const router = createWebhookRouter({ db, temporal: client, stripe: kit.stripe, log: createLogger('webhooks-test') });
      await db.query("UPDATE stripe_webhook_events SET received_at = now() - INTERVAL '91 days' WHERE event_id IN ($1, $2)", [paid.id, unrouted.id]);
      assert.ok((await router.purgeExpired({ retentionDays: 90 })) >= 1);
      assert.equal(await storedEventCount(paid.id), 0, 'handled and past retention: deleted');
      assert.equal(await storedEventCount(unrouted.id), 1, 'still owing a signal: kept whatever its age');
      assert.equal(await storedEventCount(recent.id), 1, 'within retention: kept');
    });

    test('events that are not about Poolflow’s money movements are stored and ignored', async () => {
      const event = {
        id: `evt_${uniqueId('f').replace(/-/g, '')}`,
        object: 'event',
        type: 'customer.created',
        created: 1_700_000_600,
        livemode: false,
        data: { object: { id: 'cus_x', object: 'customer', metadata: {} } },
      };
      const response = await deliver(event);
      assert.equal(response.status, 200);
      const stored = await findWebhookEvent(db, event.id);
      assert.equal(stored?.outcome, 'ignored');
      assert.ok(stored?.routedAt);
    });
  });

  describe('end to end with the Stripe sandbox', () => {
    let server: ServerType;
    let endpointId: string;

    before(async () => {
      const port = await new Promise<number>((resolve) => {
        server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(info.port));
      });
      // Every event twice, collected for 200 ms and delivered newest first.
      const endpoint = await kit.control.addWebhookEndpoint({
        url: `http://127.0.0.1:${port}/v1/webhooks/stripe`,
        secretKey: kit.secretKey,
        copies: 2,
        batchWindowMs: 200,
        order: 'reverse',
      });
      endpointId = endpoint.id;
    });
    after(async () => {
      await kit.control.removeWebhookEndpoint(endpointId);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    /** Charges a member with `card` in round `round` and waits until the webhooks settled it. */
    async function chargeAndSettle(card: string, round: number) {
      const member = await payingMember(kit, card);
      const listener = await listen(workflowIds.round(poolId, round));
      const payments = withAgreements(createPaymentActivities({ stripe: kit.stripe, db }), db);
      const summary = await payments.chargeContribution({
        poolId,
        round,
        memberId: member.memberId,
        amountMinor: '4200',
        currency: 'usd',
        purpose: 'contribution',
      });
      assert.equal(summary.status, 'processing');
      const mine = async () => ((await received(listener)) as PaymentIntentSignal[]).filter((s) => s.paymentIntentId === summary.paymentIntentId);
      // Settled, and every copy of every event about the charge answered: the sandbox logs a delivery once
      // the router has answered it, and the router signals before it answers, so a copy signalled twice
      // shows in the query after that.
      await eventually(
        'the charge settled and every copy of its events answered',
        async () => {
          if (!(await mine()).some((s) => s.status !== 'processing')) return undefined;
          const events = (await kit.control.events({ secretKey: kit.secretKey })).filter(
            (event) => event.type.startsWith('payment_intent.') && (event.data.object as { id: string }).id === summary.paymentIntentId,
          );
          const answered = (await kit.control.deliveries({ endpointId })).filter((d) => d.status === 200);
          return events.every((event) => answered.filter((d) => d.eventId === event.id).length === 2) ? true : undefined;
        },
        15_000,
      );
      return { summary, signals: await mine() };
    }

    test('a charge settling later reaches the round workflow as one signal, however delivered; the confirmation of processing as none', async () => {
      const { summary, signals } = await chargeAndSettle('pm_card_sandbox_processing', 10);
      // The charge's own answer told the round "processing": Stripe's confirmation of it is news to nobody.
      assert.deepEqual(
        signals.map((s) => s.status),
        ['succeeded'],
        'the settlement only',
      );

      const deliveries = await kit.control.deliveries({ endpointId });
      const piEvents = (await kit.control.events({ secretKey: kit.secretKey })).filter(
        (event) => event.type.startsWith('payment_intent.') && (event.data.object as { id: string }).id === summary.paymentIntentId,
      );
      assert.deepEqual(piEvents.map((e) => e.type).sort(), ['payment_intent.created', 'payment_intent.processing', 'payment_intent.succeeded']);
      for (const event of piEvents) {
        const copies = deliveries.filter((d) => d.eventId === event.id);
        assert.equal(copies.length, 2, `${event.type} delivered twice`);
        assert.ok(copies.every((d) => d.status === 200));
        assert.equal(await storedEventCount(event.id), 1, `${event.type} stored once`);
      }
      // Each event is recorded as Stripe's copy when it arrives: the one that first saw the settlement owes
      // the signal, the others (processing, as the charge's answer said) owe none.
      const stored = await Promise.all(piEvents.map((event) => findWebhookEvent(db, event.id)));
      assert.deepEqual(stored.map((e) => e?.outcome).sort(), ['signal', 'stale', 'stale']);
      assert.equal(stored.filter((e) => e?.signalWorkflowId !== null).length, 1);
      const row = await findPaymentIntentById(db, summary.paymentIntentId);
      assert.equal(row?.status, 'succeeded');
      assert.equal(row?.statusSource, 'webhook');
    });

    test('a charge failing after processing reaches the round workflow as a failure with its decline code', async () => {
      const { summary, signals } = await chargeAndSettle('pm_card_sandbox_processingDeclined', 11);
      assert.deepEqual(
        signals.map((s) => [s.status, s.failureCode, s.declineCode]),
        [['requires_payment_method', 'card_declined', 'insufficient_funds']],
      );
      assert.equal((await findPaymentIntentById(db, summary.paymentIntentId))?.declineCode, 'insufficient_funds');
    });
  });
});
