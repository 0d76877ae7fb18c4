// Checks the ledger's invariants from its raw rows: every transfer balances in one currency, every
// stored balance equals the sum of the account's postings, floors hold on those sums, and each
// currency sums to zero across all accounts. Returns the violations found; none means healthy.
import { isCurrency } from '../../domain/core/money';
import type { Db, Queryable } from '../pool';
import { transaction, type TransactionOptions } from '../transaction';
import { LedgerValidationError } from './errors';
import { validateAccountKey } from './transfer-request';

export type LedgerViolationKind = 'unbalanced_transfer' | 'mixed_currency_transfer' | 'balance_mismatch' | 'floor_violated' | 'currency_not_zero_sum';

export interface LedgerViolation {
  kind: LedgerViolationKind;
  /** The transfer's idempotency key, the account key, or the currency. */
  subject: string;
  detail: string;
}

export interface InvariantScope {
  /** Only accounts and transfers in this currency. */
  currency?: string;
  /**
   * Only accounts whose key starts with this prefix, and the transfers that touch them, so that tests
   * sharing a database check their own part. The zero-sum check always covers every account (of the
   * currency, if given): it holds for the whole database because every transfer balances.
   */
  accountPrefix?: string;
}

/**
 * Runs every check in one read-only snapshot, so that concurrent writers cannot make it see half a
 * transfer. A snapshot (REPEATABLE READ) is all an audit needs; unlike a SERIALIZABLE reader, it takes
 * no predicate locks, so its table scans never make the writers' transactions fail. (CockroachDB runs
 * it as SERIALIZABLE where REPEATABLE READ is not enabled, which is just as correct.)
 */
export function checkLedgerInvariants(db: Db, scope: InvariantScope = {}, options?: TransactionOptions): Promise<LedgerViolation[]> {
  return transaction(
    db,
    async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return findLedgerViolations(client, scope);
    },
    options,
  );
}

/** The checks themselves, on a connection the caller controls (a transaction already open, for one). */
export async function findLedgerViolations(db: Queryable, scope: InvariantScope = {}): Promise<LedgerViolation[]> {
  const accounts = accountFilter(scope);
  return [...(await transferViolations(db, accounts)), ...(await accountViolations(db, accounts)), ...(await zeroSumViolations(db, scope))];
}

interface AccountFilter {
  /** A condition on `ledger_accounts AS a`, using $1 (currency) and $2 (key pattern) of `params`. */
  where: string;
  params: (string | null)[];
  scoped: boolean;
}

function accountFilter(scope: InvariantScope): AccountFilter {
  if (scope.currency !== undefined && !isCurrency(scope.currency)) {
    throw new LedgerValidationError('invalid_request', `"${scope.currency}" is not an ISO-4217 currency`);
  }
  if (scope.accountPrefix !== undefined) validateAccountKey(scope.accountPrefix);
  // Account keys may contain '_', which LIKE would read as a wildcard.
  const pattern = scope.accountPrefix === undefined ? null : `${scope.accountPrefix.replace(/[\\%_]/g, '\\$&')}%`;
  return {
    where: '($1::TEXT IS NULL OR a.currency = $1) AND ($2::TEXT IS NULL OR a.account_key LIKE $2)',
    params: [scope.currency ?? null, pattern],
    scoped: scope.currency !== undefined || pattern !== null,
  };
}

async function transferViolations(db: Queryable, accounts: AccountFilter): Promise<LedgerViolation[]> {
  // Scoped, a transfer is checked when it touches an account in scope; unscoped, every transfer is
  // (even one that lost all its postings).
  const where = accounts.scoped
    ? `WHERE t.transfer_id IN (
         SELECT sp.transfer_id FROM ledger_accounts AS a JOIN ledger_postings AS sp ON sp.account_key = a.account_key
         WHERE ${accounts.where})`
    : '';
  const debits = `coalesce(sum(CASE WHEN p.direction = 'debit' THEN p.amount_minor END), 0)`;
  const credits = `coalesce(sum(CASE WHEN p.direction = 'credit' THEN p.amount_minor END), 0)`;
  const foreign = `count(CASE WHEN pa.currency <> t.currency THEN 1 END)`;
  const { rows } = await db.query<{ idempotency_key: string; currency: string; debits: string; credits: string; postings: string; foreign: string }>(
    `SELECT t.idempotency_key, t.currency, ${debits}::TEXT AS debits, ${credits}::TEXT AS credits,
            count(p.account_key)::TEXT AS postings, ${foreign}::TEXT AS foreign
     FROM ledger_transfers AS t
     LEFT JOIN ledger_postings AS p ON p.transfer_id = t.transfer_id
     LEFT JOIN ledger_accounts AS pa ON pa.account_key = p.account_key
     ${where}
     GROUP BY t.transfer_id, t.idempotency_key, t.currency
     HAVING ${debits} <> ${credits} OR count(p.account_key) < 2 OR ${foreign} > 0`,
    accounts.scoped ? accounts.params : [],
  );
  const violations: LedgerViolation[] = [];
  for (const row of rows) {
    if (BigInt(row.debits) !== BigInt(row.credits) || BigInt(row.postings) < 2n) {
      violations.push({
        kind: 'unbalanced_transfer',
        subject: row.idempotency_key,
        detail: `debits ${row.debits}, credits ${row.credits} over ${row.postings} postings`,
      });
    }
    if (BigInt(row.foreign) > 0n) {
      violations.push({ kind: 'mixed_currency_transfer', subject: row.idempotency_key, detail: `${row.foreign} postings not in ${row.currency}` });
    }
  }
  return violations;
}

