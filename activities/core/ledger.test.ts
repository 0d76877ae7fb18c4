// Ledger errors inside activities, against the real database: the domain's refusals become
// non-retryable ApplicationFailures with stable types; a database that is gone stays retryable.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { ensureAccounts, getBalances } from '../../db/ledger/accounts';
import { postPendingTransfer, postTransfer, voidPendingTransfer } from '../../db/ledger/transfers';
import type { TransferRequest } from '../../db/ledger/transfer-request';
import { parseCurrency, parseMinor } from '../../domain/core/money';
import { testDb, uniqueId } from '../../test/support/env';
import { asLedgerActivity } from './ledger';

const db = testDb();
after(() => db.end());

const run = uniqueId('ledger-act');
const usd = parseCurrency('usd');
const move = (key: string, from: string, to: string, amountMinor: bigint): TransferRequest => ({
  idempotencyKey: `${run}:${key}`,
  currency: usd,
  postings: [
    { accountKey: `${run}:${from}`, direction: 'debit', amountMinor },
    { accountKey: `${run}:${to}`, direction: 'credit', amountMinor },
  ],
});

/** Checks that `call` fails with a non-retryable ApplicationFailure of the given type. */
async function failsWith(call: () => Promise<unknown>, type: string, details?: unknown): Promise<void> {
  await assert.rejects(asLedgerActivity(call), (error: unknown) => {
    assert.ok(error instanceof ApplicationFailure, `not an ApplicationFailure: ${String(error)}`);
    assert.equal(error.type, type);
    assert.equal(error.nonRetryable, true);
    if (details !== undefined) assert.deepEqual(error.details, [details]);
    return true;
  });
}

before(() =>
  ensureAccounts(db, [
    { key: `${run}:source`, currency: usd, floor: 'none' },
    { key: `${run}:payee`, currency: usd, floor: 'debits_must_not_exceed_credits' },
  ]),
);

test('passes results through and turns ledger refusals into non-retryable failures with stable types', async () => {
  const posted = await asLedgerActivity(() => postTransfer(db, move('small', 'source', 'payee', 5n)));
  assert.equal(posted.transfer.state, 'posted');
  await failsWith(() => postTransfer(db, move('small', 'source', 'payee', 6n)), 'LedgerIdempotencyConflict');
  await failsWith(() => postTransfer(db, move('overdraw', 'payee', 'source', 1_000_000n)), 'LedgerFloorViolation', { accountKeys: [`${run}:payee`] });
  await failsWith(() => postTransfer(db, move('unknown', 'source', 'nowhere', 5n)), 'LedgerValidation', { reason: 'unknown_account' });
  await failsWith(() => postPendingTransfer(db, `${run}:never`), 'LedgerTransferNotFound');
  await failsWith(() => voidPendingTransfer(db, `${run}:small`), 'LedgerTransferNotPending');
  await failsWith(() => ensureAccounts(db, [{ key: `${run}:source`, currency: parseCurrency('eur'), floor: 'none' }]), 'LedgerAccountConflict');
  await failsWith(() => getBalances(db, [`${run}:nowhere`]), 'LedgerValidation');
});

test('a malformed amount from a workflow is a validation failure, and nothing is recorded under its key', async () => {
  for (const amount of ['1.5', '1e3', '+5', ' 5', '9223372036854775808', '']) {
    await failsWith(() => postTransfer(db, move('bad-amount', 'source', 'payee', parseMinor(amount))), 'LedgerValidation', { reason: 'invalid_request' });
  }
  await failsWith(() => postPendingTransfer(db, `${run}:bad-amount`), 'LedgerTransferNotFound');
});

test('leaves faults retryable: a database that is gone is not a domain error', async () => {
  const closed = testDb();
  await closed.end();
  await assert.rejects(
    asLedgerActivity(() => postTransfer(closed, move('offline', 'source', 'payee', 5n))),
    (error: unknown) => !(error instanceof ApplicationFailure),
  );
});
