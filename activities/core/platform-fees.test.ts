// Platform fees without a hot row: each round's platform fee lands in its pool's own account, the sweep
// (its activity, and its workflow started by its Temporal Schedule on the dev server) moves those
// balances into the platform's revenue account, and the totals and the ledger's invariants still hold.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import { ensureAccounts, getBalances } from '../../db/ledger/accounts';
import { chart } from '../../db/ledger/chart';
import { checkLedgerInvariants } from '../../db/ledger/invariants';
import { platformFeeTotals, sweepPlatformFees } from '../../db/ledger/platform-fees';
import { postTransfer } from '../../db/ledger/transfers';
import { parseCurrency } from '../../domain/core/money';
import { PLATFORM_SWEEPS, ensurePlatformSweepSchedule } from '../../temporal-config/platform-schedules';
import { startDevPoolHarness, type DevPoolHarness } from '../../test/support/dev-pool-harness';
import { eventually } from '../../test/support/eventually';
import { testDb, uniqueId } from '../../test/support/env';
import { poolLedgerKeys } from '../../domain/core/idempotency-keys';
import { createPoolLedgerActivities } from '../pools/pool-ledger';

// A currency no other test uses, so that the platform's totals in it are this file's alone.
const currency = parseCurrency('mur');
const revenueKey = chart.platformFeeRevenue(currency).key;

describe('platform fees per pool, swept into the platform', () => {
  const db = testDb();
  const ledger = createPoolLedgerActivities({ db });
  after(() => db.end());

  /** A pool whose pot holds `potMinor`, its accounts opened as activation opens them. */
  async function fundedPool(potMinor: bigint): Promise<string> {
    const poolId = uniqueId('fees');
    await ledger.openPoolAccounts({ poolId, currency, memberIds: ['m1'] });
    await ledger.recordContribution({ poolId, round: 1, memberId: 'm1', currency, amountMinor: potMinor.toString(), lateFeeMinor: '0', paymentIntentId: null });
    return poolId;
  }
  const balance = async (key: string) => {
    const [b] = await getBalances(db, [key]);
    return b!.creditsPostedMinor - b!.debitsPostedMinor;
  };
  const platformFee = (poolId: string, round: number, feeMinor: bigint) =>
    ledger.recordPayoutFee({ poolId, round, currency, feeMinor: feeMinor.toString(), kind: 'rotating' });

  async function sweepAll(): Promise<number> {
    let swept = 0;
    for (let after: string | null = null, batches = 0; batches < 100; batches++) {
      const result = await sweepPlatformFees(db, { batchMax: 7, afterAccountKey: after });
      swept += result.sweptAccounts;
      if (result.nextAfterAccountKey === null) break;
      after = result.nextAfterAccountKey;
    }
    return swept;
  }

  test("a round's platform fee goes to its pool's account, never to the shared revenue row", async () => {
    const poolId = await fundedPool(10_000n);
    const revenueBefore = await balance(revenueKey).catch(() => 0n);
    await platformFee(poolId, 1, 300n);
    await platformFee(poolId, 1, 300n); // a retried activity
    assert.equal(await balance(chart.poolPlatformFees(poolId, currency).key), 300n);
    assert.equal(await balance(chart.poolPot(poolId, currency).key), 9_700n);
    assert.equal(await balance(revenueKey).catch(() => 0n), revenueBefore);
  });

  test('a pool opened before per-pool fee accounts gets one; a fee recorded the old way is not recorded again', async () => {
    const poolId = uniqueId('legacy');
    // Opened as the earlier version opened pools: no platform-fee account of its own.
    await ledger.openPoolAccounts({ poolId, currency, memberIds: ['m1'] });
    await db.query('DELETE FROM ledger_accounts WHERE account_key = $1', [chart.poolPlatformFees(poolId, currency).key]);
    await ledger.recordContribution({ poolId, round: 1, memberId: 'm1', currency, amountMinor: '5000', lateFeeMinor: '0', paymentIntentId: null });
    await platformFee(poolId, 1, 100n);
    assert.equal(await balance(chart.poolPlatformFees(poolId, currency).key), 100n);

    // Round 2's fee was recorded by the earlier version, straight into the platform's revenue; the
    // activity retried after the upgrade accepts it rather than failing on the changed postings.
    await ensureAccounts(db, [chart.platformFeeRevenue(currency)]);
    await postTransfer(db, {
      idempotencyKey: poolLedgerKeys.fee(poolId, 2),
      currency,
      postings: [
        { accountKey: chart.poolPot(poolId, currency).key, direction: 'debit', amountMinor: 100n },
        { accountKey: revenueKey, direction: 'credit', amountMinor: 100n },
      ],
      metadata: { poolId, round: 2, kind: 'rotating' },
    });
    await platformFee(poolId, 2, 100n);
    assert.equal(await balance(chart.poolPlatformFees(poolId, currency).key), 100n);
    assert.equal(await balance(chart.poolPot(poolId, currency).key), 4_800n);
    // The same key with another amount is still a conflict.
    await assert.rejects(platformFee(poolId, 2, 101n), { type: 'LedgerIdempotencyConflict' });
  });

  test('the sweep moves every balance to the platform once; the totals and invariants hold throughout', async () => {
    const pools = await Promise.all(Array.from({ length: 20 }, () => fundedPool(50_000n)));
    // The earlier tests' fees, still unswept, go to the platform with these.
    const { sweptMinor: revenueBefore, unsweptMinor: unsweptBefore } = await platformFeeTotals(db, currency);
    // Rounds of twenty pools record their fees at once while sweeps run: no shared row to wait for.
    await Promise.all([...pools.map((poolId, i) => platformFee(poolId, 1, BigInt(100 + i))), sweepAll(), sweepAll()]);
    await sweepAll();
    const earned = unsweptBefore + pools.reduce((sum, _, i) => sum + BigInt(100 + i), 0n);
    for (const poolId of pools) assert.equal(await balance(chart.poolPlatformFees(poolId, currency).key), 0n);
    assert.equal((await balance(revenueKey)) - revenueBefore, earned);
    assert.equal(await sweepAll(), 0, 'nothing left to sweep, and a second sweep moves nothing');

    // More fees after a sweep are swept by the next one, under new keys.
    await platformFee(pools[0]!, 2, 999n);
    assert.equal(await sweepAll(), 1);
    assert.equal((await balance(revenueKey)) - revenueBefore, earned + 999n);

    const totals = await platformFeeTotals(db, currency);
    assert.equal(totals.sweptMinor + totals.unsweptMinor, totals.earnedMinor, 'every fee recorded is in the revenue or a pool account');
    assert.deepEqual(await checkLedgerInvariants(db, { currency }), []);
  });
});

