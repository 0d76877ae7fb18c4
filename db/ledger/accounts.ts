// Ledger accounts: created idempotently by business key, and read with their stored balances.
import { type Currency, isCurrency } from '../../domain/core/money';
import type { Db } from '../pool';
import { transaction, type TransactionOptions } from '../transaction';
import { ACCOUNT_FLOORS, type AccountFloor, type AccountSpec } from './chart';
import { LedgerAccountConflictError, LedgerValidationError } from './errors';
import { validateAccountKey } from './transfer-request';

export interface AccountBalance {
  key: string;
  currency: Currency;
  floor: AccountFloor;
  debitsPostedMinor: bigint;
  creditsPostedMinor: bigint;
  debitsPendingMinor: bigint;
  creditsPendingMinor: bigint;
}

/** The most accounts one ensureAccounts or getBalances call handles. */
export const ACCOUNTS_PER_CALL_MAX = 500;

interface AccountRow {
  account_key: string;
  currency: string;
  floor: AccountFloor;
  debits_posted: bigint;
  credits_posted: bigint;
  debits_pending: bigint;
  credits_pending: bigint;
}

const SELECT_ACCOUNTS = `
  SELECT account_key, currency, floor, debits_posted, credits_posted, debits_pending, credits_pending
  FROM ledger_accounts WHERE account_key = ANY($1::TEXT[])`;

/**
 * Creates each account that does not exist yet. An existing account with the same currency and floor
 * is left as it is; one with another currency or floor is a LedgerAccountConflictError.
 */
export async function ensureAccounts(db: Db, specs: AccountSpec[], options?: TransactionOptions): Promise<void> {
  const unique = new Map<string, AccountSpec>();
  for (const spec of checkCount(specs)) {
    validateAccountKey(spec.key);
    if (!isCurrency(spec.currency)) throw new LedgerValidationError('invalid_request', `"${spec.currency}" is not an ISO-4217 currency`);
    if (!ACCOUNT_FLOORS.includes(spec.floor)) throw new LedgerValidationError('invalid_request', `"${spec.floor}" is not a floor`);
    const earlier = unique.get(spec.key);
    if (earlier && (earlier.currency !== spec.currency || earlier.floor !== spec.floor)) {
      throw new LedgerValidationError('duplicate_account', `account "${spec.key}" is listed twice with different settings`);
    }
    unique.set(spec.key, spec);
  }
  const list = [...unique.values()];
  const keys = list.map((spec) => spec.key);
  await transaction(
    db,
    async (client) => {
      await client.query(
        `INSERT INTO ledger_accounts (account_key, currency, floor)
         SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[])
         ON CONFLICT (account_key) DO NOTHING`,
        [keys, list.map((spec) => spec.currency), list.map((spec) => spec.floor)],
      );
      const { rows } = await client.query<AccountRow>(SELECT_ACCOUNTS, [keys]);
      const stored = new Map(rows.map((row) => [row.account_key, row]));
      for (const spec of list) {
        const row = stored.get(spec.key)!;
        if (row.currency !== spec.currency) throw new LedgerAccountConflictError(spec.key, `in ${row.currency}, not ${spec.currency}`);
        if (row.floor !== spec.floor) throw new LedgerAccountConflictError(spec.key, `with floor ${row.floor}, not ${spec.floor}`);
      }
    },
    options,
  );
}

/** The stored balances of the given accounts; an unknown key is a LedgerValidationError. */
export async function getBalances(db: Db, accountKeys: string[]): Promise<AccountBalance[]> {
  for (const key of checkCount(accountKeys)) validateAccountKey(key);
  const { rows } = await db.query<AccountRow>(SELECT_ACCOUNTS, [accountKeys]);
  const byKey = new Map(rows.map((row) => [row.account_key, row]));
  return accountKeys.map((key) => {
    const row = byKey.get(key);
    if (!row) throw new LedgerValidationError('unknown_account', `account "${key}" does not exist`);
    return {
      key,
      currency: row.currency as Currency,
      floor: row.floor,
      debitsPostedMinor: row.debits_posted,
      creditsPostedMinor: row.credits_posted,
      debitsPendingMinor: row.debits_pending,
      creditsPendingMinor: row.credits_pending,
    };
  });
}

function checkCount<T>(items: T[]): T[] {
  if (!Array.isArray(items) || items.length === 0 || items.length > ACCOUNTS_PER_CALL_MAX) {
    throw new LedgerValidationError('invalid_request', `between 1 and ${ACCOUNTS_PER_CALL_MAX} accounts per call`);
  }
  return items;
}
