// Transfers: post one at once, or reserve it (pending) and later post or void it. Each operation is one
// SERIALIZABLE transaction whose work is a single statement: insert the transfer, move the balances
// with `col = col + $n` guarded by the floors, and insert the postings, so that concurrent writers stay
// correct and a transfer costs one round trip between BEGIN and COMMIT.
import type pg from 'pg';
import type { Currency } from '../../domain/core/money';
import type { Db, Queryable } from '../pool';
import { transaction, type TransactionOptions } from '../transaction';
import { LedgerConflictError, LedgerFloorError, LedgerTransferNotFoundError, LedgerTransferStateError, LedgerValidationError } from './errors';
import {
  type Direction,
  type PostingInput,
  type TransferMetadata,
  type TransferRequest,
  validateIdempotencyKey,
  validateTransferRequest,
  type ValidTransferRequest,
} from './transfer-request';

export type TransferState = 'posted' | 'pending' | 'posted_from_pending' | 'voided';

export interface Transfer {
  transferId: string;
  idempotencyKey: string;
  currency: Currency;
  state: TransferState;
  /** Sorted by account key. */
  postings: PostingInput[];
  metadata: TransferMetadata;
  createdAt: Date;
  /** When a pending transfer was posted or voided; null otherwise. */
  resolvedAt: Date | null;
}

export interface TransferOutcome {
  transfer: Transfer;
  /** True when the idempotency key had already been used for this very request: nothing was written. */
  replayed: boolean;
}

/** Records a transfer that is final at once. */
export async function postTransfer(db: Db, request: TransferRequest, options?: TransactionOptions): Promise<TransferOutcome> {
  return recordTransfer(db, validateTransferRequest(request, 'posted'), options);
}

/** Reserves a transfer: its amounts count against floors at once, and move only when it is posted. */
export async function createPendingTransfer(db: Db, request: TransferRequest, options?: TransactionOptions): Promise<TransferOutcome> {
  return recordTransfer(db, validateTransferRequest(request, 'pending'), options);
}

/** Makes a pending transfer final, for its full amount. Posting it again returns it unchanged. */
export async function postPendingTransfer(db: Db, idempotencyKey: string, options?: TransactionOptions): Promise<TransferOutcome> {
  return resolvePending(db, validateIdempotencyKey(idempotencyKey), 'posted_from_pending', options);
}

/** Releases a pending transfer's reservation. Voiding it again returns it unchanged. */
export async function voidPendingTransfer(db: Db, idempotencyKey: string, options?: TransactionOptions): Promise<TransferOutcome> {
  return resolvePending(db, validateIdempotencyKey(idempotencyKey), 'voided', options);
}

export async function getTransfer(db: Queryable, idempotencyKey: string): Promise<(Transfer & { fingerprint: string }) | null> {
  const { rows } = await db.query<TransferRow & PostingRow & { fingerprint: string }>(
    `SELECT t.transfer_id, t.idempotency_key, t.currency, t.fingerprint, t.state, t.metadata, t.created_at, t.resolved_at,
            p.account_key, p.direction, p.amount_minor
     FROM ledger_transfers AS t JOIN ledger_postings AS p ON p.transfer_id = t.transfer_id
     WHERE t.idempotency_key = $1
     ORDER BY p.account_key`,
    [validateIdempotencyKey(idempotencyKey)],
  );
  return rows.length === 0 ? null : { ...toTransfer(rows), fingerprint: rows[0]!.fingerprint };
}

interface TransferRow {
  transfer_id: string;
  idempotency_key: string;
  currency: string;
  state: TransferState;
  metadata: TransferMetadata;
  created_at: Date;
  resolved_at: Date | null;
}

interface PostingRow {
  account_key: string;
  direction: Direction;
  amount_minor: bigint;
}

function toTransfer(rows: (TransferRow & PostingRow)[]): Transfer {
  const first = rows[0]!;
  return {
    transferId: first.transfer_id,
    idempotencyKey: first.idempotency_key,
    currency: first.currency as Currency,
    state: first.state,
    postings: rows.map((row) => ({ accountKey: row.account_key, direction: row.direction, amountMinor: row.amount_minor })),
    metadata: first.metadata,
    createdAt: first.created_at,
    resolvedAt: first.resolved_at,
  };
}

const LEG_FIELDS = 7;

