// Violation and warning sentences: each names the rule, the measured figure, the line it crossed and the
// consequence, in exact amounts formatted for the currency's minor unit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Violation } from './account';
import { explainViolation, explainWarning, formatAmount } from './explain';

const base = { atMs: 0, day: '2026-03-09', severity: 'hard', consequence: 'phase-failed' } as const;

describe('formatAmount', () => {
  test('uses the currency’s minor unit, thousands separators and an exact sign', () => {
    assert.equal(formatAmount(123456789n, 'usd'), '1,234,567.89 USD');
    assert.equal(formatAmount('-5', 'usd'), '-0.05 USD');
    assert.equal(formatAmount(1234567n, 'jpy'), '1,234,567 JPY');
    assert.equal(formatAmount(1234567n, 'kwd'), '1,234.567 KWD');
    assert.equal(formatAmount(0n, 'eur'), '0.00 EUR');
  });
});

describe('explainViolation', () => {
  const cases: [Violation, RegExp[]][] = [
    [
      {
        ...base,
        rule: 'daily-loss',
        unit: 'minor',
        basis: 'equity',
        measured: '9698000',
        threshold: '9700000',
        referenceMinor: '10200000',
        limitMinor: '500000',
        toleranceMinor: '1000',
      },
      [
        /^Maximum daily loss: equity fell to 96,980\.00 USD on trading day 2026-03-09, below today's floor of 97,000\.00 USD \(beyond the tolerance of 10\.00 USD\)\./,
        /reference of 102,000\.00 USD less the daily limit of 5,000\.00 USD/,
        /the phase has failed\.$/,
      ],
    ],
    [
      {
        ...base,
        rule: 'max-loss',
        unit: 'minor',
        basis: 'balance',
        measured: '4849900',
        threshold: '4850000',
        referenceMinor: '5100000',
        limitMinor: '250000',
        severity: 'soft',
        consequence: 'account-paused',
      },
      [/^Maximum loss: balance fell to 48,499\.00 USD/, /floor of 48,500\.00 USD\. The floor is 51,000\.00 USD/, /paused until it is reviewed\.$/],
    ],
    [
      {
        ...base,
        rule: 'risk-per-trade',
        unit: 'minor',
        measured: '30000',
        threshold: '20000',
        referenceMinor: '1000000',
        symbol: 'X',
        positionId: 'p1',
        consequence: 'order-refused',
      },
      [/position p1 in X risked 300\.00 USD at its stop-loss/, /more than the 200\.00 USD allowed on a balance of 10,000\.00 USD/, /The order was refused\.$/],
    ],
    [
      { ...base, rule: 'risk-per-trade', unit: 'minor', measured: 'no-stop-loss', threshold: '20000', symbol: 'X', positionId: 'p2' },
      [/without the required stop-loss/],
    ],
    [
      { ...base, rule: 'max-open-positions', unit: 'count', measured: '6', threshold: '5', severity: 'soft', consequence: 'account-paused' },
      [/6 positions would be open .* at most 5/, /until the next trading day\.$/],
    ],
    [
      { ...base, rule: 'max-position-size', unit: 'quantity', measured: '3.5', threshold: '3', symbol: 'BTC-USD' },
      [/3\.5 of BTC-USD would be open .* at most 3 are allowed/],
    ],
    [
      { ...base, rule: 'time-limit', unit: 'days', measured: '30', threshold: '30' },
      [/the 30 days of the phase ended on trading day 2026-03-09 before every objective was met/],
    ],
  ];
  for (const [violation, patterns] of cases) {
    test(`${violation.rule} (${violation.consequence})`, () => {
      const text = explainViolation(violation, 'usd');
      for (const pattern of patterns) assert.match(text, pattern);
    });
  }

  test('warnings say how much of which limit is used', () => {
    assert.equal(
      explainWarning({ rule: 'daily-loss', atMs: 0, day: '2026-03-09', usedMinor: '400000', limitMinor: '500000' }, 'usd'),
      "Warning: 4,000.00 USD of today's loss limit of 5,000.00 USD is used (80 % or more) on trading day 2026-03-09.",
    );
  });
});
