// Queries for stripe_transfers: one row per payout transfer to a member's connected account, found by
// its business key (the idempotency key) or by Stripe's transfer ID.
import type { StatusSource } from '../../payments/status-order';
import type { Queryable } from '../pool';
import { movementLookups } from './movement-lookups';

export interface TransferStatusFields {
  amountReversedMinor: bigint;
  statusAt: number;
  statusSource: StatusSource;
  statusEventId: string | null;
}

export interface TransferRow extends TransferStatusFields {
  idempotencyKey: string;
  poolId: string;
  round: number;
  memberId: string;
  purpose: string;
  transferId: string;
  destinationAccountId: string;
  amountMinor: bigint;
  currency: string;
}

interface DbRow {
  idempotency_key: string;
  pool_id: string;
  round: bigint;
  member_id: string;
  purpose: string;
  transfer_id: string;
  destination_account_id: string;
  amount_minor: bigint;
  currency: string;
  amount_reversed_minor: bigint;
  status_at: bigint;
  status_source: StatusSource;
  status_event_id: string | null;
}

const COLUMNS = `idempotency_key, pool_id, round, member_id, purpose, transfer_id, destination_account_id, amount_minor, currency,
  amount_reversed_minor, status_at, status_source, status_event_id`;

function toRow(row: DbRow): TransferRow {
  return {
    idempotencyKey: row.idempotency_key,
    poolId: row.pool_id,
    round: Number(row.round),
    memberId: row.member_id,
    purpose: row.purpose,
    transferId: row.transfer_id,
    destinationAccountId: row.destination_account_id,
    amountMinor: row.amount_minor,
    currency: row.currency,
    amountReversedMinor: row.amount_reversed_minor,
    statusAt: Number(row.status_at),
    statusSource: row.status_source,
    statusEventId: row.status_event_id,
  };
}

const lookups = movementLookups<DbRow, TransferRow>({ name: 'stripe_transfers', idColumn: 'transfer_id', columns: COLUMNS, toRow });
export const findTransferByKey = lookups.byKey;
export const findTransferById = lookups.byId;
export const listTransfersByPool = lookups.byPool;

/** Records a transfer unless its business key or Stripe ID is recorded already; returns the row under the key. */
export async function insertTransfer(db: Queryable, row: TransferRow): Promise<TransferRow | null> {
  await db.query(`INSERT INTO stripe_transfers (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING`, [
    row.idempotencyKey,
    row.poolId,
    row.round,
    row.memberId,
    row.purpose,
    row.transferId,
    row.destinationAccountId,
    row.amountMinor,
    row.currency,
    row.amountReversedMinor,
    row.statusAt,
    row.statusSource,
    row.statusEventId,
  ]);
  return findTransferByKey(db, row.idempotencyKey);
}

export async function updateTransferStatus(db: Queryable, transferId: string, fields: TransferStatusFields): Promise<void> {
  await db.query(
    `UPDATE stripe_transfers SET amount_reversed_minor = $2, status_at = $3, status_source = $4, status_event_id = $5, updated_at = now()
     WHERE transfer_id = $1`,
    [transferId, fields.amountReversedMinor, fields.statusAt, fields.statusSource, fields.statusEventId],
  );
}
