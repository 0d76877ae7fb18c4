// Money parsing and splits: examples for the documented rules, and fast-check properties for the
// guarantees every split relies on (exact sum, within one unit of the exact share, determinism).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CURRENCIES, formatMinor, MINOR_MAX, MINOR_MIN, money, MoneyError, parseCurrency, parseMinor, splitEvenly, splitProRata } from './money';

const nonNegativeMinor = fc.bigInt({ min: 0n, max: MINOR_MAX / 1_000_000n });
const weightsArb = fc
  .array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: 40 })
  .filter((weights) => weights.some((weight) => weight > 0n));

describe('parseMinor / formatMinor', () => {
  test('parses the canonical decimal form', () => {
    assert.equal(parseMinor('1234'), 1234n);
    assert.equal(parseMinor('0'), 0n);
    assert.equal(parseMinor('-5'), -5n);
    assert.equal(parseMinor('9223372036854775807'), MINOR_MAX);
    assert.equal(parseMinor('-9223372036854775808'), MINOR_MIN);
  });

  test('refuses every other spelling', () => {
    const rejected = [
      '',
      ' 1',
      '1 ',
      '+1',
      '1.0',
      '1.5',
      '1e3',
      '1E3',
      '0x10',
      '01',
      '-0',
      '-',
      '1_000',
      '１',
      '9223372036854775808',
      '-9223372036854775809',
      '99999999999999999999',
    ];
    for (const text of rejected) assert.throws(() => parseMinor(text), MoneyError, `accepted ${JSON.stringify(text)}`);
  });

  test('format and parse are inverse over the whole INT8 range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: MINOR_MIN, max: MINOR_MAX }), (amount) => {
        assert.equal(parseMinor(formatMinor(amount)), amount);
      }),
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        let parsed: bigint;
        try {
          parsed = parseMinor(text);
        } catch {
          return;
        }
        assert.equal(formatMinor(parsed), text, 'only the canonical spelling may parse');
      }),
    );
  });

  test('formatMinor refuses amounts outside INT8', () => {
    assert.throws(() => formatMinor(MINOR_MAX + 1n), MoneyError);
    assert.throws(() => formatMinor(MINOR_MIN - 1n), MoneyError);
  });
});

describe('currencies', () => {
  test('accepts lower-case ISO-4217 codes only', () => {
    assert.equal(parseCurrency('usd'), 'usd');
    assert.equal(money(5n, 'etb').currency, 'etb');
    for (const bad of ['USD', 'Usd', ' usd', 'usd ', 'us', 'usdd', 'abc', 'xxx', 'xau', '']) {
      assert.throws(() => parseCurrency(bad), MoneyError, `accepted ${JSON.stringify(bad)}`);
    }
  });

  test('every listed code is one that ICU knows as a currency (catches typos in the list)', () => {
    const icu = new Set(Intl.supportedValuesOf('currency').map((code) => code.toLowerCase()));
    for (const code of CURRENCIES) assert.ok(icu.has(code), `${code} is not an ISO-4217 code`);
    assert.ok(CURRENCIES.size > 150);
  });

  test('money() checks the amount range too', () => {
    assert.throws(() => money(MINOR_MAX + 1n, 'usd'), MoneyError);
  });
});

describe('splitEvenly', () => {
  test('gives the extra units to the first parts', () => {
    assert.deepEqual(splitEvenly(10n, 3), [4n, 3n, 3n]);
    assert.deepEqual(splitEvenly(11n, 3), [4n, 4n, 3n]);
    assert.deepEqual(splitEvenly(2n, 4), [1n, 1n, 0n, 0n]);
    assert.deepEqual(splitEvenly(0n, 2), [0n, 0n]);
  });

  test('refuses a count that is not a positive integer', () => {
    for (const count of [0, -1, 1.5, Number.NaN]) assert.throws(() => splitEvenly(10n, count), MoneyError);
  });

  test('parts sum to the total and differ by at most one unit, larger parts first', () => {
    fc.assert(
      fc.property(nonNegativeMinor, fc.integer({ min: 1, max: 500 }), (total, count) => {
        const parts = splitEvenly(total, count);
        assert.equal(parts.length, count);
        assert.equal(
          parts.reduce((a, b) => a + b, 0n),
          total,
        );
        const floor = total / BigInt(count);
        for (const [index, part] of parts.entries()) {
          assert.equal(part, BigInt(index) < total % BigInt(count) ? floor + 1n : floor);
        }
      }),
    );
  });
});

