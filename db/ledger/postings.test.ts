// Listing an account's postings against the real database: order, pages, and transfer states.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { parseCurrency } from '../../domain/core/money';
import { testDb, uniqueId } from '../../test/support/env';
import { ensureAccounts } from './accounts';
import { LedgerValidationError } from './errors';
import { type AccountPosting, listAccountPostings } from './postings';
import { createPendingTransfer, postTransfer, voidPendingTransfer } from './transfers';

const db = testDb();
after(() => db.end());
const usd = parseCurrency('usd');

test('lists every posting of an account in order, a page at a time, with its transfer state', async () => {
  const run = uniqueId('postings');
  const [source, sink] = [`${run}:source`, `${run}:sink`];
  await ensureAccounts(db, [
    { key: source, currency: usd, floor: 'none' },
    { key: sink, currency: usd, floor: 'none' },
  ]);
  const keys = Array.from({ length: 7 }, (_, i) => `${run}:t${i}`);
  for (const [i, key] of keys.entries()) {
    const request = {
      idempotencyKey: key,
      currency: 'usd',
      postings: [
        { accountKey: source, direction: 'debit' as const, amountMinor: BigInt(i + 1) },
        { accountKey: sink, direction: 'credit' as const, amountMinor: BigInt(i + 1) },
      ],
    };
    if (i === 5) await createPendingTransfer(db, request);
    else await postTransfer(db, request);
  }
  await voidPendingTransfer(db, keys[5]!);

  const seen: AccountPosting[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const page = await listAccountPostings(db, sink, { limit: 3, afterTransferId: after });
    seen.push(...page.postings);
    after = page.nextAfterTransferId;
    pages++;
  } while (after !== null);
  assert.equal(pages, 3);
  assert.deepEqual(
    seen.map((p) => [p.idempotencyKey, p.direction, p.amountMinor, p.state]),
    keys.map((key, i) => [key, 'credit', BigInt(i + 1), i === 5 ? 'voided' : 'posted']),
  );
  const debits = await listAccountPostings(db, source, { limit: 1000 });
  assert.equal(debits.nextAfterTransferId, null);
  assert.ok(debits.postings.every((p) => p.direction === 'debit'));
});

test('refuses bad page requests', async () => {
  await assert.rejects(listAccountPostings(db, 'acct', { limit: 0 }), LedgerValidationError);
  await assert.rejects(listAccountPostings(db, 'acct', { limit: 1001 }), LedgerValidationError);
  await assert.rejects(listAccountPostings(db, 'acct', { limit: 5, afterTransferId: 'nope' }), LedgerValidationError);
  await assert.rejects(listAccountPostings(db, 'bad key', { limit: 5 }), LedgerValidationError);
});
