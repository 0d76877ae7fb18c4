// Transfers against the real database: posting, two-phase reserve/post/void, idempotent replays and
// conflicts, floors, and the validation that keeps bad requests from writing anything.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { MINOR_MAX, parseCurrency } from '../../domain/core/money';
import { testDb, uniqueId } from '../../test/support/env';
import { ensureAccounts, getBalances } from './accounts';
import { type AccountFloor, chart } from './chart';
import { LedgerConflictError, LedgerFloorError, LedgerTransferNotFoundError, LedgerTransferStateError, LedgerValidationError } from './errors';
import { type PostingInput, POSTINGS_PER_TRANSFER_MAX } from './transfer-request';
import { createPendingTransfer, getTransfer, postPendingTransfer, postTransfer, voidPendingTransfer } from './transfers';

const db = testDb();
after(() => db.end());
const usd = parseCurrency('usd');

/** Money leaves `from` (debit) and arrives in `to` (credit). */
const move = (from: string, to: string, amountMinor: bigint): PostingInput[] => [
  { accountKey: from, direction: 'debit', amountMinor },
  { accountKey: to, direction: 'credit', amountMinor },
];

/** [debits posted, credits posted, debits pending, credits pending] of each account, as one compact list. */
async function balances(...keys: string[]): Promise<bigint[][]> {
  return (await getBalances(db, keys)).map((b) => [b.debitsPostedMinor, b.creditsPostedMinor, b.debitsPendingMinor, b.creditsPendingMinor]);
}

/** A fresh pool: a member whose money enters, the pot, a payee, and a pot already holding 1000. */
async function freshPool() {
  const pool = uniqueId('pool');
  const accounts = {
    member: chart.memberContributed(pool, 'm1', usd).key,
    pot: chart.poolPot(pool, usd).key,
    payee: chart.memberPaidOut(pool, 'm2', usd).key,
    fees: chart.poolFees(pool, usd).key,
  };
  await ensureAccounts(db, [
    chart.memberContributed(pool, 'm1', usd),
    chart.poolPot(pool, usd),
    chart.memberPaidOut(pool, 'm2', usd),
    chart.poolFees(pool, usd),
  ]);
  await postTransfer(db, { idempotencyKey: `${pool}:fund`, currency: 'usd', postings: move(accounts.member, accounts.pot, 1000n) });
  return { pool, ...accounts };
}

