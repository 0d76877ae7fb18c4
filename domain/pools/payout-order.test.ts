// Payout order: fixed keeps join order, random is a reproducible permutation, and the bid auction picks
// the highest discount, breaks ties by the seed, and ignores members who may not win.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { AuctionError, fixedPayoutOrder, randomPayoutOrder, resolveAuction } from './payout-order';

const members = Array.from({ length: 12 }, (_, i) => `m${i + 1}`);

describe('payout order', () => {
  test('fixed is the join order', () => {
    assert.deepEqual(fixedPayoutOrder(members), members);
  });

  test('random is a permutation reproducible from the seed', () => {
    const order = randomPayoutOrder(members, 'seed-a');
    assert.deepEqual([...order].sort(), [...members].sort());
    assert.deepEqual(randomPayoutOrder(members, 'seed-a'), order);
    assert.notDeepEqual(randomPayoutOrder(members, 'seed-b'), order);
    assert.notDeepEqual(order, members, 'twelve members are almost surely reordered');
  });
});

describe('resolveAuction', () => {
  const base = { round: 3, seed: 'pool-seed', potMinor: 120_000n, eligibleMemberIds: ['a', 'b', 'c', 'd'] };

  test('the highest discount wins', () => {
    const result = resolveAuction({
      ...base,
      bids: [
        { memberId: 'a', discountMinor: 5_000n },
        { memberId: 'c', discountMinor: 9_000n },
      ],
    });
    assert.deepEqual(result, { winnerMemberId: 'c', discountMinor: 9_000n, tieBroken: false });
  });

  test('ties are broken by a seeded draw, independent of bid arrival order', () => {
    const bids = [
      { memberId: 'b', discountMinor: 7_000n },
      { memberId: 'd', discountMinor: 7_000n },
      { memberId: 'a', discountMinor: 1_000n },
    ];
    const first = resolveAuction({ ...base, bids });
    assert.equal(first.tieBroken, true);
    assert.ok(['b', 'd'].includes(first.winnerMemberId));
    assert.deepEqual(resolveAuction({ ...base, bids: [...bids].reverse() }), first);
    const winners = new Set(Array.from({ length: 40 }, (_, round) => resolveAuction({ ...base, round, bids }).winnerMemberId));
    assert.deepEqual([...winners].sort(), ['b', 'd'], 'over many rounds the draw picks each tied bidder');
  });

  test('members in arrears or already paid (not eligible) cannot win, whatever they bid', () => {
    const result = resolveAuction({
      ...base,
      eligibleMemberIds: ['a', 'b'],
      bids: [
        { memberId: 'c', discountMinor: 50_000n },
        { memberId: 'b', discountMinor: 10n },
      ],
    });
    assert.equal(result.winnerMemberId, 'b');
  });

  test('with no valid bid, a seeded lot picks an eligible member at zero discount', () => {
    const result = resolveAuction({ ...base, bids: [{ memberId: 'a', discountMinor: 120_000n }] });
    assert.equal(result.discountMinor, 0n);
    assert.ok(base.eligibleMemberIds.includes(result.winnerMemberId));
    assert.deepEqual(resolveAuction({ ...base, bids: [] }), result);
  });

  test('nobody eligible is an error', () => {
    assert.throws(() => resolveAuction({ ...base, eligibleMemberIds: [], bids: [] }), AuctionError);
  });

  test('the winner is always eligible and bid the maximum valid discount', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...members), { minLength: 1 }),
        fc.array(fc.record({ memberId: fc.constantFrom(...members), discountMinor: fc.bigInt({ min: 0n, max: 150_000n }) })),
        fc.nat(),
        (eligible, bids, round) => {
          const result = resolveAuction({ round, seed: 's', potMinor: 120_000n, eligibleMemberIds: eligible, bids });
          assert.ok(eligible.includes(result.winnerMemberId));
          const valid = bids.filter((b) => eligible.includes(b.memberId) && b.discountMinor < 120_000n);
          const max = valid.reduce((m, b) => (b.discountMinor > m ? b.discountMinor : m), 0n);
          assert.equal(result.discountMinor, max);
        },
      ),
    );
  });
});