describe('the platform-fee sweep schedule on the dev server', () => {
  let h: DevPoolHarness;
  before(async () => {
    h = await startDevPoolHarness();
  });
  after(async () => {
    await h.client.schedule
      .getHandle(PLATFORM_SWEEPS.feeSweep.scheduleId)
      .delete()
      .catch((error: unknown) => {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      });
    await h.close();
  });

  test('a firing of the schedule runs the sweep workflow, which empties the pools fee accounts', async () => {
    const ledger = createPoolLedgerActivities({ db: h.db });
    const poolId = uniqueId('swept');
    await ledger.openPoolAccounts({ poolId, currency, memberIds: ['m1'] });
    await ledger.recordContribution({ poolId, round: 1, memberId: 'm1', currency, amountMinor: '8000', lateFeeMinor: '0', paymentIntentId: null });
    await ledger.recordPayoutFee({ poolId, round: 1, currency, feeMinor: '240', kind: 'rotating' });

    // The schedule is global: replace any left by an earlier run with one aimed at this test's worker.
    const handle = h.client.schedule.getHandle(PLATFORM_SWEEPS.feeSweep.scheduleId);
    await handle.delete().catch((error: unknown) => {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    });
    await ensurePlatformSweepSchedule(h.client, h.taskQueue, PLATFORM_SWEEPS.feeSweep);
    await ensurePlatformSweepSchedule(h.client, h.taskQueue, PLATFORM_SWEEPS.feeSweep); // idempotent, as every worker start calls it
    await handle.trigger();
    const feeAccount = chart.poolPlatformFees(poolId, currency).key;
    await eventually('the sweep to empty the pool platform-fee account', async () => {
      const [b] = await getBalances(h.db, [feeAccount]);
      return b!.debitsPostedMinor === 240n ? true : undefined;
    });
    const description = await handle.describe();
    assert.equal(description.action.type === 'startWorkflow' && description.action.workflowType, 'platformFeeSweep');
    assert.ok(description.info.recentActions.length >= 1);
  });
});