describe('splitProRata', () => {
  test('follows the largest-remainder rule, ties to the lower index', () => {
    // Exact shares 3.33.., 3.33.., 3.33..: one unit left over goes to index 0 (tie).
    assert.deepEqual(splitProRata(10n, [1n, 1n, 1n]), [4n, 3n, 3n]);
    // Exact shares 1.5, 4.5, 4.0: one unit left over; the remainders of 0.5 tie, so index 0 gets it.
    assert.deepEqual(splitProRata(10n, [3n, 9n, 8n]), [2n, 4n, 4n]);
    // Exact shares 9.4, 0.6: the larger remainder (0.6) beats the lower index.
    assert.deepEqual(splitProRata(10n, [94n, 6n]), [9n, 1n]);
    assert.deepEqual(splitProRata(100n, [0n, 1n, 0n]), [0n, 100n, 0n]);
  });

  test('handles zero and negative weights explicitly', () => {
    assert.throws(() => splitProRata(10n, [0n, 0n]), MoneyError);
    assert.throws(() => splitProRata(10n, [5n, -1n]), MoneyError);
    assert.throws(() => splitProRata(10n, []), MoneyError);
    assert.throws(() => splitProRata(-10n, [1n]), MoneyError);
  });

  test('parts sum to the total, sit within one unit of the exact share, and zero weights get nothing', () => {
    fc.assert(
      fc.property(nonNegativeMinor, weightsArb, (total, weights) => {
        const parts = splitProRata(total, weights);
        const weightSum = weights.reduce((a, b) => a + b, 0n);
        assert.equal(
          parts.reduce((a, b) => a + b, 0n),
          total,
        );
        for (const [index, part] of parts.entries()) {
          const weight = weights[index]!;
          // |part - total*weight/weightSum| < 1, kept in integers by multiplying through by weightSum.
          const error = part * weightSum - total * weight;
          assert.ok(error > -weightSum && error < weightSum, `part ${index} is a unit or more off its share`);
          assert.ok(part >= 0n);
          if (weight === 0n) assert.equal(part, 0n);
        }
      }),
    );
  });

  test('the leftover units go to the largest remainders, lower index first', () => {
    fc.assert(
      fc.property(nonNegativeMinor, weightsArb, (total, weights) => {
        const parts = splitProRata(total, weights);
        const weightSum = weights.reduce((a, b) => a + b, 0n);
        const remainder = (i: number) => (total * weights[i]!) % weightSum;
        const bumped = (i: number) => parts[i]! * weightSum > total * weights[i]!;
        // No part left at its floor may rank above a part that received a unit.
        for (let i = 0; i < parts.length; i++) {
          for (let j = 0; j < parts.length; j++) {
            if (!bumped(i) || bumped(j) || remainder(j) === 0n) continue;
            const jRanksHigher = remainder(j) > remainder(i) || (remainder(j) === remainder(i) && j < i);
            assert.ok(!jRanksHigher, `part ${j} should have received a unit before part ${i}`);
          }
        }
      }),
    );
  });

  test('is deterministic and independent of the scale of the weights', () => {
    fc.assert(
      fc.property(nonNegativeMinor, weightsArb, fc.bigInt({ min: 1n, max: 1000n }), (total, weights, scale) => {
        const parts = splitProRata(total, weights);
        assert.deepEqual(splitProRata(total, [...weights]), parts);
        assert.deepEqual(
          splitProRata(
            total,
            weights.map((weight) => weight * scale),
          ),
          parts,
        );
      }),
    );
  });

  test('splitEvenly is splitProRata with equal weights', () => {
    fc.assert(
      fc.property(nonNegativeMinor, fc.integer({ min: 1, max: 200 }), fc.bigInt({ min: 1n, max: 10n ** 9n }), (total, count, weight) => {
        assert.deepEqual(
          splitEvenly(total, count),
          splitProRata(
            total,
            Array.from({ length: count }, () => weight),
          ),
        );
      }),
    );
  });
});