describe('postTransfer', () => {
  test('moves posted balances on both sides and records the transfer', async () => {
    const p = await freshPool();
    const { transfer, replayed } = await postTransfer(db, {
      idempotencyKey: `${p.pool}:payout`,
      currency: 'usd',
      postings: move(p.pot, p.payee, 300n),
      metadata: { round: 1 },
    });
    assert.equal(replayed, false);
    assert.equal(transfer.state, 'posted');
    assert.deepEqual(await balances(p.member, p.pot, p.payee), [
      [1000n, 0n, 0n, 0n],
      [300n, 1000n, 0n, 0n],
      [0n, 300n, 0n, 0n],
    ]);
    const stored = await getTransfer(db, `${p.pool}:payout`);
    assert.equal(stored?.transferId, transfer.transferId);
    assert.deepEqual(stored?.metadata, { round: 1 });
    assert.deepEqual(stored?.postings, transfer.postings);
  });

  test('allows a multi-leg transfer that balances', async () => {
    const p = await freshPool();
    await postTransfer(db, {
      idempotencyKey: `${p.pool}:payout-with-fee`,
      currency: 'usd',
      postings: [
        { accountKey: p.pot, direction: 'debit', amountMinor: 500n },
        { accountKey: p.payee, direction: 'credit', amountMinor: 450n },
        { accountKey: p.fees, direction: 'credit', amountMinor: 50n },
      ],
    });
    assert.deepEqual(await balances(p.pot, p.payee, p.fees), [
      [500n, 1000n, 0n, 0n],
      [0n, 450n, 0n, 0n],
      [0n, 50n, 0n, 0n],
    ]);
  });

  test('a replay with the same content returns the original and writes nothing', async () => {
    const p = await freshPool();
    const request = { idempotencyKey: `${p.pool}:fee`, currency: 'usd', postings: move(p.pot, p.fees, 25n), metadata: { a: 1, b: [true, null] } };
    const first = await postTransfer(db, request);
    // Same content, spelled differently: postings in another order, metadata keys in another order.
    const again = await postTransfer(db, { ...request, postings: [...request.postings].reverse(), metadata: { b: [true, null], a: 1 } });
    assert.equal(again.replayed, true);
    assert.equal(again.transfer.transferId, first.transfer.transferId);
    assert.deepEqual(again.transfer.postings, first.transfer.postings);
    assert.deepEqual(await balances(p.pot, p.fees), [
      [25n, 1000n, 0n, 0n],
      [0n, 25n, 0n, 0n],
    ]);
  });

  test('a replay with different content is a LedgerConflictError and writes nothing', async () => {
    const p = await freshPool();
    const request = { idempotencyKey: `${p.pool}:fee`, currency: 'usd', postings: move(p.pot, p.fees, 25n), metadata: { round: 1 } };
    await postTransfer(db, request);
    const variants = [
      { ...request, postings: move(p.pot, p.fees, 26n) },
      { ...request, postings: move(p.pot, p.payee, 25n) },
      { ...request, metadata: { round: 2 } },
      { ...request, metadata: {} },
    ];
    for (const variant of variants) {
      await assert.rejects(postTransfer(db, variant), (error: unknown) => {
        assert.ok(error instanceof LedgerConflictError);
        assert.equal(error.type, 'LedgerIdempotencyConflict');
        return true;
      });
    }
    // Reserving under a key already used for a posted transfer is different content too.
    await assert.rejects(createPendingTransfer(db, request), LedgerConflictError);
    assert.deepEqual(await balances(p.pot, p.fees, p.payee), [
      [25n, 1000n, 0n, 0n],
      [0n, 25n, 0n, 0n],
      [0n, 0n, 0n, 0n],
    ]);
  });

  test('refuses to take an account below its floor, writes nothing, and leaves the key free', async () => {
    const p = await freshPool();
    const request = { idempotencyKey: `${p.pool}:too-much`, currency: 'usd', postings: move(p.pot, p.payee, 1001n) };
    await assert.rejects(postTransfer(db, request), (error: unknown) => {
      assert.ok(error instanceof LedgerFloorError);
      assert.equal(error.type, 'LedgerFloorViolation');
      assert.deepEqual(error.accountKeys, [p.pot]);
      return true;
    });
    assert.equal(await getTransfer(db, request.idempotencyKey), null);
    assert.deepEqual(await balances(p.pot, p.payee), [
      [0n, 1000n, 0n, 0n],
      [0n, 0n, 0n, 0n],
    ]);
    // Exactly the whole pot is allowed, under the key the refused attempt did not consume.
    await postTransfer(db, { ...request, postings: move(p.pot, p.payee, 1000n) });
    assert.deepEqual(await balances(p.pot), [[1000n, 1000n, 0n, 0n]]);
  });

  test('keeps a debit-normal account from being credited beyond its debits (no over-refund)', async () => {
    const p = await freshPool();
    // Another member's money in the pot, so that only the refunded member's floor is at stake.
    const other = chart.memberContributed(p.pool, 'm3', usd);
    await ensureAccounts(db, [other]);
    await postTransfer(db, { idempotencyKey: `${p.pool}:m3`, currency: 'usd', postings: move(other.key, p.pot, 500n) });
    await assert.rejects(
      postTransfer(db, { idempotencyKey: `${p.pool}:refund`, currency: 'usd', postings: move(p.pot, p.member, 1001n) }),
      (error: unknown) => error instanceof LedgerFloorError && error.accountKeys.join() === p.member,
    );
    await postTransfer(db, { idempotencyKey: `${p.pool}:refund`, currency: 'usd', postings: move(p.pot, p.member, 1000n) });
    assert.deepEqual(await balances(p.member), [[1000n, 1000n, 0n, 0n]]);
  });

  test('refuses invalid requests before writing anything', async () => {
    const p = await freshPool();
    const eurAccount = `${p.pool}:eur`;
    await ensureAccounts(db, [{ key: eurAccount, currency: parseCurrency('eur'), floor: 'none' }]);
    const key = `${p.pool}:bad`;
    const cases: [string, Parameters<typeof postTransfer>[1]][] = [
      ['unbalanced', { idempotencyKey: key, currency: 'usd', postings: [move(p.pot, p.payee, 5n)[0]!, move(p.pot, p.payee, 4n)[1]!] }],
      ['mixed_currency', { idempotencyKey: key, currency: 'usd', postings: move(p.pot, eurAccount, 5n) }],
      ['unknown_account', { idempotencyKey: key, currency: 'usd', postings: move(p.pot, `${p.pool}:missing`, 5n) }],
      ['duplicate_account', { idempotencyKey: key, currency: 'usd', postings: move(p.pot, p.pot, 5n) }],
      ['invalid_request', { idempotencyKey: key, currency: 'usd', postings: move(p.pot, p.payee, 5n).slice(0, 1) }],
      ['invalid_request', { idempotencyKey: key, currency: 'usd', postings: move(p.pot, p.payee, 0n) }],
      ['invalid_request', { idempotencyKey: key, currency: 'usd', postings: move(p.pot, p.payee, -5n) }],
      ['invalid_request', { idempotencyKey: key, currency: 'USD', postings: move(p.pot, p.payee, 5n) }],
      ['invalid_request', { idempotencyKey: 'has space', currency: 'usd', postings: move(p.pot, p.payee, 5n) }],
      ['invalid_request', { idempotencyKey: '', currency: 'usd', postings: move(p.pot, p.payee, 5n) }],
      ['invalid_request', { idempotencyKey: key, currency: 'usd', postings: move(p.pot, p.payee, 5n), metadata: { big: 'x'.repeat(5000) } }],
      ['invalid_request', { idempotencyKey: key, currency: 'usd', postings: move(p.pot, p.payee, 5n), metadata: { n: Number.NaN } }],
      [
        'invalid_request',
        {
          idempotencyKey: key,
          currency: 'usd',
          postings: Array.from({ length: POSTINGS_PER_TRANSFER_MAX + 1 }, (_, i) => ({
            accountKey: `${p.pool}:a${i}`,
            direction: i === 0 ? 'debit' : 'credit',
            amountMinor: i === 0 ? BigInt(POSTINGS_PER_TRANSFER_MAX) : 1n,
          })),
        },
      ],
    ];
    for (const [reason, request] of cases) {
      await assert.rejects(
        postTransfer(db, request),
        (error: unknown) => error instanceof LedgerValidationError && error.reason === reason && error.type === 'LedgerValidation',
        `${reason}: ${JSON.stringify(request, (_, v: unknown) => (typeof v === 'bigint' ? `${v}` : v))}`,
      );
    }
    assert.equal(await getTransfer(db, key), null);
    assert.deepEqual(await balances(p.pot, p.payee, eurAccount), [
      [0n, 1000n, 0n, 0n],
      [0n, 0n, 0n, 0n],
      [0n, 0n, 0n, 0n],
    ]);
  });

  test('refuses a transfer that would overflow an INT8 balance', async () => {
    const run = uniqueId('overflow');
    const spec = (name: string, floor: AccountFloor) => ({ key: `${run}:${name}`, currency: usd, floor });
    await ensureAccounts(db, [spec('source', 'none'), spec('sink', 'none')]);
    await postTransfer(db, { idempotencyKey: `${run}:max`, currency: 'usd', postings: move(`${run}:source`, `${run}:sink`, MINOR_MAX) });
    await assert.rejects(
      postTransfer(db, { idempotencyKey: `${run}:one-more`, currency: 'usd', postings: move(`${run}:source`, `${run}:sink`, 1n) }),
      (error: unknown) => error instanceof LedgerValidationError && error.reason === 'overflow',
    );
    assert.equal(await getTransfer(db, `${run}:one-more`), null);
  });
});

