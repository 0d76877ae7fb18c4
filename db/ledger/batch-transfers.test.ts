// Batched transfers against the real database: many contributions in one call, each under its own key;
// a retried or overlapping batch records nothing twice; a conflicting key, a broken floor or an unknown
// account refuses the whole batch; concurrent batches on shared accounts keep the books exact.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parseCurrency } from '../../domain/core/money';
import { testDb, uniqueId } from '../../test/support/env';
import { ensureAccounts, getBalances } from './accounts';
import { postTransfers, TRANSFERS_PER_BATCH_MAX } from './batch-transfers';
import { chart } from './chart';
import { LedgerConflictError, LedgerFloorError, LedgerValidationError } from './errors';
import { checkLedgerInvariants } from './invariants';
import type { TransferRequest } from './transfer-request';
import { getTransfer } from './transfers';

const db = testDb();
after(() => db.end());
const usd = parseCurrency('usd');

/** A pool with `members` members, each with a contributed account, and its pot and reserve. */
async function freshPool(members: number) {
  const pool = uniqueId('batch');
  const memberIds = Array.from({ length: members }, (_, i) => `m${i}`);
  await ensureAccounts(db, [chart.poolPot(pool, usd), chart.poolReserve(pool, usd), ...memberIds.map((m) => chart.memberContributed(pool, m, usd))]);
  return { pool, memberIds, pot: chart.poolPot(pool, usd).key, reserve: chart.poolReserve(pool, usd).key };
}

type Pool = Awaited<ReturnType<typeof freshPool>>;

/** A member's contribution: into the pot, and a late fee into the reserve. */
function contribution(p: Pool, memberId: string, amountMinor: bigint, lateFeeMinor = 0n, round = 1): TransferRequest {
  return {
    idempotencyKey: `ledger:contribution:${p.pool}:${round}:${memberId}`,
    currency: 'usd',
    postings: [
      { accountKey: chart.memberContributed(p.pool, memberId, usd).key, direction: 'debit', amountMinor: amountMinor + lateFeeMinor },
      { accountKey: p.pot, direction: 'credit', amountMinor },
      ...(lateFeeMinor > 0n ? [{ accountKey: p.reserve, direction: 'credit' as const, amountMinor: lateFeeMinor }] : []),
    ],
    metadata: { poolId: p.pool, round, memberId },
  };
}

const credits = async (key: string) => (await getBalances(db, [key]))[0]!.creditsPostedMinor;