// $1 key, $2 currency, $3 fingerprint, $4 state, $5 metadata, then seven parameters per posting: the
// account, direction and amount, and how much it adds to each balance column (zero where nothing).
// The UPDATE only touches accounts that exist, hold the transfer's currency and stay within their
// floor; `moved_keys` says which did. On a replayed key nothing is inserted, so nothing is updated
// either and no row comes back. The legs are a VALUES list rather than unnested arrays so that the
// planner knows their number: PostgreSQL then keeps one generic plan per posting count instead of
// planning the statement again on every execution.
function recordTransferSql(postingCount: number): string {
  const legs = Array.from({ length: postingCount }, (_, leg) => {
    const p = (field: number) => `$${6 + leg * LEG_FIELDS + field}`;
    return `(${p(0)}::TEXT, ${p(1)}::TEXT, ${p(2)}::INT8, ${p(3)}::INT8, ${p(4)}::INT8, ${p(5)}::INT8, ${p(6)}::INT8)`;
  });
  return `
  WITH legs (account_key, direction, amount_minor, debits_posted, credits_posted, debits_pending, credits_pending) AS (
    VALUES ${legs.join(', ')}
  ),
  inserted AS (
    INSERT INTO ledger_transfers (idempotency_key, currency, fingerprint, state, metadata)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING transfer_id, created_at
  ),
  moved AS (
    UPDATE ledger_accounts AS a SET
      debits_posted = a.debits_posted + l.debits_posted,
      credits_posted = a.credits_posted + l.credits_posted,
      debits_pending = a.debits_pending + l.debits_pending,
      credits_pending = a.credits_pending + l.credits_pending
    FROM legs AS l, inserted
    WHERE a.account_key = l.account_key
      AND a.currency = $2
      AND (a.floor <> 'debits_must_not_exceed_credits'
        OR a.debits_posted + l.debits_posted + a.debits_pending + l.debits_pending <= a.credits_posted + l.credits_posted)
      AND (a.floor <> 'credits_must_not_exceed_debits'
        OR a.credits_posted + l.credits_posted + a.credits_pending + l.credits_pending <= a.debits_posted + l.debits_posted)
    RETURNING a.account_key
  ),
  written AS (
    INSERT INTO ledger_postings (transfer_id, account_key, direction, amount_minor, created_at)
    SELECT i.transfer_id, l.account_key, l.direction, l.amount_minor, i.created_at
    FROM inserted AS i, legs AS l JOIN moved AS m ON m.account_key = l.account_key
  )
  SELECT i.transfer_id, i.created_at, ARRAY(SELECT account_key FROM moved) AS moved_keys
  FROM inserted AS i`;
}

/** The statement text for each posting count, built once. */
const recordTransferSqlByCount = new Map<number, string>();

async function recordTransfer(db: Db, request: ValidTransferRequest, options?: TransactionOptions): Promise<TransferOutcome> {
  const { postings } = request;
  const pending = request.kind === 'pending';
  const params: unknown[] = [request.idempotencyKey, request.currency, request.fingerprint, request.kind, request.metadata];
  for (const { accountKey, direction, amountMinor } of postings) {
    const debit = direction === 'debit' ? amountMinor : 0n;
    const credit = direction === 'credit' ? amountMinor : 0n;
    params.push(accountKey, direction, amountMinor, ...(pending ? [0n, 0n, debit, credit] : [debit, credit, 0n, 0n]));
  }
  let sql = recordTransferSqlByCount.get(postings.length);
  if (sql === undefined) recordTransferSqlByCount.set(postings.length, (sql = recordTransferSql(postings.length)));
  const statement = `ledger_record_transfer_${postings.length}`;
  return transaction(
    db,
    async (client) => {
      const { rows } = await queryMappingOverflow(client, statement, sql, params);
      const row = rows[0] as { transfer_id: string; created_at: Date; moved_keys: string[] } | undefined;
      if (!row) return replay(client, request);
      if (row.moved_keys.length !== postings.length) await explainRefusal(client, request, new Set(row.moved_keys));
      const transfer: Transfer = {
        transferId: row.transfer_id,
        idempotencyKey: request.idempotencyKey,
        currency: request.currency,
        state: request.kind,
        postings,
        metadata: request.metadata,
        createdAt: row.created_at,
        resolvedAt: null,
      };
      return { transfer, replayed: false };
    },
    options,
  );
}

/** The key is taken: the same request gets the recorded transfer back, a different one a conflict. */
async function replay(client: pg.PoolClient, request: ValidTransferRequest): Promise<TransferOutcome> {
  const existing = await getTransfer(client, request.idempotencyKey);
  // ON CONFLICT saw the row, so it is visible here; anything else is a fault worth a retry.
  if (!existing) throw new Error(`transfer "${request.idempotencyKey}" conflicted but cannot be read`);
  if (existing.fingerprint !== request.fingerprint) throw new LedgerConflictError(request.idempotencyKey);
  const { fingerprint: _fingerprint, ...transfer } = existing;
  return { transfer, replayed: true };
}