const BALANCE_COLUMNS = ['debits_posted', 'credits_posted', 'debits_pending', 'credits_pending'] as const;
type BalanceColumn = (typeof BALANCE_COLUMNS)[number];

async function accountViolations(db: Queryable, accounts: AccountFilter): Promise<LedgerViolation[]> {
  // Sums of INT8 are NUMERIC (DECIMAL on CockroachDB): they come back as text and are compared as bigint.
  // The LEFT JOINs give an account without postings one row whose CASEs all yield 0.
  const sumOf = (direction: string, states: string) => `sum(CASE WHEN p.direction = '${direction}' AND t.state IN (${states}) THEN p.amount_minor ELSE 0 END)`;
  const posted = `'posted', 'posted_from_pending'`;
  const { rows } = await db.query<{ account_key: string; floor: string } & Record<BalanceColumn | `sum_${BalanceColumn}`, string>>(
    `WITH sums AS (
       SELECT a.account_key,
              ${sumOf('debit', posted)} AS debits_posted, ${sumOf('credit', posted)} AS credits_posted,
              ${sumOf('debit', `'pending'`)} AS debits_pending, ${sumOf('credit', `'pending'`)} AS credits_pending
       FROM ledger_accounts AS a
       LEFT JOIN ledger_postings AS p ON p.account_key = a.account_key
       LEFT JOIN ledger_transfers AS t ON t.transfer_id = p.transfer_id
       WHERE ${accounts.where}
       GROUP BY a.account_key
     )
     SELECT a.account_key, a.floor,
            a.debits_posted::TEXT AS debits_posted, a.credits_posted::TEXT AS credits_posted,
            a.debits_pending::TEXT AS debits_pending, a.credits_pending::TEXT AS credits_pending,
            s.debits_posted::TEXT AS sum_debits_posted, s.credits_posted::TEXT AS sum_credits_posted,
            s.debits_pending::TEXT AS sum_debits_pending, s.credits_pending::TEXT AS sum_credits_pending
     FROM ledger_accounts AS a JOIN sums AS s ON s.account_key = a.account_key
     WHERE a.debits_posted <> s.debits_posted OR a.credits_posted <> s.credits_posted
        OR a.debits_pending <> s.debits_pending OR a.credits_pending <> s.credits_pending
        OR (a.floor = 'debits_must_not_exceed_credits' AND s.debits_posted + s.debits_pending > s.credits_posted)
        OR (a.floor = 'credits_must_not_exceed_debits' AND s.credits_posted + s.credits_pending > s.debits_posted)`,
    accounts.params,
  );
  const violations: LedgerViolation[] = [];
  for (const row of rows) {
    const wrong = BALANCE_COLUMNS.filter((column) => BigInt(row[column]) !== BigInt(row[`sum_${column}`]));
    if (wrong.length > 0) {
      violations.push({
        kind: 'balance_mismatch',
        subject: row.account_key,
        detail: wrong.map((column) => `${column} stored ${row[column]}, postings say ${row[`sum_${column}`]}`).join('; '),
      });
    }
    const sum = (column: BalanceColumn) => BigInt(row[`sum_${column}`]);
    if (
      (row.floor === 'debits_must_not_exceed_credits' && sum('debits_posted') + sum('debits_pending') > sum('credits_posted')) ||
      (row.floor === 'credits_must_not_exceed_debits' && sum('credits_posted') + sum('credits_pending') > sum('debits_posted'))
    ) {
      violations.push({ kind: 'floor_violated', subject: row.account_key, detail: `its postings break its floor ${row.floor}` });
    }
  }
  return violations;
}

async function zeroSumViolations(db: Queryable, scope: InvariantScope): Promise<LedgerViolation[]> {
  const { rows } = await db.query<{ currency: string } & Record<BalanceColumn, string>>(
    `SELECT currency, sum(debits_posted)::TEXT AS debits_posted, sum(credits_posted)::TEXT AS credits_posted,
            sum(debits_pending)::TEXT AS debits_pending, sum(credits_pending)::TEXT AS credits_pending
     FROM ledger_accounts
     WHERE $1::TEXT IS NULL OR currency = $1
     GROUP BY currency`,
    [scope.currency ?? null],
  );
  return rows
    .filter((row) => BigInt(row.debits_posted) !== BigInt(row.credits_posted) || BigInt(row.debits_pending) !== BigInt(row.credits_pending))
    .map((row) => ({
      kind: 'currency_not_zero_sum',
      subject: row.currency,
      detail: `posted: debits ${row.debits_posted}, credits ${row.credits_posted}; pending: debits ${row.debits_pending}, credits ${row.credits_pending}`,
    }));
}