describe('postTransfers', () => {
  test('records a whole round of contributions, each under its own key, with exact balances', async () => {
    const p = await freshPool(200);
    const batch = p.memberIds.map((m, i) => contribution(p, m, 2_500n, i % 10 === 0 ? 100n : 0n));
    const outcomes = await postTransfers(db, batch);
    assert.deepEqual(
      outcomes.map((o) => [o.idempotencyKey, o.replayed]),
      batch.map((r) => [r.idempotencyKey, false]),
    );
    assert.equal(await credits(p.pot), 200n * 2_500n);
    assert.equal(await credits(p.reserve), 20n * 100n);
    const one = await getTransfer(db, batch[10]!.idempotencyKey);
    assert.equal(one?.transferId, outcomes[10]!.transferId);
    assert.deepEqual(one?.metadata, { poolId: p.pool, round: 1, memberId: 'm10' });
    assert.equal(one?.postings.length, 3);
    assert.deepEqual(await checkLedgerInvariants(db, { accountPrefix: `pool:${p.pool}:` }), []);
  });

  test('a retried batch, or one overlapping an earlier batch, records each transfer once', async () => {
    const p = await freshPool(10);
    const first = p.memberIds.slice(0, 6).map((m) => contribution(p, m, 1_000n));
    const recorded = await postTransfers(db, first);
    const again = await postTransfers(db, first);
    assert.deepEqual(
      again,
      recorded.map((o) => ({ ...o, replayed: true })),
    );
    const overlapping = p.memberIds.slice(4).map((m) => contribution(p, m, 1_000n));
    const outcomes = await postTransfers(db, overlapping);
    assert.deepEqual(
      outcomes.map((o) => o.replayed),
      [true, true, false, false, false, false],
    );
    assert.equal(await credits(p.pot), 10n * 1_000n);
    assert.deepEqual(await checkLedgerInvariants(db, { accountPrefix: `pool:${p.pool}:` }), []);
  });

  test('a key reused with other content refuses the whole batch', async () => {
    const p = await freshPool(3);
    await postTransfers(db, [contribution(p, 'm0', 1_000n)]);
    await assert.rejects(
      postTransfers(db, [contribution(p, 'm1', 1_000n), contribution(p, 'm0', 1_001n), contribution(p, 'm2', 1_000n)]),
      (error) => error instanceof LedgerConflictError && error.idempotencyKey.endsWith(':m0'),
    );
    assert.equal(await credits(p.pot), 1_000n, 'nothing of the refused batch was written');
    assert.equal(await getTransfer(db, contribution(p, 'm1', 1_000n).idempotencyKey), null);
  });

  test('a floor broken by the batch net effect refuses the whole batch; one kept by it does not', async () => {
    const p = await freshPool(2);
    const payee = chart.memberPaidOut(p.pool, 'm1', usd);
    await ensureAccounts(db, [payee]);
    const payout = (amountMinor: bigint): TransferRequest => ({
      idempotencyKey: `ledger:payout:${p.pool}:1:m1:${amountMinor}`,
      currency: 'usd',
      postings: [
        { accountKey: p.pot, direction: 'debit', amountMinor },
        { accountKey: payee.key, direction: 'credit', amountMinor },
      ],
    });
    // 2 × 1,000 in and 2,500 out of the pot: the pot would end below zero.
    await assert.rejects(postTransfers(db, [contribution(p, 'm0', 1_000n), contribution(p, 'm1', 1_000n), payout(2_500n)]), (error) => {
      assert.ok(error instanceof LedgerFloorError);
      assert.deepEqual(error.accountKeys, [p.pot]);
      return true;
    });
    assert.equal(await credits(p.pot), 0n);
    // 2,000 out after 2,000 in within the same batch: the net effect keeps the floor.
    await postTransfers(db, [payout(2_000n), contribution(p, 'm0', 1_000n), contribution(p, 'm1', 1_000n)]);
    assert.equal(await credits(payee.key), 2_000n);
    assert.deepEqual(await checkLedgerInvariants(db, { accountPrefix: `pool:${p.pool}:` }), []);
  });

  test('an unknown account or another currency refuses the batch with the reason', async () => {
    const p = await freshPool(1);
    const stranger = { ...contribution(p, 'm0', 500n), idempotencyKey: `${p.pool}:stranger` };
    stranger.postings = [stranger.postings[0]!, { accountKey: `pool:${p.pool}:nowhere`, direction: 'credit', amountMinor: 500n }];
    await assert.rejects(
      postTransfers(db, [stranger]),
      (error) => error instanceof LedgerValidationError && /unknown account: pool:.*:nowhere/.test(error.message),
    );
    const euros = { ...contribution(p, 'm0', 500n), currency: 'eur' };
    await assert.rejects(postTransfers(db, [euros]), (error) => error instanceof LedgerValidationError && error.message.includes('another currency'));
    assert.equal(await credits(p.pot), 0n);
  });

  test('refuses empty, oversized and self-duplicating batches before touching the database', async () => {
    const p = await freshPool(1);
    await assert.rejects(postTransfers(db, []), LedgerValidationError);
    const many = Array.from({ length: TRANSFERS_PER_BATCH_MAX + 1 }, (_, i) => contribution(p, 'm0', 1n, 0n, i + 1));
    await assert.rejects(postTransfers(db, many), /1-1000 transfers/);
    await assert.rejects(postTransfers(db, [contribution(p, 'm0', 1n), contribution(p, 'm0', 1n)]), /appears twice/);
    assert.equal(await credits(p.pot), 0n);
  });

  test('concurrent batches into one pot keep the books exact', async () => {
    const p = await freshPool(40);
    const batches = Array.from({ length: 8 }, (_, b) => p.memberIds.slice(b * 5, b * 5 + 5).map((m) => contribution(p, m, 700n)));
    await Promise.all(batches.map((batch) => postTransfers(db, batch)));
    assert.equal(await credits(p.pot), 40n * 700n);
    assert.deepEqual(await checkLedgerInvariants(db, { accountPrefix: `pool:${p.pool}:` }), []);
  });
});
