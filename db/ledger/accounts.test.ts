// Ledger accounts against the real database: idempotent creation, conflicts, balances, and the chart's
// key builders.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parseCurrency } from '../../domain/core/money';
import { testDb, uniqueId } from '../../test/support/env';
import { ensureAccounts, getBalances } from './accounts';
import { chart } from './chart';
import { LedgerAccountConflictError, LedgerValidationError } from './errors';

const db = testDb();
after(() => db.end());
const usd = parseCurrency('usd');
const eur = parseCurrency('eur');

describe('ensureAccounts', () => {
  test('creates accounts with zero balances, and a second call changes nothing', async () => {
    const pool = uniqueId('pool');
    const specs = [chart.poolPot(pool, usd), chart.memberContributed(pool, 'm1', usd), chart.platformFeeRevenue(usd)];
    await ensureAccounts(db, specs);
    await ensureAccounts(db, specs);
    const [pot, contributed] = await getBalances(db, [specs[0]!.key, specs[1]!.key]);
    assert.deepEqual(pot, {
      key: `pool:${pool}:pot`,
      currency: 'usd',
      floor: 'debits_must_not_exceed_credits',
      debitsPostedMinor: 0n,
      creditsPostedMinor: 0n,
      debitsPendingMinor: 0n,
      creditsPendingMinor: 0n,
    });
    assert.equal(contributed!.floor, 'credits_must_not_exceed_debits');
  });

  test('refuses an existing key with another currency or floor', async () => {
    const pool = uniqueId('pool');
    await ensureAccounts(db, [chart.poolPot(pool, usd)]);
    await assert.rejects(ensureAccounts(db, [chart.poolPot(pool, eur)]), (error: unknown) => {
      assert.ok(error instanceof LedgerAccountConflictError);
      assert.equal(error.type, 'LedgerAccountConflict');
      return true;
    });
    await assert.rejects(ensureAccounts(db, [{ ...chart.poolPot(pool, usd), floor: 'none' }]), LedgerAccountConflictError);
  });

  test('creates nothing when one account of the batch conflicts', async () => {
    const pool = uniqueId('pool');
    await ensureAccounts(db, [chart.poolPot(pool, usd)]);
    await assert.rejects(ensureAccounts(db, [chart.poolReserve(pool, usd), chart.poolPot(pool, eur)]), LedgerAccountConflictError);
    await assert.rejects(getBalances(db, [chart.poolReserve(pool, usd).key]), LedgerValidationError);
  });

  test('validates keys, currencies, floors and batch sizes', async () => {
    const key = uniqueId('acct');
    const cases = [
      [{ key: 'has space', currency: usd, floor: 'none' }],
      [{ key, currency: 'USD', floor: 'none' }],
      [{ key, currency: usd, floor: 'sometimes' }],
      [
        { key, currency: usd, floor: 'none' },
        { key, currency: eur, floor: 'none' },
      ],
      [],
    ] as Parameters<typeof ensureAccounts>[1][];
    for (const specs of cases) await assert.rejects(ensureAccounts(db, specs), LedgerValidationError, JSON.stringify(specs));
    await assert.rejects(getBalances(db, [key]), LedgerValidationError);
  });
});

describe('getBalances', () => {
  test('returns balances in the order asked and names an unknown account', async () => {
    const pool = uniqueId('pool');
    await ensureAccounts(db, [chart.poolPot(pool, usd), chart.poolFees(pool, usd)]);
    const balances = await getBalances(db, [chart.poolFees(pool, usd).key, chart.poolPot(pool, usd).key]);
    assert.deepEqual(
      balances.map((b) => b.key),
      [`pool:${pool}:fees`, `pool:${pool}:pot`],
    );
    await assert.rejects(getBalances(db, [`pool:${pool}:pot`, `pool:${pool}:nope`]), (error: unknown) => {
      assert.ok(error instanceof LedgerValidationError);
      assert.equal(error.reason, 'unknown_account');
      assert.match(error.message, /nope/);
      return true;
    });
  });
});

describe('chart', () => {
  test('builds the documented keys and floors', () => {
    assert.deepEqual(
      [
        chart.poolPot('p1', usd),
        chart.poolReserve('p1', usd),
        chart.poolFees('p1', usd),
        chart.memberContributed('p1', 'm1', usd),
        chart.memberPaidOut('p1', 'm1', usd),
        chart.platformFeeRevenue(usd),
        chart.stripeClearing(usd),
      ].map((spec) => `${spec.key} ${spec.floor}`),
      [
        'pool:p1:pot debits_must_not_exceed_credits',
        'pool:p1:reserve debits_must_not_exceed_credits',
        'pool:p1:fees debits_must_not_exceed_credits',
        'pool:p1:member:m1:contributed credits_must_not_exceed_debits',
        'pool:p1:member:m1:paid_out debits_must_not_exceed_credits',
        'platform:fee_revenue:usd none',
        'stripe:clearing:usd none',
      ],
    );
  });

  test('refuses identifiers that would make keys ambiguous', () => {
    assert.throws(() => chart.poolPot('a:b', usd), RangeError);
    assert.throws(() => chart.memberPaidOut('p', '', usd), RangeError);
  });
});
