// The scheduled reconciliation sweep on the dev server: a firing of its Temporal Schedule runs the sweep
// workflow, which reconciles the due pools against the Stripe sandbox, records each pool's outcome,
// counts the mismatches on the counter the PoolflowReconciliationMismatch alert reads, and reports a pool
// whose ledger has an entry Stripe never saw, but not a pool whose records agree.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import {
  countPoolsOverdueForReconciliation,
  getReconciliationCheck,
  listPoolsDueForReconciliation,
  recordReconciliationCheck,
} from '../../db/payments/reconciliation-checks';
import { businessMetrics } from '../../observability/metrics';
import { PLATFORM_SWEEPS, ensurePlatformSweepSchedule } from '../../temporal-config/platform-schedules';
import { startDevPoolHarness, type DevPoolHarness } from '../../test/support/dev-pool-harness';
import { eventually } from '../../test/support/eventually';
import { uniqueId } from '../../test/support/env';
import { payingMember, withAgreements } from '../../test/support/payments-kit';
import type { reconciliationSweep } from '../../workflows/core/reconciliation-sweep';
import { createPoolLedgerActivities } from '../pools/pool-ledger';
import { createPaymentActivities } from './payments';

describe('the reconciliation sweep schedule on the dev server', () => {
  let h: DevPoolHarness;
  const deleteSchedule = () =>
    h.client.schedule
      .getHandle(PLATFORM_SWEEPS.reconciliationSweep.scheduleId)
      .delete()
      .catch((error: unknown) => {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      });
  before(async () => {
    h = await startDevPoolHarness();
  });
  after(async () => {
    await deleteSchedule();
    await h.close();
  });

  /** A pool's projection row, which is what makes the sweep consider the pool. */
  const projectPool = (poolId: string) =>
    h.db.query(
      `INSERT INTO pools (pool_id, manager_id, name, kind, currency, status, view, version)
       VALUES ($1, 'manager-1', 'Reconciled pool', 'rotating', 'usd', 'active', '{}', 1)`,
      [poolId],
    );

  /** A pool with one paid contribution, at Stripe and in the ledger alike. */
  async function paidPool(): Promise<string> {
    const poolId = uniqueId('recon');
    const payments = withAgreements(createPaymentActivities({ stripe: h.kit.stripe, db: h.db }), h.db);
    const ledger = createPoolLedgerActivities({ db: h.db });
    const member = await payingMember(h.kit);
    const base = { poolId, round: 1, memberId: member.memberId, currency: 'usd', purpose: 'contribution', amountMinor: '2500' };
    await ledger.openPoolAccounts({ poolId, currency: 'usd', memberIds: [member.memberId, 'ghost'] });
    const charge = await payments.chargeContribution(base);
    await ledger.recordContribution({ ...base, lateFeeMinor: '0', paymentIntentId: charge.paymentIntentId });
    await projectPool(poolId);
    return poolId;
  }

  /** Counts every pool but these as just checked: the database is shared with other test files. */
  const onlyTheseDue = (poolIds: string[]) =>
    h.db.query(
      `INSERT INTO reconciliation_checks (pool_id, checked_at, mismatch_count, mismatches)
       SELECT pool_id, now(), 0, '[]' FROM pools WHERE pool_id <> ALL($1)
       ON CONFLICT (pool_id) DO UPDATE SET checked_at = now()`,
      [poolIds],
    );

  test('a run takes at most its limit of due pools: never-checked first, oldest first; a recent check is not due', async () => {
    const [first, second, checked] = [uniqueId('due'), uniqueId('due'), uniqueId('due')];
    for (const poolId of [first, second, checked]) await projectPool(poolId);
    await onlyTheseDue([first, second, checked]);
    await recordReconciliationCheck(h.db, { poolId: checked, mismatchCount: 0, mismatches: [] });
    const hourMs = 60 * 60_000;
    assert.deepEqual(await listPoolsDueForReconciliation(h.db, { poolsMax: 1, recheckAfterMs: hourMs }), [first]);
    const due = await listPoolsDueForReconciliation(h.db, { poolsMax: 10, recheckAfterMs: hourMs });
    assert.deepEqual(due.slice(0, 2), [first, second]);
    assert.ok(!due.includes(checked), 'checked within the recheck interval');
  });

  test('a pool older than the overdue bound and not checked within it is counted overdue until it is checked', async () => {
    const dayMs = 24 * 60 * 60_000;
    const overdue = () => countPoolsOverdueForReconciliation(h.db, { overdueAfterMs: dayMs });
    const [old, young] = [uniqueId('overdue'), uniqueId('overdue')];
    const before = await overdue();
    await projectPool(young);
    assert.equal(await overdue(), before, 'a pool created just now is not overdue');
    await projectPool(old);
    await h.db.query(`UPDATE pools SET created_at = now() - INTERVAL '2 days' WHERE pool_id = $1`, [old]);
    assert.equal(await overdue(), before + 1, 'never checked in two days');
    await h.db.query(`INSERT INTO reconciliation_checks (pool_id, checked_at, mismatch_count, mismatches) VALUES ($1, now() - INTERVAL '25 hours', 0, '[]')`, [
      old,
    ]);
    assert.equal(await overdue(), before + 1, 'last checked 25 hours ago');
    await recordReconciliationCheck(h.db, { poolId: old, mismatchCount: 0, mismatches: [] });
    assert.equal(await overdue(), before, 'checked now');
  });

  const mismatchesCounted = async () => (await businessMetrics.reconciliationMismatches.get()).values.reduce((sum, v) => sum + v.value, 0);

  test('a firing reconciles the due pools and reports the one whose ledger has an entry Stripe never saw', async () => {
    const clean = await paidPool();
    const broken = await paidPool();
    // A ledger entry for a charge Stripe never made.
    const nowhere = `pi_nowhere${uniqueId('x').replace(/-/g, '')}`;
    const ledger = createPoolLedgerActivities({ db: h.db });
    await ledger.recordContribution({
      poolId: broken,
      round: 2,
      memberId: 'ghost',
      currency: 'usd',
      amountMinor: '2500',
      lateFeeMinor: '0',
      paymentIntentId: nowhere,
    });

    // Other test files' pools live in other Stripe sandboxes: this run's due pools are this test's (and
    // any created while it runs, which come after them).
    await onlyTheseDue([clean, broken]);
    const countedBefore = await mismatchesCounted();

    // The schedule is global: replace any left by an earlier run with one aimed at this test's worker.
    await deleteSchedule();
    await ensurePlatformSweepSchedule(h.client, h.taskQueue, PLATFORM_SWEEPS.reconciliationSweep);
    await ensurePlatformSweepSchedule(h.client, h.taskQueue, PLATFORM_SWEEPS.reconciliationSweep); // idempotent, as every worker start calls it
    const handle = h.client.schedule.getHandle(PLATFORM_SWEEPS.reconciliationSweep.scheduleId);
    await handle.trigger();
    const run = await eventually('the schedule to start a sweep', async () => (await handle.describe()).info.recentActions.at(-1)?.action.workflow);
    const sweep = await h.client.workflow
      .getHandle<typeof reconciliationSweep>(run.workflowId, undefined, { firstExecutionRunId: run.firstExecutionRunId })
      .result();

    assert.ok(sweep.poolsWithMismatches.includes(broken), 'the broken pool is reported');
    assert.ok(!sweep.poolsWithMismatches.includes(clean), 'the clean pool is not');
    assert.deepEqual(sweep.poolsFailed, []);
    const brokenCheck = await getReconciliationCheck(h.db, broken);
    assert.equal(brokenCheck?.mismatchCount, 1);
    assert.deepEqual(
      brokenCheck.mismatches.map((m) => {
        const { kind, problem, stripe } = m as { kind: string; problem: string; stripe: string | null };
        return { kind, problem, stripe };
      }),
      [{ kind: 'ledger', problem: 'missing_in_stripe', stripe: nowhere }],
    );
    assert.equal((await getReconciliationCheck(h.db, clean))?.mismatchCount, 0, 'the clean pool was checked and agrees');
    assert.ok((await mismatchesCounted()) - countedBefore >= 1, 'the alert counter counts the broken pool');

    // Both pools stand checked: the next firing does not read them again before the recheck interval.
    await handle.trigger();
    await eventually('a second sweep to start', async () => ((await handle.describe()).info.recentActions.length >= 2 ? true : undefined));
    const second = (await handle.describe()).info.recentActions.at(-1)!.action.workflow;
    const again = await h.client.workflow.getHandle<typeof reconciliationSweep>(second.workflowId).result();
    assert.ok(!again.poolsWithMismatches.includes(broken));
    assert.equal((await getReconciliationCheck(h.db, broken))?.checkedAt.getTime(), brokenCheck.checkedAt.getTime());
  });
});