describe('two-phase transfers', () => {
  test('a pending transfer reserves: its debit counts against the floor, its credit is not yet available', async () => {
    const p = await freshPool();
    await createPendingTransfer(db, { idempotencyKey: `${p.pool}:hold`, currency: 'usd', postings: move(p.pot, p.payee, 700n) });
    assert.deepEqual(await balances(p.pot, p.payee), [
      [0n, 1000n, 700n, 0n],
      [0n, 0n, 0n, 700n],
    ]);
    // Only 300 remains available, whether the next transfer is posted or pending.
    await assert.rejects(postTransfer(db, { idempotencyKey: `${p.pool}:x`, currency: 'usd', postings: move(p.pot, p.fees, 301n) }), LedgerFloorError);
    await assert.rejects(createPendingTransfer(db, { idempotencyKey: `${p.pool}:y`, currency: 'usd', postings: move(p.pot, p.fees, 301n) }), LedgerFloorError);
    // The payee's pending credit cannot be spent before it is posted.
    await assert.rejects(postTransfer(db, { idempotencyKey: `${p.pool}:z`, currency: 'usd', postings: move(p.payee, p.fees, 1n) }), LedgerFloorError);
    await postTransfer(db, { idempotencyKey: `${p.pool}:x`, currency: 'usd', postings: move(p.pot, p.fees, 300n) });
  });

  test('posting moves the reservation to posted; posting again replays; voiding then fails', async () => {
    const p = await freshPool();
    const created = await createPendingTransfer(db, { idempotencyKey: `${p.pool}:hold`, currency: 'usd', postings: move(p.pot, p.payee, 700n) });
    assert.equal(created.transfer.state, 'pending');
    const posted = await postPendingTransfer(db, `${p.pool}:hold`);
    assert.equal(posted.replayed, false);
    assert.equal(posted.transfer.state, 'posted_from_pending');
    assert.equal(posted.transfer.transferId, created.transfer.transferId);
    assert.ok(posted.transfer.resolvedAt instanceof Date);
    assert.deepEqual(await balances(p.pot, p.payee), [
      [700n, 1000n, 0n, 0n],
      [0n, 700n, 0n, 0n],
    ]);
    const again = await postPendingTransfer(db, `${p.pool}:hold`);
    assert.equal(again.replayed, true);
    assert.deepEqual(again.transfer, posted.transfer);
    await assert.rejects(voidPendingTransfer(db, `${p.pool}:hold`), (error: unknown) => {
      assert.ok(error instanceof LedgerTransferStateError);
      assert.equal(error.type, 'LedgerTransferNotPending');
      return true;
    });
    // Creating it again with the same content is a replay of the (now posted) transfer.
    const replayed = await createPendingTransfer(db, { idempotencyKey: `${p.pool}:hold`, currency: 'usd', postings: move(p.pot, p.payee, 700n) });
    assert.equal(replayed.replayed, true);
    assert.equal(replayed.transfer.state, 'posted_from_pending');
    assert.deepEqual(await balances(p.pot, p.payee), [
      [700n, 1000n, 0n, 0n],
      [0n, 700n, 0n, 0n],
    ]);
  });

  test('voiding releases the reservation; voiding again replays; posting then fails', async () => {
    const p = await freshPool();
    await createPendingTransfer(db, { idempotencyKey: `${p.pool}:hold`, currency: 'usd', postings: move(p.pot, p.payee, 700n) });
    const voided = await voidPendingTransfer(db, `${p.pool}:hold`);
    assert.equal(voided.transfer.state, 'voided');
    assert.deepEqual(await balances(p.pot, p.payee), [
      [0n, 1000n, 0n, 0n],
      [0n, 0n, 0n, 0n],
    ]);
    assert.equal((await voidPendingTransfer(db, `${p.pool}:hold`)).replayed, true);
    await assert.rejects(postPendingTransfer(db, `${p.pool}:hold`), LedgerTransferStateError);
    // The released amount is available again.
    await postTransfer(db, { idempotencyKey: `${p.pool}:all`, currency: 'usd', postings: move(p.pot, p.payee, 1000n) });
  });

  test('posting or voiding an unknown or non-pending transfer fails with a stable type', async () => {
    const p = await freshPool();
    await assert.rejects(postPendingTransfer(db, `${p.pool}:nothing`), (error: unknown) => {
      assert.ok(error instanceof LedgerTransferNotFoundError);
      assert.equal(error.type, 'LedgerTransferNotFound');
      return true;
    });
    await assert.rejects(voidPendingTransfer(db, `${p.pool}:nothing`), LedgerTransferNotFoundError);
    await assert.rejects(postPendingTransfer(db, `${p.pool}:fund`), LedgerTransferStateError);
    await assert.rejects(voidPendingTransfer(db, `${p.pool}:fund`), LedgerTransferStateError);
    await assert.rejects(postPendingTransfer(db, 'not a key'), LedgerValidationError);
  });
});
