// The platform's fee income is credited per pool (pool:{id}:platform_fees), so that rounds of different
// pools never contend on one account; a periodic sweep moves those balances into the platform's revenue
// account, many pools per transaction, so the revenue row is written once per sweep batch.
import { ledgerKeys } from '../../domain/core/idempotency-keys';
import type { Currency } from '../../domain/core/money';
import type { Db, Queryable } from '../pool';
import { ensureAccounts } from './accounts';
import { postTransfers, TRANSFERS_PER_BATCH_MAX } from './batch-transfers';
import { chart } from './chart';

export interface SweepResult {
  /** Pool accounts whose balance moved to the platform in this batch. */
  sweptAccounts: number;
  /** The last account key read: pass it as `afterAccountKey` to continue; null when none are left. */
  nextAfterAccountKey: string | null;
}

interface FeeAccountRow {
  account_key: string;
  currency: Currency;
  credits_posted: bigint;
  debits_posted: bigint;
  debits_pending: bigint;
}

/**
 * Sweeps up to `batchMax` pool platform-fee accounts holding money (in account-key order, after
 * `afterAccountKey`) into the platform revenue account of their currency, in one transaction.
 */
export async function sweepPlatformFees(db: Db, options: { batchMax?: number; afterAccountKey?: string | null } = {}): Promise<SweepResult> {
  const batchMax = Math.min(options.batchMax ?? 500, TRANSFERS_PER_BATCH_MAX);
  const { rows } = await db.query<FeeAccountRow>(
    // The LIKE matches the partial index of migration 030, which holds only these accounts.
    `SELECT account_key, currency, credits_posted, debits_posted, debits_pending
     FROM ledger_accounts
     WHERE account_key LIKE 'pool:%:platform_fees' AND account_key > $1
       AND credits_posted > debits_posted + debits_pending
     ORDER BY account_key
     LIMIT $2`,
    [options.afterAccountKey ?? '', batchMax],
  );
  if (rows.length === 0) return { sweptAccounts: 0, nextAfterAccountKey: null };
  const currencies = [...new Set(rows.map((row) => row.currency))];
  await ensureAccounts(
    db,
    currencies.map((currency) => chart.platformFeeRevenue(currency)),
  );
  await postTransfers(
    db,
    rows.map((row) => {
      const amountMinor = row.credits_posted - row.debits_posted - row.debits_pending;
      return {
        idempotencyKey: ledgerKeys.platformFeeSweep(row.account_key, row.credits_posted),
        currency: row.currency,
        postings: [
          { accountKey: row.account_key, direction: 'debit' as const, amountMinor },
          { accountKey: chart.platformFeeRevenue(row.currency).key, direction: 'credit' as const, amountMinor },
        ],
        metadata: { sweep: 'platform-fees' },
      };
    }),
  );
  return { sweptAccounts: rows.length, nextAfterAccountKey: rows.length < batchMax ? null : rows.at(-1)!.account_key };
}

export interface PlatformFeeTotals {
  /** Already in the platform's revenue account. */
  sweptMinor: bigint;
  /** Still in the pools' platform-fee accounts. */
  unsweptMinor: bigint;
  /** Every platform fee ever recorded: the sum of the fee transfers' credits to either kind of account. */
  earnedMinor: bigint;
}

/**
 * The platform's fee income in one currency, from one snapshot: what the revenue account and the pool
 * accounts hold must add up to the fees recorded (legacy fees credited the revenue account directly).
 * Only fee transfers (`ledger:fee:`) and sweeps credit these accounts, so any gap is a ledger fault.
 */
export async function platformFeeTotals(db: Queryable, currency: Currency): Promise<PlatformFeeTotals> {
  const revenueKey = chart.platformFeeRevenue(currency).key;
  const { rows } = await db.query<{ swept: string; unswept: string; earned: string }>(
    `SELECT
       (SELECT COALESCE(SUM(credits_posted - debits_posted), 0) FROM ledger_accounts WHERE account_key = $1)::TEXT AS swept,
       (SELECT COALESCE(SUM(credits_posted - debits_posted), 0) FROM ledger_accounts
          WHERE account_key LIKE 'pool:%:platform_fees' AND currency = $2)::TEXT AS unswept,
       (SELECT COALESCE(SUM(p.amount_minor), 0) FROM ledger_postings AS p JOIN ledger_transfers AS t ON t.transfer_id = p.transfer_id
          WHERE t.idempotency_key LIKE 'ledger:fee:%' AND t.currency = $2 AND p.direction = 'credit'
            AND (p.account_key = $1 OR p.account_key LIKE 'pool:%:platform_fees'))::TEXT AS earned`,
    [revenueKey, currency],
  );
  const row = rows[0]!;
  return { sweptMinor: BigInt(row.swept), unsweptMinor: BigInt(row.unswept), earnedMinor: BigInt(row.earned) };
}
