// Buying an assessment end to end through the API, the Stripe sandbox and its signed webhooks, on the
// dev server: a paid purchase starts exactly one `assessment/{id}` workflow however often the webhook
// arrives (the same event again, or another event for the same payment); a declined card leaves a
// failed purchase and no workflow; the fee is in the ledger; a paid purchase whose assessment never
// began is refunded (Stripe refund, ledger entries, audit) and its workflow then ends without starting.
import { poolflowDataConverter } from '../temporal-config/data-converter';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { assessmentChart } from '../activities/assessments/money';
import { ledgerKeys } from '../domain/core/idempotency-keys';
import { createPurchases } from '../activities/assessments/purchases';
import { ASSESSMENT_PAID_SIGNAL_NAME, deliverAssessmentPaid } from '../activities/assessments/purchase-webhooks';
import { getBalances } from '../db/ledger/accounts';
import { getTransfer } from '../db/ledger/transfers';
import { parseCurrency } from '../domain/core/money';
import { createLogger } from '../observability/log';
import { createWebhookRouter } from '../payments/webhook-router';
import { workflowIds } from '../temporal-config/workflow-ids';
import { assessmentsActivities } from '../workers/assessments-worker';
import { startAssessmentHarness, assessmentWorkflowBundle, type AssessmentHarness } from './support/assessment-harness';
import { devServerWorkerConnection, uniqueId } from './support/env';
import { eventually } from './support/eventually';
import type Stripe from 'stripe';

type Purchase = {
  assessment: { assessmentId: string; status: string; tier: string; packId: string };
  payment: { status: string; paymentIntentId: string | null; declineCode: string | null };
};

