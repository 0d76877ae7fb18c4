// The invariant checker against the real database: a healthy ledger yields no violations, and each
// kind of corruption is reported. Corruption is written inside a transaction that is rolled back, so
// other tests sharing the database never see it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { parseCurrency } from '../../domain/core/money';
import { testDb, uniqueId } from '../../test/support/env';
import { ensureAccounts } from './accounts';
import { checkLedgerInvariants, findLedgerViolations, type InvariantScope, type LedgerViolation } from './invariants';
import { createPendingTransfer, postPendingTransfer, postTransfer, voidPendingTransfer } from './transfers';

const db = testDb();
after(() => db.end());

const run = uniqueId('inv');
const key = (name: string) => `${run}:${name}`;
let paymentId: string;

before(async () => {
  await ensureAccounts(db, [
    { key: key('pot'), currency: parseCurrency('usd'), floor: 'debits_must_not_exceed_credits' },
    { key: key('member'), currency: parseCurrency('usd'), floor: 'none' },
    { key: key('eur'), currency: parseCurrency('eur'), floor: 'none' },
  ]);
  const move = (from: string, to: string, amountMinor: bigint) => [
    { accountKey: key(from), direction: 'debit' as const, amountMinor },
    { accountKey: key(to), direction: 'credit' as const, amountMinor },
  ];
  ({
    transfer: { transferId: paymentId },
  } = await postTransfer(db, { idempotencyKey: key('pay'), currency: 'usd', postings: move('member', 'pot', 100n) }));
  await createPendingTransfer(db, { idempotencyKey: key('hold-1'), currency: 'usd', postings: move('pot', 'member', 30n) });
  await createPendingTransfer(db, { idempotencyKey: key('hold-2'), currency: 'usd', postings: move('pot', 'member', 20n) });
  await createPendingTransfer(db, { idempotencyKey: key('hold-3'), currency: 'usd', postings: move('pot', 'member', 10n) });
  await postPendingTransfer(db, key('hold-1'));
  await voidPendingTransfer(db, key('hold-2'));
});

/** Runs `corrupt` and then the checks inside one transaction that is always rolled back. */
async function violationsAfter(
  corrupt: (client: pg.PoolClient) => Promise<unknown>,
  scope: InvariantScope = { accountPrefix: `${run}:` },
): Promise<LedgerViolation[]> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await corrupt(client);
    return await findLedgerViolations(client, scope);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

const kinds = (violations: LedgerViolation[]) => violations.map((v) => `${v.kind} ${v.subject}`).sort();

describe('checkLedgerInvariants', () => {
  test('finds nothing wrong with a ledger written through the ledger operations', async () => {
    assert.deepEqual(await checkLedgerInvariants(db, { accountPrefix: `${run}:` }), []);
    assert.deepEqual(await checkLedgerInvariants(db, { currency: 'usd', accountPrefix: `${run}:` }), []);
  });

  test('finds nothing wrong with the whole shared database', async () => {
    assert.deepEqual(await checkLedgerInvariants(db), []);
  });

  test('reports a stored balance that differs from the postings, and the broken zero sum', async () => {
    const violations = await violationsAfter((c) =>
      c.query('UPDATE ledger_accounts SET credits_pending = credits_pending + 5 WHERE account_key = $1', [key('member')]),
    );
    assert.deepEqual(kinds(violations), [`balance_mismatch ${key('member')}`, 'currency_not_zero_sum usd']);
    assert.match(violations[0]!.detail, /credits_pending stored 15, postings say 10/);
  });

  test('reports a transfer that no longer balances or mixes currencies', async () => {
    const violations = await violationsAfter((c) =>
      c.query(`INSERT INTO ledger_postings (transfer_id, account_key, direction, amount_minor, created_at) VALUES ($1, $2, 'debit', 7, now())`, [
        paymentId,
        key('eur'),
      ]),
    );
    assert.deepEqual(kinds(violations), [`balance_mismatch ${key('eur')}`, `mixed_currency_transfer ${key('pay')}`, `unbalanced_transfer ${key('pay')}`]);
  });

  test('reports postings that break an account floor', async () => {
    const violations = await violationsAfter(async (c) => {
      const { rows } = await c.query<{ transfer_id: string }>(
        `INSERT INTO ledger_transfers (idempotency_key, currency, fingerprint, state) VALUES ($1, 'usd', 'x', 'posted') RETURNING transfer_id`,
        [key('forged')],
      );
      await c.query(`INSERT INTO ledger_postings (transfer_id, account_key, direction, amount_minor, created_at) VALUES ($1, $2, 'debit', 500, now())`, [
        rows[0]!.transfer_id,
        key('pot'),
      ]);
    });
    assert.deepEqual(kinds(violations), [`balance_mismatch ${key('pot')}`, `floor_violated ${key('pot')}`, `unbalanced_transfer ${key('forged')}`]);
  });

  test('counts postings by their transfer state', async () => {
    const violations = await violationsAfter((c) =>
      c.query(`UPDATE ledger_transfers SET state = 'voided', resolved_at = now() WHERE idempotency_key = $1`, [key('hold-3')]),
    );
    assert.deepEqual(kinds(violations), [`balance_mismatch ${key('member')}`, `balance_mismatch ${key('pot')}`]);
  });

  test('a scope leaves out other accounts, with "_" in a prefix taken literally, but always checks the zero sum', async () => {
    const corrupt = (c: pg.PoolClient) => c.query('UPDATE ledger_accounts SET debits_posted = debits_posted + 1 WHERE account_key = $1', [key('pot')]);
    // run is "inv-…": with '_' read as a LIKE wildcard, "inv_…" would match it.
    const elsewhere = { accountPrefix: `${run.replace('-', '_')}:` };
    assert.deepEqual(kinds(await violationsAfter(corrupt, elsewhere)), ['currency_not_zero_sum usd']);
    assert.deepEqual(kinds(await violationsAfter(corrupt, { currency: 'eur', accountPrefix: `${run}:` })), []);
  });

  test('refuses a malformed scope', async () => {
    await assert.rejects(checkLedgerInvariants(db, { currency: 'USD' }));
    await assert.rejects(checkLedgerInvariants(db, { accountPrefix: 'with space' }));
  });
});
