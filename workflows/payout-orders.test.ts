// The two drawn payout orders of a rotating pool, end to end on the time-skipping server: a random order
// reproducible from the pool's seed, and the chit-fund auction (ties broken by the seeded draw, members
// in arrears shut out, the discount shared as dividends to the cent).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { randomPayoutOrder, resolveAuction } from '../domain/pools/payout-order';
import {
  activate,
  countByMember,
  finalView,
  joinAll,
  rotatingPool,
  startPoolHarness,
  waitForRound,
  waitForView,
  type PoolHarness,
} from '../test/support/pool-harness';
import { cancelPoolUpdate, placeBidUpdate, poolStateQuery, roundDueSignal, type poolWorkflow } from './pools/pool';
import type { RoundResult } from './pools/round';

type PoolHandle = WorkflowHandle<typeof poolWorkflow>;
const HOUR_MS = 3_600_000;

describe('rotating pool payout orders', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness()));
  after(async () => h.close());

  /** Runs every round of an activated pool to completion and returns the winners in order. */
  const runToCompletion = async (handle: PoolHandle, rounds: number) => {
    const winners: string[] = [];
    for (let round = 1; round <= rounds; round++) winners.push((await h.runRound(handle)).payout!.winnerMemberId!);
    assert.equal((await finalView(handle)).status, 'completed');
    return winners;
  };

  test('random order: the same seed draws the same order and winners, another seed another order', async () => {
    const members = await Promise.all(Array.from({ length: 4 }, () => h.member()));
    const seeds = Array.from({ length: 50 }, (_, i) => `circle-seed-${i}`);
    // A seed whose order is not the join order, and another seed whose order differs from it.
    const seed = seeds.find((s) => randomPayoutOrder(members, s).join() !== members.join())!;
    const otherSeed = seeds.find((s) => randomPayoutOrder(members, s).join() !== randomPayoutOrder(members, seed).join())!;

    const pools: Array<{ handle: PoolHandle; order: string[]; winners: string[] }> = [];
    for (const poolSeed of [seed, seed]) {
      const handle = await h.startPool(rotatingPool(4, { payoutOrder: 'random' }), { seed: poolSeed });
      await joinAll(handle, members);
      const order = (await activate(handle)).payoutOrder!;
      pools.push({ handle, order, winners: await runToCompletion(handle, 4) });
    }
    const [first, twin] = pools as [(typeof pools)[0], (typeof pools)[0]];
    assert.notDeepEqual(first.order, members, 'the drawn order is not the join order');
    assert.deepEqual([...first.order].sort(), [...members].sort(), 'the order holds every member once');
    assert.deepEqual(twin.order, first.order, 'same seed, same order');
    assert.deepEqual(first.winners, first.order, 'the pot goes round in the drawn order');
    assert.deepEqual(twin.winners, first.winners, 'same seed, same winners');

    const other = await h.startPool(rotatingPool(4, { payoutOrder: 'random' }), { seed: otherSeed });
    await joinAll(other, members);
    const otherOrder = (await activate(other)).payoutOrder!;
    assert.notDeepEqual(otherOrder, first.order, 'another seed, another order');
    assert.equal((await h.runRound(other)).payout?.winnerMemberId, otherOrder[0]);
    await other.executeUpdate(cancelPoolUpdate, { args: [{ reason: 'test done' }] });
    await finalView(other);

    for (const { handle } of pools) {
      const poolId = (await handle.query(poolStateQuery)).poolId;
      const transfers = await h.poolStripe('transfer', poolId);
      assert.deepEqual(countByMember(transfers, members), Object.fromEntries(members.map((id) => [id, 1])), 'every member receives exactly once');
      assert.ok(
        transfers.every((t) => t.amount === 39_600 && t.purpose === 'pot-a1'),
        'a pot of 400.00 less the 1% fee',
      );
      const intents = await h.poolStripe('payment_intent', poolId);
      assert.deepEqual(countByMember(intents, members), Object.fromEntries(members.map((id) => [id, 4])), 'one charge per member per round');
      assert.deepEqual(await h.ledgerViolations(poolId), []);
      assert.equal(await h.balance(`pool:${poolId}:pot`), 0n);
    }
  });

  /** Opens the bidding of the next round, places the bids, and returns the finished round. */
  const bidRound = async (handle: PoolHandle, round: number, bids: Array<[string, number]>, closeByTimeout = false) => {
    await handle.signal(roundDueSignal);
    await waitForView(handle, (v) => v.bidding?.round === round);
    for (const [memberId, discountMinor] of bids) await handle.executeUpdate(placeBidUpdate, { args: [{ memberId, round, discountMinor }] });
    // Bidding closes early once every eligible member has bid; otherwise the 24-hour window must pass.
    if (closeByTimeout) await h.env.sleep(25 * HOUR_MS);
    await waitForView(handle, (v) => v.bidding === null);
    return waitForRound(handle, round);
  };

  /** The payout of a round: winner's pot, each member's dividend and the fee add up to the pot. */
  const assertSplit = async (
    poolId: string,
    result: RoundResult,
    expected: { pot: number; fee: number; winner: string; payout: number; dividends: Record<string, number> },
  ) => {
    assert.equal(result.potMinor, String(expected.pot));
    assert.equal(result.payout?.winnerMemberId, expected.winner);
    assert.equal(result.payout?.feeMinor, String(expected.fee));
    const transfers = (await h.poolStripe('transfer', poolId)).filter((t) => t.round === result.round);
    const pot = transfers.filter((t) => t.purpose.startsWith('pot'));
    assert.deepEqual(
      pot.map((t) => [t.memberId, t.amount]),
      [[expected.winner, expected.payout]],
    );
    const dividends = Object.fromEntries(transfers.filter((t) => t.purpose.startsWith('dividend')).map((t) => [t.memberId, t.amount]));
    assert.deepEqual(dividends, expected.dividends);
    const paidOut = transfers.reduce((sum, t) => sum + t.amount, 0);
    assert.equal(paidOut + expected.fee, expected.pot, 'winner payout + dividends + platform fee = pot');
  };

  test('bid order: a tie broken by the seeded draw, dividends to the cent, each member wins once', async () => {
    const [m1, m2, m3, m4] = (await Promise.all(Array.from({ length: 4 }, () => h.member()))) as [string, string, string, string];
    const members = [m1, m2, m3, m4];
    // Round 1: m1 and m3 tie at 10.01. Pick seeds so that the draw goes to m3 under one and m1 under
    // another, which shows the tie is drawn (not settled by join order) and that the seed decides it.
    const tie = (seed: string) =>
      resolveAuction({
        round: 1,
        seed,
        potMinor: 40_000n,
        eligibleMemberIds: members,
        bids: [
          { memberId: m1, discountMinor: 1001n },
          { memberId: m3, discountMinor: 1001n },
        ],
      });
    const seeds = Array.from({ length: 50 }, (_, i) => `auction-seed-${i}`);
    const seedForM3 = seeds.find((s) => tie(s).winnerMemberId === m3)!;
    const seedForM1 = seeds.find((s) => tie(s).winnerMemberId === m1)!;
    const round1Bids: Array<[string, number]> = [
      [m1, 1001],
      [m2, 500],
      [m3, 1001],
      [m4, 0],
    ];

    const handle = await h.startPool(rotatingPool(4, { payoutOrder: 'bid' }), { seed: seedForM3 });
    const poolId = (await handle.query(poolStateQuery)).poolId;
    await joinAll(handle, members);
    assert.equal((await activate(handle)).payoutOrder, null, 'an auction pool has no order in advance');

    // Pot 400.00, fee 4.00, discount 10.01 shared by the three others: 3.34, 3.34, 3.33.
    const r1 = await bidRound(handle, 1, round1Bids);
    await assertSplit(poolId, r1, { pot: 40_000, fee: 400, winner: m3, payout: 38_599, dividends: { [m1]: 334, [m2]: 334, [m4]: 333 } });
    assert.equal(r1.payout?.discountMinor, '1001');

    // Round 2: nobody bids, the window times out, and the seeded lot picks among m1, m2 and m4.
    const lot = resolveAuction({ round: 2, seed: seedForM3, potMinor: 40_000n, eligibleMemberIds: [m1, m2, m4], bids: [] }).winnerMemberId;
    const r2 = await bidRound(handle, 2, [], true);
    await assertSplit(poolId, r2, { pot: 40_000, fee: 400, winner: lot, payout: 39_600, dividends: {} });

    // Round 3: the two left bid; a member who already won may not bid again.
    const [low, high] = [m1, m2, m4].filter((id) => id !== lot) as [string, string];
    await assert.rejects(
      (async () => {
        await handle.signal(roundDueSignal);
        await waitForView(handle, (v) => v.bidding?.round === 3);
        await handle.executeUpdate(placeBidUpdate, { args: [{ memberId: m3, round: 3, discountMinor: 5000 }] });
      })(),
      (error) => error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === 'NotEligible',
    );
    const r3Bids: Array<[string, number]> = [
      [low, 200],
      [high, 2_999],
    ];
    for (const [memberId, discountMinor] of r3Bids) await handle.executeUpdate(placeBidUpdate, { args: [{ memberId, round: 3, discountMinor }] });
    const r3 = await waitForRound(handle, 3);
    const othersOf = (winner: string) => members.filter((id) => id !== winner);
    const [d1, d2, d3] = othersOf(high) as [string, string, string];
    await assertSplit(poolId, r3, { pot: 40_000, fee: 400, winner: high, payout: 36_601, dividends: { [d1]: 1000, [d2]: 1000, [d3]: 999 } });

    // Round 4: the last member bids alone and wins; their discount still goes to the others.
    const r4 = await bidRound(handle, 4, [[low, 250]]);
    const [e1, e2, e3] = othersOf(low) as [string, string, string];
    await assertSplit(poolId, r4, { pot: 40_000, fee: 400, winner: low, payout: 39_350, dividends: { [e1]: 84, [e2]: 83, [e3]: 83 } });

    const final = await finalView(handle);
    assert.equal(final.status, 'completed');
    assert.ok(final.members.every((m) => m.received));
    const potTransfers = (await h.poolStripe('transfer', poolId)).filter((t) => t.purpose.startsWith('pot'));
    assert.deepEqual(countByMember(potTransfers, members), { [m1]: 1, [m2]: 1, [m3]: 1, [m4]: 1 }, 'each member wins once');
    assert.deepEqual(await h.ledgerViolations(poolId), []);
    assert.equal(await h.balance(`pool:${poolId}:pot`), 0n);

    // The same bids under the same seed give the same winner; another seed draws the other tied member.
    for (const [seed, winner] of [
      [seedForM3, m3],
      [seedForM1, m1],
    ] as const) {
      const twin = await h.startPool(rotatingPool(4, { payoutOrder: 'bid' }), { seed });
      await joinAll(twin, members);
      await activate(twin);
      assert.equal((await bidRound(twin, 1, round1Bids)).payout?.winnerMemberId, winner);
      await twin.executeUpdate(cancelPoolUpdate, { args: [{}] });
      await finalView(twin);
    }
  });

  test('bid order: a member in arrears may not bid and cannot win; a defaulter gets no dividend', async () => {
    const [p, q] = await Promise.all([h.member(), h.member()]);
    const r = await h.member('pm_card_chargeDeclined');
    const handle = await h.startPool(rotatingPool(3, { payoutOrder: 'bid', defaultPolicy: 'suspend' }));
    const poolId = (await handle.query(poolStateQuery)).poolId;
    await joinAll(handle, [p!, q!, r]);
    await activate(handle);

    // Round 1: r bids the most but then defaults on the contribution, so p's bid wins; the discount
    // goes to q alone, who paid, not to r, who paid nothing into this pot. Pot 200.00 (two payers).
    const r1 = await bidRound(handle, 1, [
      [p!, 500],
      [q!, 300],
      [r, 2_000],
    ]);
    assert.deepEqual(
      r1.members.map((m) => [m.memberId, m.outcome, m.policyApplied]),
      [
        [p, 'paid', 'none'],
        [q, 'paid', 'none'],
        [r, 'defaulted', 'suspend'],
      ],
    );
    await assertSplit(poolId, r1, { pot: 20_000, fee: 200, winner: p!, payout: 19_300, dividends: { [q!]: 500 } });
    const suspended = (await handle.query(poolStateQuery)).members.find((m) => m.memberId === r)!;
    assert.deepEqual([suspended.status, suspended.arrearsMinor, suspended.received], ['suspended', '10000', false]);

    // Round 2: r (in arrears) is refused a bid; q bids alone and wins; r pays nothing in again.
    await handle.signal(roundDueSignal);
    const bidding = await waitForView(handle, (v) => v.bidding?.round === 2);
    await assert.rejects(
      handle.executeUpdate(placeBidUpdate, { args: [{ memberId: r, round: 2, discountMinor: 100 }] }),
      (error) => error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === 'NotEligible',
    );
    assert.equal((await handle.query(poolStateQuery)).version, bidding.version, 'the refused bid changed nothing');
    await handle.executeUpdate(placeBidUpdate, { args: [{ memberId: q!, round: 2, discountMinor: 0 }] });
    const r2 = await waitForRound(handle, 2);
    assert.equal(r2.payout?.winnerMemberId, q);

    const transfers = await h.poolStripe('transfer', poolId);
    assert.equal(countByMember(transfers, [r])[r], 0, 'the member in arrears never received anything');
    // r: a first charge and two dunning retries per round, all declined.
    const rIntents = (await h.poolStripe('payment_intent', poolId)).filter((pi) => pi.memberId === r);
    assert.deepEqual(
      rIntents.map((pi) => [pi.round, pi.purpose, pi.status]),
      [
        [1, 'contribution', 'requires_payment_method'],
        [1, 'dunning-1', 'requires_payment_method'],
        [1, 'dunning-2', 'requires_payment_method'],
        [2, 'contribution', 'requires_payment_method'],
        [2, 'dunning-1', 'requires_payment_method'],
        [2, 'dunning-2', 'requires_payment_method'],
      ],
    );
    assert.equal((await handle.query(poolStateQuery)).members.find((m) => m.memberId === r)?.arrearsMinor, '20000');
    assert.deepEqual(await h.ledgerViolations(poolId), []);
    assert.equal(await h.balance(`pool:${poolId}:pot`), 0n);
    await handle.executeUpdate(cancelPoolUpdate, { args: [{}] });
    await finalView(handle);
  });
});
