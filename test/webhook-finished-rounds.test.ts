// Webhook events about a round that has already finished (Stripe's own confirmations of charges the
// round counted, say) are recorded as handled rather than re-sent forever: a clean run leaves no
// "undelivered signal" for reconciliation to report, so a real one stands out.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createReconciliationActivities } from '../activities/core/reconciliation';
import { listPendingSignals } from '../db/payments/webhook-events';
import { poolStateQuery } from '../workflows/pools/pool';
import { activate, joinAll, rotatingPool, startPoolHarness, type PoolHarness } from './support/pool-harness';

describe('webhooks for finished rounds', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness()));
  after(async () => h.close());

  test('a clean pool run leaves no undelivered signal, and reconciliation reports none', async () => {
    const members = await Promise.all([h.member(), h.member()]);
    const handle = await h.startPool(rotatingPool(2));
    const { poolId } = await handle.query(poolStateQuery);
    await joinAll(handle, members);
    await activate(handle);
    await h.runRound(handle);
    await h.runRound(handle);

    // Stripe's events for the pool arrive after its rounds finished, as they often do.
    await h.routeStripeEvents((event) => JSON.stringify(event).includes(poolId));
    const { rows } = await h.db.query<{ n: string }>('SELECT count(*) AS n FROM stripe_webhook_events WHERE pool_id = $1 AND signal_workflow_id IS NOT NULL', [
      poolId,
    ]);
    assert.ok(Number(rows[0]!.n) >= 2, 'the run produced events that owed a signal');
    assert.deepEqual(await listPendingSignals(h.db, { poolId, limit: 100, attemptsMax: 1_000 }), []);
    const report = await createReconciliationActivities({ stripe: h.kit.stripe, db: h.db }).reconcilePool({ poolId });
    assert.deepEqual(
      report.mismatches.filter((m) => m.problem === 'undelivered_signal'),
      [],
    );
  });
});
