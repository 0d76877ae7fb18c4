// Queries for stripe_refunds: one row per refund of a contribution, found by its business key (the
// idempotency key) or by Stripe's refund ID.
import type { StatusSource } from '../../payments/status-order';
import type { Queryable } from '../pool';
import { movementLookups } from './movement-lookups';

export interface RefundStatusFields {
  status: string;
  failureReason: string | null;
  statusAt: number;
  statusSource: StatusSource;
  statusEventId: string | null;
}

export interface RefundRow extends RefundStatusFields {
  idempotencyKey: string;
  poolId: string;
  round: number;
  memberId: string;
  purpose: string;
  refundId: string;
  paymentIntentId: string;
  amountMinor: bigint;
  currency: string;
}

interface DbRow {
  idempotency_key: string;
  pool_id: string;
  round: bigint;
  member_id: string;
  purpose: string;
  refund_id: string;
  payment_intent_id: string;
  amount_minor: bigint;
  currency: string;
  status: string;
  failure_reason: string | null;
  status_at: bigint;
  status_source: StatusSource;
  status_event_id: string | null;
}

const COLUMNS = `idempotency_key, pool_id, round, member_id, purpose, refund_id, payment_intent_id, amount_minor, currency, status,
  failure_reason, status_at, status_source, status_event_id`;

function toRow(row: DbRow): RefundRow {
  return {
    idempotencyKey: row.idempotency_key,
    poolId: row.pool_id,
    round: Number(row.round),
    memberId: row.member_id,
    purpose: row.purpose,
    refundId: row.refund_id,
    paymentIntentId: row.payment_intent_id,
    amountMinor: row.amount_minor,
    currency: row.currency,
    status: row.status,
    failureReason: row.failure_reason,
    statusAt: Number(row.status_at),
    statusSource: row.status_source,
    statusEventId: row.status_event_id,
  };
}

const lookups = movementLookups<DbRow, RefundRow>({ name: 'stripe_refunds', idColumn: 'refund_id', columns: COLUMNS, toRow });
export const findRefundByKey = lookups.byKey;
export const findRefundById = lookups.byId;
export const listRefundsByPool = lookups.byPool;

/** Records a refund unless its business key or Stripe ID is recorded already; returns the row under the key. */
export async function insertRefund(db: Queryable, row: RefundRow): Promise<RefundRow | null> {
  await db.query(`INSERT INTO stripe_refunds (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING`, [
    row.idempotencyKey,
    row.poolId,
    row.round,
    row.memberId,
    row.purpose,
    row.refundId,
    row.paymentIntentId,
    row.amountMinor,
    row.currency,
    row.status,
    row.failureReason,
    row.statusAt,
    row.statusSource,
    row.statusEventId,
  ]);
  return findRefundByKey(db, row.idempotencyKey);
}

export async function updateRefundStatus(db: Queryable, refundId: string, fields: RefundStatusFields): Promise<void> {
  await db.query(
    `UPDATE stripe_refunds SET status = $2, failure_reason = $3, status_at = $4, status_source = $5, status_event_id = $6, updated_at = now()
     WHERE refund_id = $1`,
    [refundId, fields.status, fields.failureReason, fields.statusAt, fields.statusSource, fields.statusEventId],
  );
}
