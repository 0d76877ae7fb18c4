// Stripe's webhooks about a clean pool run confirm what each round already heard from Stripe's own
// answers: they are recorded and owe no signal, so they never wake a round as it finishes. A signal
// still owed when its round finished (its delivery failed while the round ran) is recorded as handled
// rather than re-sent forever: a clean run leaves no "undelivered signal" for reconciliation to report.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createReconciliationActivities } from '../activities/core/reconciliation';
import { findWebhookEvent, insertWebhookEvent, listPendingSignals, recordWebhookOutcome } from '../db/payments/webhook-events';
import { createLogger } from '../observability/log';
import { createWebhookRouter } from '../payments/webhook-router';
import { workflowIds } from '../temporal-config/workflow-ids';
import { PAYMENT_SIGNAL_NAMES } from '../workflows/core/payment-signals';
import { poolStateQuery } from '../workflows/pools/pool';
import { uniqueId } from './support/env';
import { activate, joinAll, rotatingPool, startPoolHarness, type PoolHarness } from './support/pool-harness';

describe('webhooks for finished rounds', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness()));
  after(async () => h.close());

  const undeliveredReported = async (poolId: string) =>
    (await createReconciliationActivities({ stripe: h.kit.stripe, db: h.db }).reconcilePool({ poolId })).mismatches.filter(
      (m) => m.problem === 'undelivered_signal',
    );

  /** A two-member rotating pool, active, that has run `rounds` rounds. */
  async function poolAfterRounds(rounds: number): Promise<string> {
    const members = await Promise.all([h.member(), h.member()]);
    const handle = await h.startPool(rotatingPool(2));
    const { poolId } = await handle.query(poolStateQuery);
    await joinAll(handle, members);
    await activate(handle);
    for (let round = 0; round < rounds; round++) await h.runRound(handle);
    return poolId;
  }

  test("a clean pool run's events are recorded, owe no signal, and reconciliation reports none", async () => {
    const poolId = await poolAfterRounds(2);

    // Stripe's events for the pool arrive after its rounds finished, as they often do.
    await h.routeStripeEvents((event) => JSON.stringify(event).includes(poolId));
    const { rows } = await h.db.query<{ outcome: string; signal_workflow_id: string | null; n: string }>(
      `SELECT outcome, signal_workflow_id, count(*)::TEXT AS n FROM stripe_webhook_events WHERE pool_id = $1 GROUP BY outcome, signal_workflow_id`,
      [poolId],
    );
    // Four charges and two payouts, each with at least its creation event, every one confirming our record.
    assert.equal(rows.length, 1, `one kind of outcome: ${JSON.stringify(rows)}`);
    assert.deepEqual([rows[0]!.outcome, rows[0]!.signal_workflow_id], ['stale', null]);
    assert.ok(Number(rows[0]!.n) >= 6, `the run's events were recorded: ${rows[0]!.n}`);
    const { rows: sources } = await h.db.query<{ status_source: string }>('SELECT DISTINCT status_source FROM stripe_payment_intents WHERE pool_id = $1', [
      poolId,
    ]);
    assert.deepEqual(
      sources.map((r) => r.status_source),
      ['webhook'],
      "each charge's state is now the webhook's: the source of truth confirmed it",
    );
    assert.deepEqual(await listPendingSignals(h.db, { poolId, limit: 100, attemptsMax: 1_000 }), []);
    assert.deepEqual(await undeliveredReported(poolId), []);
  });

  test('a signal still owed when its round finished is recorded as handled, not re-sent forever', async () => {
    const poolId = await poolAfterRounds(1);

    // An event that owed the round a signal whose delivery failed while the round ran.
    const eventId = uniqueId('evt_late');
    await insertWebhookEvent(h.db, { eventId, eventType: 'payment_intent.succeeded', objectId: null, eventCreated: 1, livemode: false, payload: {} });
    await recordWebhookOutcome(h.db, eventId, {
      outcome: 'signal',
      poolId,
      signal: { workflowId: workflowIds.round(poolId, 1), signalName: PAYMENT_SIGNAL_NAMES.paymentIntent, payload: { poolId, round: 1 } },
    });
    assert.equal((await undeliveredReported(poolId)).length, 1, 'reported while owed');

    const router = createWebhookRouter({ db: h.db, temporal: h.env.client, stripe: h.kit.stripe, log: createLogger('webhook-finished-rounds-test') });
    assert.deepEqual(await router.redeliverPending({ poolId }), { attempted: 1, delivered: 0 });
    const stored = await findWebhookEvent(h.db, eventId);
    assert.ok(stored?.routedAt, 'handled');
    assert.match(stored.lastRouteError ?? '', /workflow completed before the signal/);
    assert.deepEqual(await listPendingSignals(h.db, { poolId, limit: 100, attemptsMax: 1_000 }), []);
    assert.deepEqual(await undeliveredReported(poolId), []);
    assert.deepEqual(await router.redeliverPending({ poolId }), { attempted: 0, delivered: 0 }, 'not sent again');
  });
});
