// The ledger activities against the real database: JSON-safe arguments and results, and domain errors
// turned into non-retryable ApplicationFailures with stable types.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { testDb, uniqueId } from '../test/support/env';
import { type AccountSpecWire, createLedgerActivities, type TransferRequestWire } from './ledger';

const db = testDb();
after(() => db.end());
const ledger = createLedgerActivities({ db });

const run = uniqueId('ledger-act');
const accounts: AccountSpecWire[] = [
  { key: `${run}:source`, currency: 'usd', floor: 'none' },
  { key: `${run}:pot`, currency: 'usd', floor: 'debits_must_not_exceed_credits' },
  { key: `${run}:payee`, currency: 'usd', floor: 'debits_must_not_exceed_credits' },
];
const move = (key: string, from: string, to: string, amountMinor: string): TransferRequestWire => ({
  idempotencyKey: `${run}:${key}`,
  currency: 'usd',
  postings: [
    { accountKey: `${run}:${from}`, direction: 'debit', amountMinor },
    { accountKey: `${run}:${to}`, direction: 'credit', amountMinor },
  ],
  metadata: { purpose: key },
});

/** Checks that `promise` fails with a non-retryable ApplicationFailure of the given type. */
async function failsWith(promise: Promise<unknown>, type: string, details?: unknown): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ApplicationFailure, `not an ApplicationFailure: ${String(error)}`);
    assert.equal(error.type, type);
    assert.equal(error.nonRetryable, true);
    if (details !== undefined) assert.deepEqual(error.details, [details]);
    return true;
  });
}

/** What crosses the Temporal wall must survive JSON unchanged (no bigint, no Date). */
const jsonSafe = <T>(value: T): T => {
  assert.deepEqual(JSON.parse(JSON.stringify(value)), value);
  return value;
};

before(() => ledger.ensureAccounts({ accounts }));

test('moves money with decimal-string amounts and returns JSON-safe transfers and balances', async () => {
  const posted = jsonSafe(await ledger.postTransfer(move('fund', 'source', 'pot', '9007199254740993')));
  assert.equal(posted.state, 'posted');
  assert.equal(posted.replayed, false);
  assert.equal(posted.postings.find((p) => p.direction === 'credit')?.amountMinor, '9007199254740993');
  assert.equal(jsonSafe(await ledger.postTransfer(move('fund', 'source', 'pot', '9007199254740993'))).replayed, true);

  const pending = jsonSafe(await ledger.createPendingTransfer(move('hold', 'pot', 'payee', '250')));
  assert.equal(pending.state, 'pending');
  const posting = jsonSafe(await ledger.postPendingTransfer({ idempotencyKey: pending.idempotencyKey }));
  assert.equal(posting.state, 'posted_from_pending');
  assert.equal(typeof posting.resolvedAt, 'string');
  await ledger.createPendingTransfer(move('hold-2', 'pot', 'payee', '1'));
  assert.equal((await ledger.voidPendingTransfer({ idempotencyKey: `${run}:hold-2` })).state, 'voided');

  const balances = jsonSafe(await ledger.getBalances({ accountKeys: [`${run}:pot`, `${run}:payee`] }));
  assert.deepEqual(
    balances.map((b) => [b.key, b.debitsPostedMinor, b.creditsPostedMinor, b.debitsPendingMinor, b.creditsPendingMinor]),
    [
      [`${run}:pot`, '250', '9007199254740993', '0', '0'],
      [`${run}:payee`, '0', '250', '0', '0'],
    ],
  );
  assert.deepEqual(jsonSafe(await ledger.checkInvariants({ accountPrefix: `${run}:` })), []);
});

test('turns ledger errors into non-retryable failures with stable types', async () => {
  await ledger.postTransfer(move('small', 'source', 'payee', '5'));
  await failsWith(ledger.postTransfer(move('small', 'source', 'payee', '6')), 'LedgerIdempotencyConflict');
  await failsWith(ledger.postTransfer(move('overdraw', 'payee', 'source', '1000000')), 'LedgerFloorViolation', { accountKeys: [`${run}:payee`] });
  await failsWith(ledger.postTransfer(move('unknown', 'source', 'nowhere', '5')), 'LedgerValidation', { reason: 'unknown_account' });
  await failsWith(ledger.postPendingTransfer({ idempotencyKey: `${run}:never` }), 'LedgerTransferNotFound');
  await failsWith(ledger.voidPendingTransfer({ idempotencyKey: `${run}:small` }), 'LedgerTransferNotPending');
  await failsWith(ledger.ensureAccounts({ accounts: [{ ...accounts[0]!, currency: 'eur' }] }), 'LedgerAccountConflict');
  await failsWith(ledger.getBalances({ accountKeys: [`${run}:nowhere`] }), 'LedgerValidation');
  await failsWith(ledger.checkInvariants({ currency: 'USD' }), 'LedgerValidation');
});

test('refuses malformed amounts, currencies and shapes as validation failures, writing nothing', async () => {
  for (const amount of ['1.5', '1e3', '+5', ' 5', '9223372036854775808', '']) {
    await failsWith(ledger.postTransfer(move('bad-amount', 'source', 'pot', amount)), 'LedgerValidation', { reason: 'invalid_request' });
  }
  await failsWith(ledger.postTransfer({ ...move('bad-currency', 'source', 'pot', '5'), currency: 'US' }), 'LedgerValidation');
  await failsWith(ledger.ensureAccounts({ accounts: [{ key: `${run}:x`, currency: 'USD', floor: 'none' }] }), 'LedgerValidation');
  await failsWith(ledger.postTransfer({ idempotencyKey: `${run}:no-postings`, currency: 'usd' } as TransferRequestWire), 'LedgerValidation');
  await failsWith(ledger.ensureAccounts({} as { accounts: AccountSpecWire[] }), 'LedgerValidation');
  await failsWith(ledger.getBalances({ accountKeys: [`${run}:x`] }), 'LedgerValidation');
  // Nothing was recorded under the keys those requests used.
  for (const key of ['bad-amount', 'bad-currency', 'no-postings']) {
    await failsWith(ledger.postPendingTransfer({ idempotencyKey: `${run}:${key}` }), 'LedgerTransferNotFound');
  }
});

test('leaves faults retryable: a database that is gone is not a domain error', async () => {
  const closed = testDb();
  await closed.end();
  const offline = createLedgerActivities({ db: closed });
  await assert.rejects(offline.postTransfer(move('offline', 'source', 'pot', '5')), (error: unknown) => !(error instanceof ApplicationFailure));
});