describe('buying an assessment', () => {
  let h: AssessmentHarness;

  before(async () => {
    h = await startAssessmentHarness({ monitor: false });
  });
  after(async () => {
    await h.close();
  });

  async function startedEvents(assessmentId: string): Promise<number> {
    let starts = 0;
    const history = await h.client.workflow.getHandle(workflowIds.assessment(assessmentId)).fetchHistory();
    for (const event of history.events ?? []) {
      if (event.workflowExecutionStartedEventAttributes) starts++;
    }
    return starts;
  }

  test('a paid purchase starts one assessment workflow, even when the webhook comes again', async () => {
    // Every event is delivered twice by the sandbox, as Stripe may do.
    await h.kit.control.updateWebhookEndpoint(h.endpointId, { copies: 2 });
    const traderId = await h.trader('pm_card_visa');
    const tiers = await h.call<{ tiers: Array<{ tier: string; priceMinor: string }> }>('GET', '/v1/assessment-tiers', traderId, 'trader');
    assert.equal(tiers.status, 200);
    assert.deepEqual(tiers.body.tiers.map((t) => t.tier).sort(), ['futures-50k', 'one-step-50k', 'two-step-100k']);

    const bought = await h.call<Purchase>('POST', '/v1/assessments', traderId, 'trader', { tier: 'one-step-50k', displayName: 'Ada L' });
    assert.equal(bought.status, 201, JSON.stringify(bought.body));
    assert.equal(bought.body.payment.status, 'succeeded');
    assert.equal(bought.body.assessment.packId, 'one-step-50k-v1');
    const { assessmentId } = bought.body.assessment;

    const active = await h.waitFor(assessmentId, (row) => row.status === 'active');
    assert.equal(active.paymentIntentId, bought.body.payment.paymentIntentId);

    // The same event delivered again, and a second event for the same succeeded payment.
    // One event was stored for the payment (the sandbox's second copy was a duplicate); its original is
    // taken from the sandbox, since we store only what we act on.
    const { rows } = await h.db.query<{ event_id: string }>(
      `SELECT event_id FROM stripe_webhook_events WHERE object_id = $1 AND event_type = 'payment_intent.succeeded'`,
      [active.paymentIntentId],
    );
    assert.equal(rows.length, 1);
    const sent = await h.kit.control.events({ type: 'payment_intent.succeeded', secretKey: h.kit.secretKey });
    const original = sent.find((event) => event.id === rows[0]!.event_id) as unknown as Stripe.Event;
    assert.ok(original, 'the sandbox emitted the stored event');
    const router = createWebhookRouter({ db: h.db, temporal: h.client, stripe: h.kit.stripe, log: createLogger('test'), assessmentsTaskQueue: h.taskQueue });
    const again = await router.ingest(original);
    assert.equal(again.duplicate, true);
    const another = await router.ingest({ ...original, id: `evt_${uniqueId('dup').replace(/-/g, '')}`, created: original.created + 1 });
    assert.equal(another.duplicate, false);
    // And the paid signal itself sent again with signal-with-start, as a re-delivery would.
    const pending = {
      eventId: original.id,
      workflowId: workflowIds.assessment(assessmentId),
      signalName: ASSESSMENT_PAID_SIGNAL_NAME,
      payload: { assessmentId, paymentIntentId: active.paymentIntentId, eventId: original.id },
      routeAttempts: 0,
    };
    await deliverAssessmentPaid(h.client, pending, h.taskQueue);
    await deliverAssessmentPaid(h.client, pending, h.taskQueue);
    assert.equal(await startedEvents(assessmentId), 1, 'the workflow was started once');
    const [{ count }] = (await h.db.query<{ count: bigint }>(`SELECT count(*) AS count FROM assessments WHERE trader_id = $1`, [traderId])).rows as [
      { count: bigint },
    ];
    assert.equal(count, 1n, 'one purchase, one assessment');

    // The same purchase request repeated (same Idempotency-Key) names the same assessment.
    const key = uniqueId('purchase');
    const first = await h.call<Purchase>(
      'POST',
      '/v1/assessments',
      traderId,
      'trader',
      { tier: 'futures-50k', displayName: 'Ada L' },
      { 'idempotency-key': key },
    );
    const repeated = await createPurchases({ db: h.db, stripe: h.kit.stripe }).purchase({
      traderId,
      tier: 'futures-50k',
      displayName: 'Ada L',
      purchaseKey: key,
    });
    assert.equal(repeated.assessment.assessmentId, first.body.assessment.assessmentId);
    assert.equal(repeated.payment.paymentIntentId, first.body.payment.paymentIntentId);

    // The fee in the ledger: what the trader paid, to the platform's fee revenue.
    const fee = await getTransfer(h.db, ledgerKeys.assessmentFee(assessmentId));
    assert.ok(fee, 'the fee was recorded');
    const [paid] = await getBalances(h.db, [assessmentChart.traderPaid(assessmentId, parseCurrency('usd')).key]);
    assert.equal(paid!.debitsPostedMinor, 34_500n);

    const read = await h.call<{ status: string; standing: { evaluation: { live: { todayPermittedLossMinor: string; maximumPermittedLossMinor: string } } } }>(
      'GET',
      `/v1/assessments/${assessmentId}`,
      traderId,
      'trader',
    );
    assert.equal(read.status, 200);
    assert.equal(read.body.status, 'active');
    // One-step $50,000: 3 % daily (1,500) and 6 % trailing maximum (3,000), exact in cents.
    assert.equal(read.body.standing.evaluation.live.todayPermittedLossMinor, '150000');
    assert.equal(read.body.standing.evaluation.live.maximumPermittedLossMinor, '300000');
    await h.kit.control.updateWebhookEndpoint(h.endpointId, { copies: 1 });
  });

  test('a declined card leaves a failed purchase and starts nothing', async () => {
    const traderId = await h.trader('pm_card_chargeDeclinedInsufficientFunds');
    const bought = await h.call<Purchase>('POST', '/v1/assessments', traderId, 'trader', { tier: 'two-step-100k', displayName: 'Declined D' });
    assert.equal(bought.status, 201, JSON.stringify(bought.body));
    assert.equal(bought.body.payment.status, 'declined');
    assert.equal(bought.body.payment.declineCode, 'insufficient_funds');
    const { assessmentId } = bought.body.assessment;
    const row = await h.waitFor(assessmentId, (r) => r.status === 'payment_failed');
    assert.equal(row.startedAt, null);
    // Every webhook about the declined payment has been answered by the API: still no workflow.
    const paymentIntentId = bought.body.payment.paymentIntentId!;
    await eventually('the payment’s webhooks to be delivered', async () => {
      const events = (await h.kit.control.events({ secretKey: h.kit.secretKey })).filter((e) => (e.data.object as { id?: string }).id === paymentIntentId);
      const answered = new Set(
        (await h.kit.control.deliveries({ endpointId: h.endpointId })).filter((d) => d.status !== null && d.status < 300).map((d) => d.eventId),
      );
      return events.length > 0 && events.every((e) => answered.has(e.id)) ? true : undefined;
    });
    await assert.rejects(h.client.workflow.getHandle(workflowIds.assessment(assessmentId)).describe(), WorkflowNotFoundError);
    assert.equal((await h.waitFor(assessmentId, () => true)).status, 'payment_failed');
  });

  test('a trader without a card is told to save one, and a tier not on sale is a 404', async () => {
    const traderId = uniqueId('trader');
    await h.call('PUT', '/v1/traders/me', traderId, 'trader', { displayName: 'No Card', email: `${traderId}@example.com` });
    const noCard = await h.call<{ detail: string }>('POST', '/v1/assessments', traderId, 'trader', { tier: 'two-step-100k', displayName: 'No Card' });
    assert.equal(noCard.status, 409);
    // It names the route that saves a card, and that route exists: asked without a card it says what is missing.
    const [, method, path] = /(POST) (\/v1\/\S+)/.exec(noCard.body.detail)!;
    assert.deepEqual([method, path], ['POST', '/v1/traders/me/payment-methods']);
    assert.equal((await h.call(method!, path!, traderId, 'trader', {})).status, 422);
    const unknownTier = await h.call('POST', '/v1/assessments', traderId, 'trader', { tier: 'no-such-tier', displayName: 'No Card' });
    assert.equal(unknownTier.status, 404);
    const asMember = await h.call('POST', '/v1/assessments', traderId, 'member', { tier: 'two-step-100k', displayName: 'No Card' });
    assert.equal(asMember.status, 403);
  });

  test('a paid purchase whose assessment never began is refunded, and its workflow then ends unstarted', async () => {
    // Webhooks held back; the payment's event is routed to a queue no worker polls yet, so the workflow
    // exists (started by the payment) but has not begun the assessment.
    await h.kit.control.updateWebhookEndpoint(h.endpointId, { paused: true });
    const idleQueue = uniqueId('idle');
    const traderId = await h.trader('pm_card_visa');
    const bought = await createPurchases({ db: h.db, stripe: h.kit.stripe }).purchase({
      traderId,
      tier: 'two-step-100k',
      displayName: 'Refund R',
      purchaseKey: uniqueId('purchase'),
    });
    const { assessmentId } = bought.assessment;
    const events = await h.kit.control.events({ type: 'payment_intent.succeeded', secretKey: h.kit.secretKey });
    const paidEvent = events.find((event) => (event.data.object as { id: string }).id === bought.payment.paymentIntentId);
    assert.ok(paidEvent, 'the sandbox emitted payment_intent.succeeded');
    const router = createWebhookRouter({ db: h.db, temporal: h.client, stripe: h.kit.stripe, log: createLogger('test'), assessmentsTaskQueue: idleQueue });
    assert.equal((await router.ingest(paidEvent as unknown as Stripe.Event)).delivered, true);
    await h.waitFor(assessmentId, (row) => row.status === 'paid');
    await h.kit.control.updateWebhookEndpoint(h.endpointId, { paused: false });

    const asTrader = await h.call('POST', `/v1/assessments/${assessmentId}/refund`, traderId, 'trader', { reason: 'changed my mind' });
    assert.equal(asTrader.status, 403);
    const refunded = await h.call<{ status: string }>('POST', `/v1/assessments/${assessmentId}/refund`, 'ops-1', 'ops', {
      reason: 'pack withdrawn before start',
    });
    assert.equal(refunded.status, 200, JSON.stringify(refunded.body));
    assert.equal(refunded.body.status, 'refunded');
    const again = await h.call('POST', `/v1/assessments/${assessmentId}/refund`, 'ops-1', 'ops', { reason: 'pack withdrawn before start' });
    assert.equal(again.status, 409);
    const [paid] = await getBalances(h.db, [assessmentChart.traderPaid(assessmentId, parseCurrency('usd')).key]);
    assert.equal(paid!.debitsPostedMinor - paid!.creditsPostedMinor, 0n, 'the fee was refunded in full');
    const audit = await h.db.query(`SELECT action, actor, reason FROM assessment_ops_actions WHERE assessment_id = $1`, [assessmentId]);
    assert.deepEqual(
      audit.rows.map((r) => r.action),
      ['refund', 'refund'],
    );

    // The worker for the idle queue appears: the workflow sees the refund and ends without beginning.
    const connection = await devServerWorkerConnection();
    const worker = await Worker.create({
      connection,
      namespace: 'default',
      taskQueue: idleQueue,
      workflowBundle: await assessmentWorkflowBundle(),
      activities: assessmentsActivities({ db: h.db, redis: h.redis, stripe: h.kit.stripe }),
      dataConverter: poolflowDataConverter(),
    });
    const result = await worker.runUntil(h.client.workflow.getHandle(workflowIds.assessment(assessmentId)).result());
    await connection.close();
    assert.match((result as { status: string }).status, /^not-started/);
    assert.equal((await h.waitFor(assessmentId, () => true)).status, 'refunded');
    // A late re-delivery of the payment never starts the closed workflow again.
    const before = await h.client.workflow.getHandle(workflowIds.assessment(assessmentId)).describe();
    await deliverAssessmentPaid(
      h.client,
      {
        eventId: paidEvent.id,
        workflowId: workflowIds.assessment(assessmentId),
        signalName: ASSESSMENT_PAID_SIGNAL_NAME,
        payload: { assessmentId, paymentIntentId: bought.payment.paymentIntentId, eventId: paidEvent.id },
        routeAttempts: 0,
      },
      idleQueue,
    );
    const afterDelivery = await h.client.workflow.getHandle(workflowIds.assessment(assessmentId)).describe();
    assert.equal(afterDelivery.runId, before.runId);
    assert.equal(afterDelivery.status.name, 'COMPLETED');
  });
});
