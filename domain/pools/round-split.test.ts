// Round splits add up exactly: fee + payout + dividends = pot, capital calls sum to the called share of
// commitments, distributions to the amount distributed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { capitalCall, distribution, feeOf, splitRotatingPot } from './round-split';

const sum = (values: Iterable<bigint>) => [...values].reduce((a, b) => a + b, 0n);

describe('splitRotatingPot', () => {
  test('a worked example: 12 members of 100.00, 1% fee, a 30.01 discount', () => {
    const others = Array.from({ length: 11 }, (_, i) => `m${i + 2}`);
    const split = splitRotatingPot({ potMinor: 120_000n, platformFeeBps: 100, discountMinor: 3_001n, otherMemberIds: others });
    assert.equal(split.platformFeeMinor, 1_200n);
    assert.equal(split.payoutMinor, 120_000n - 1_200n - 3_001n);
    assert.equal(split.dividendsMinor.get('m2'), 273n, 'the odd units go to the earliest members');
    assert.equal(split.dividendsMinor.get('m12'), 272n);
    assert.equal(sum(split.dividendsMinor.values()), 3_001n);
  });

  test('parts always add up to the pot', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.integer({ min: 0, max: 2_000 }),
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.integer({ min: 0, max: 999 }),
        (pot, bps, discount, others) => {
          const otherMemberIds = Array.from({ length: others }, (_, i) => `o${i}`);
          const split = splitRotatingPot({ potMinor: pot, platformFeeBps: bps, discountMinor: discount, otherMemberIds });
          assert.equal(split.platformFeeMinor + split.payoutMinor + sum(split.dividendsMinor.values()), pot);
          assert.ok(split.payoutMinor >= 0n);
        },
      ),
    );
  });
});

describe('investment splits', () => {
  test('a capital call of 25% pro-rata to commitments, exact to the cent', () => {
    const commitments = new Map([
      ['a', 1_000_000n],
      ['b', 333_333n],
      ['c', 666_667n],
    ]);
    const call = capitalCall(commitments, 2_500);
    assert.equal(sum(call.values()), 500_000n);
    assert.deepEqual([...call.values()], [250_000n, 83_333n, 166_667n]);
  });

  test('a distribution takes the management fee, then splits pro-rata to paid-in capital', () => {
    const paidIn = new Map([
      ['a', 250_000n],
      ['b', 83_333n],
      ['c', 166_667n],
    ]);
    const result = distribution(100_001n, paidIn, 200);
    assert.equal(result.managementFeeMinor, 2_000n);
    assert.equal(result.managementFeeMinor + sum(result.sharesMinor.values()), 100_001n);
    // 98,001 exactly: 49,000.5 | 16,333.27 | 32,667.23 — the odd unit goes to the largest remainder.
    assert.deepEqual([...result.sharesMinor.values()], [49_001n, 16_333n, 32_667n]);
  });

  test('calls and distributions always add up', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 12n }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.bigInt({ min: 0n, max: 10n ** 14n }),
        (amounts, bps, amount) => {
          const weights = new Map(amounts.map((a, i) => [`m${i}`, a]));
          assert.equal(sum(capitalCall(weights, bps).values()), feeOf(sum(amounts), bps));
          const d = distribution(amount, weights, bps % 1_001);
          assert.equal(d.managementFeeMinor + sum(d.sharesMinor.values()), amount);
        },
      ),
    );
  });
});