/** Some account refused the transfer: say which and why. Always throws, so the transaction rolls back. */
async function explainRefusal(client: pg.PoolClient, request: ValidTransferRequest, movedKeys: Set<string>): Promise<never> {
  const keys = request.postings.map((p) => p.accountKey);
  const { rows } = await client.query<{ account_key: string; currency: string }>(
    'SELECT account_key, currency FROM ledger_accounts WHERE account_key = ANY($1::TEXT[])',
    [keys],
  );
  const currencyOf = new Map(rows.map((row) => [row.account_key, row.currency]));
  const unknown = keys.filter((key) => !currencyOf.has(key));
  if (unknown.length > 0) {
    throw new LedgerValidationError('unknown_account', `unknown account${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  }
  const foreign = keys.filter((key) => currencyOf.get(key) !== request.currency);
  if (foreign.length > 0) {
    throw new LedgerValidationError(
      'mixed_currency',
      `transfer in ${request.currency} touches ${foreign.map((key) => `${key} (${currencyOf.get(key)})`).join(', ')}`,
    );
  }
  // Every account exists in the right currency, so the ones left unmoved were held by their floor.
  throw new LedgerFloorError(
    request.idempotencyKey,
    keys.filter((key) => !movedKeys.has(key)),
  );
}

/**
 * Runs a ledger statement as a named prepared statement (parsed and planned once per connection, which
 * matters on this hot path), turning an INT8 overflow of some balance into a validation error.
 */
async function queryMappingOverflow(client: pg.PoolClient, name: string, text: string, values: unknown[]): Promise<pg.QueryResult> {
  try {
    return await client.query({ name, text, values });
  } catch (error) {
    if ((error as { code?: string }).code === '22003') {
      throw new LedgerValidationError('overflow', 'the transfer would take a balance beyond the INT8 range');
    }
    throw error;
  }
}

// $1 key, $2 the state to reach, $3 whether the amounts become posted (else they are released).
// Only a transfer still pending changes; the postings it already has say which balances move.
const RESOLVE_PENDING_SQL = `
  WITH resolved AS (
    UPDATE ledger_transfers SET state = $2, resolved_at = now()
    WHERE idempotency_key = $1 AND state = 'pending'
    RETURNING transfer_id, idempotency_key, currency, state, metadata, created_at, resolved_at
  ),
  legs AS (
    SELECT p.account_key, p.direction, p.amount_minor
    FROM ledger_postings AS p JOIN resolved AS r ON p.transfer_id = r.transfer_id
  ),
  released AS (
    UPDATE ledger_accounts AS a SET
      debits_pending = a.debits_pending - CASE WHEN l.direction = 'debit' THEN l.amount_minor ELSE 0 END,
      credits_pending = a.credits_pending - CASE WHEN l.direction = 'credit' THEN l.amount_minor ELSE 0 END,
      debits_posted = a.debits_posted + CASE WHEN $3 AND l.direction = 'debit' THEN l.amount_minor ELSE 0 END,
      credits_posted = a.credits_posted + CASE WHEN $3 AND l.direction = 'credit' THEN l.amount_minor ELSE 0 END
    FROM legs AS l
    WHERE a.account_key = l.account_key
  )
  SELECT r.*, l.account_key, l.direction, l.amount_minor
  FROM resolved AS r, legs AS l
  ORDER BY l.account_key`;

async function resolvePending(
  db: Db,
  idempotencyKey: string,
  target: 'posted_from_pending' | 'voided',
  options?: TransactionOptions,
): Promise<TransferOutcome> {
  return transaction(
    db,
    async (client) => {
      // Posting a pending transfer never breaks a floor: its debits already counted, its credits only add.
      const { rows } = await queryMappingOverflow(client, 'ledger_resolve_pending', RESOLVE_PENDING_SQL, [
        idempotencyKey,
        target,
        target === 'posted_from_pending',
      ]);
      if (rows.length > 0) return { transfer: toTransfer(rows as (TransferRow & PostingRow)[]), replayed: false };
      const existing = await getTransfer(client, idempotencyKey);
      if (!existing) throw new LedgerTransferNotFoundError(idempotencyKey);
      if (existing.state !== target) {
        throw new LedgerTransferStateError(idempotencyKey, existing.state, target === 'voided' ? 'void' : 'post');
      }
      const { fingerprint: _fingerprint, ...transfer } = existing;
      return { transfer, replayed: true };
    },
    options,
  );
}
