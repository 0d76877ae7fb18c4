// An investment pool on the time-skipping server: members commit awkward amounts of capital, a capital
// call charges each pro-rata to commitment and a distribution pays each pro-rata to paid-in capital
// after the management fee — every part exact to the cent, at Stripe and in the ledger.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { activate, finalView, joinAll, startPoolHarness, waitForRound, waitForView, type PoolHarness } from '../test/support/pool-harness';
import { workflowIds } from '../temporal-config/workflow-ids';
import { cancelPoolUpdate, distributeUpdate, poolStateQuery } from './pools/pool';

describe('investment pool', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness()));
  after(async () => h.close());

  test('a capital call pro-rata to commitments and a distribution pro-rata to paid-in capital, less the management fee', async () => {
    const members = await Promise.all(Array.from({ length: 3 }, () => h.member()));
    const handle = await h.startPool({
      kind: 'investment',
      name: 'Orchard fund',
      currency: 'usd',
      cadence: { type: 'monthly', dayOfMonth: 15, hourUtc: 12 },
      membersMin: 3,
      membersMax: 3,
      capitalCallBps: 2_500,
      managementFeeBps: 150,
    });
    const poolId = (await handle.query(poolStateQuery)).poolId;
    // 3,333.33 + 10,000.01 + 2,500.07 = 15,833.41 committed.
    await joinAll(handle, members, ['333333', '1000001', '250007']);
    const active = await activate(handle);
    assert.deepEqual([active.status, active.roundsPlanned, active.payoutOrder], ['active', 4, null]);

    // Capital call: 25% of 15,833.41 is 3,958.3525, so 3,958.35 is called. Exact shares 833.3325,
    // 2,500.0025 and 625.0175 round down to 3,958.34; the odd cent goes to the largest remainder.
    const call = await h.runRound(handle);
    assert.deepEqual(
      call.members.map((m) => [m.memberId, m.outcome, m.paidMinor]),
      members.map((id, i) => [id, 'paid', ['83333', '250000', '62502'][i]]),
    );
    assert.equal(call.potMinor, '395835');
    assert.equal(call.payout, null, 'a capital call pays nobody');
    const intents = await h.poolStripe('payment_intent', poolId);
    // Charges go out concurrently, so they are compared member by member.
    assert.deepEqual(
      members.map((id) => intents.filter((pi) => pi.memberId === id).map((pi) => [pi.amount, pi.status])),
      [[[83_333, 'succeeded']], [[250_000, 'succeeded']], [[62_502, 'succeeded']]],
    );
    assert.equal(await h.balance(`pool:${poolId}:pot`), 395_835n);
    const called = await handle.query(poolStateQuery);
    assert.deepEqual(
      called.members.map((m) => m.paidInMinor),
      ['83333', '250000', '62502'],
    );
    assert.deepEqual([called.potMinor, called.roundsCompleted], ['395835', 1]);

    // Distribution of 1,000.01: a 1.5% management fee of 15.00 (15.00015 rounded down), then 985.01
    // pro-rata to paid-in capital: exact shares 207.3688, 622.1090 and 155.5322 round down to 985.00;
    // the two odd cents go to the two largest remainders.
    await handle.executeUpdate(distributeUpdate, { args: [{ amountMinor: '100001' }] });
    await waitForView(handle, (v) => v.roundInProgress === 2 || v.recentRounds.some((r) => r.round === 2));
    const distribution = await waitForRound(handle, 2);
    assert.equal(distribution.payout?.feeMinor, '1500');
    assert.deepEqual(
      distribution.payout?.recipients.map((r) => [r.memberId, r.amountMinor, r.purpose]),
      members.map((id, i) => [id, ['20737', '62211', '15553'][i], 'distribution']),
    );
    const transfers = await h.poolStripe('transfer', poolId);
    assert.deepEqual(
      transfers.map((t) => [t.memberId, t.amount, t.purpose]),
      members.map((id, i) => [id, [20_737, 62_211, 15_553][i], 'distribution-a1']),
    );
    assert.equal(transfers.reduce((sum, t) => sum + t.amount, 0) + 1_500, 100_001, 'shares and fee add up to the distribution');

    assert.equal(await h.balance(`pool:${poolId}:fees`), 1_500n, 'the management fee stays in the pool fees account');
    assert.equal(await h.balance(`pool:${poolId}:pot`), 295_834n);
    for (const [i, member] of members.entries()) {
      assert.equal(await h.balance(`pool:${poolId}:member:${member}:paid_out`), BigInt([20_737, 62_211, 15_553][i]!));
    }
    assert.deepEqual(await h.ledgerViolations(poolId), []);
    const view = await handle.query(poolStateQuery);
    assert.deepEqual([view.potMinor, view.roundsCompleted], ['295834', 1], 'a distribution is not a contribution round');
    assert.deepEqual(
      view.recentRounds.map((r) => [r.round, r.kind, r.feeMinor]),
      [
        [1, 'contribution', '0'],
        [2, 'distribution', '1500'],
      ],
    );

    // Cancelling returns the undistributed capital, 2,958.34, pro-rata to paid-in capital, with no fee:
    // exact shares 622.8033, 1,868.4174 and 467.1193; the two odd cents go to the largest remainders.
    await handle.executeUpdate(cancelPoolUpdate, { args: [{}] });
    await waitForView(handle, (v) => v.roundInProgress === 3 || v.recentRounds.some((r) => r.round === 3));
    const wound = await waitForRound(handle, 3);
    assert.deepEqual(
      wound.payout?.recipients.map((r) => [r.memberId, r.amountMinor]),
      members.map((id, i) => [id, ['62280', '186842', '46712'][i]]),
    );
    assert.equal(wound.payout?.feeMinor, '0');
    const final = await finalView(handle);
    assert.deepEqual([final.status, final.potMinor], ['cancelled', '0']);
    assert.equal(await h.balance(`pool:${poolId}:pot`), 0n, 'nothing collected is left behind');
    assert.deepEqual(await h.ledgerViolations(poolId), []);
    // A worker that restarts replays these histories: the cancel's projection and the wind-up, both
    // local activities, must come back in the order they ran (workflows/core/one-at-a-time.ts).
    const rounds = [1, 2, 3].map((round) => workflowIds.round(poolId, round));
    assert.deepEqual(await h.replayFailures([workflowIds.pool(poolId), ...rounds]), []);
  });
});
