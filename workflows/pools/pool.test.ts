// The rotating pool end to end on the time-skipping server: twelve members, monthly rounds, every
// member pays once per round and receives the pot exactly once, and the books balance.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { activate, joinAll, startPoolHarness, type PoolHarness } from '../../test/support/pool-harness';
import { poolStateQuery } from './pool';

const monthlyPool = {
  kind: 'rotating',
  name: 'Twelve friends',
  currency: 'usd',
  cadence: { type: 'monthly', dayOfMonth: 1, hourUtc: 9 },
  membersMin: 12,
  membersMax: 12,
  contributionMinor: 10_000,
  platformFeeBps: 100,
} as const;

describe('rotating pool, fixed order', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness()));
  after(async () => h.close());

  test('12 members, 12 monthly rounds: everyone pays each round and receives once', async () => {
    const started = Date.now();
    const members = await Promise.all(Array.from({ length: 12 }, () => h.member()));
    const handle = await h.startPool(monthlyPool);
    await joinAll(handle, members);
    const active = await activate(handle);
    assert.equal(active.status, 'active');
    assert.deepEqual(active.payoutOrder, members, 'fixed order is the join order');

    const winners: string[] = [];
    for (let round = 1; round <= 12; round++) {
      const result = await h.runRound(handle);
      assert.equal(result.round, round);
      assert.deepEqual(
        result.members.map((m) => m.outcome),
        Array(12).fill('paid'),
      );
      assert.equal(result.payout?.winnerMemberId, members[round - 1]);
      winners.push(result.payout!.winnerMemberId!);
    }
    const final = await handle.result();
    assert.equal(final.status, 'completed');
    assert.deepEqual(new Set(winners).size, 12, 'every member received exactly once');
    assert.ok(final.members.every((m) => m.received && m.paidInMinor === '120000'));

    // At Stripe: one PaymentIntent per member per round, one transfer per member, nothing else.
    const intents = await h.stripeObjects('payment_intent');
    assert.equal(intents.length, 144);
    const perMember = new Map<string, number>();
    for (const pi of intents) {
      const memberId = (pi.object.metadata as Record<string, string>).member_id!;
      perMember.set(memberId, (perMember.get(memberId) ?? 0) + 1);
    }
    assert.deepEqual([...perMember.values()], Array(12).fill(12));
    const transfers = await h.stripeObjects('transfer');
    assert.equal(transfers.length, 12);
    assert.ok(
      transfers.every((t) => t.object.amount === 118_800),
      'pot of 1,200.00 less the 1% platform fee',
    );

    // In the ledger: the books balance, and the pot is empty once everyone has been paid.
    const poolId = final.poolId;
    assert.deepEqual(await h.ledgerViolations(poolId), []);
    assert.equal(await h.balance(`pool:${poolId}:pot`), 0n);
    assert.ok(Date.now() - started < 60_000, `a year of rounds took ${Date.now() - started} ms of wall time`);
    assert.equal((await handle.query(poolStateQuery)).roundsCompleted, 12);
  });
});
