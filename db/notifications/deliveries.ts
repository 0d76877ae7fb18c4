// Queries for email deliveries: the row keyed by (notice, channel, recipient) is claimed before sending
// and marked sent after, so a delivery that was sent is never sent again.
import type { Queryable } from '../pool';

export type DeliveryStatus = 'sending' | 'sent' | 'failed' | 'skipped';

export interface DeliveryClaim {
  deliveryKey: string;
  noticeKey: string;
  recipientId: string;
  poolId: string;
  type: string;
  occurredAt: string;
}

/** Claims the delivery for one more attempt; false when it was already sent or skipped. */
export async function claimDelivery(db: Queryable, claim: DeliveryClaim): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO notification_deliveries (delivery_key, notice_key, channel, recipient_id, pool_id, type, status, attempts, occurred_at)
     VALUES ($1, $2, 'email', $3, $4, $5, 'sending', 1, $6)
     ON CONFLICT (delivery_key) DO UPDATE SET attempts = notification_deliveries.attempts + 1, status = 'sending'
     WHERE notification_deliveries.status IN ('sending', 'failed')`,
    [claim.deliveryKey, claim.noticeKey, claim.recipientId, claim.poolId, claim.type, claim.occurredAt],
  );
  return rowCount === 1;
}

export async function finishDelivery(
  db: Queryable,
  key: string,
  outcome: { status: Exclude<DeliveryStatus, 'sending'>; address?: string | null; language?: string | null; messageId?: string | null; error?: string | null },
): Promise<void> {
  await db.query(
    `UPDATE notification_deliveries SET status = $2, address = coalesce($3, address), language = coalesce($4, language),
       message_id = coalesce($5, message_id), last_error = $6, sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END
     WHERE delivery_key = $1`,
    [key, outcome.status, outcome.address ?? null, outcome.language ?? null, outcome.messageId ?? null, outcome.error ?? null],
  );
}

/** Keeps the last error of an attempt that will be retried, for operations to see while it retries. */
export async function noteAttemptError(db: Queryable, key: string, error: string): Promise<void> {
  await db.query('UPDATE notification_deliveries SET last_error = $2 WHERE delivery_key = $1', [key, error.slice(0, 1_000)]);
}

export interface DeliveryRecord {
  deliveryKey: string;
  noticeKey: string;
  recipientId: string;
  poolId: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  address: string | null;
  language: string | null;
  lastError: string | null;
  occurredAt: string;
  sentAt: string | null;
}

/** Deliveries by status (operations look for `failed`), oldest first, optionally of one pool. */
export async function listDeliveries(db: Queryable, options: { status?: DeliveryStatus; poolId?: string; limit: number }): Promise<DeliveryRecord[]> {
  const { rows } = await db.query<{
    delivery_key: string;
    notice_key: string;
    recipient_id: string;
    pool_id: string;
    type: string;
    status: DeliveryStatus;
    attempts: bigint;
    address: string | null;
    language: string | null;
    last_error: string | null;
    occurred_at: Date;
    sent_at: Date | null;
  }>(
    `SELECT delivery_key, notice_key, recipient_id, pool_id, type, status, attempts, address, language, last_error, occurred_at, sent_at
     FROM notification_deliveries WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR pool_id = $2)
     ORDER BY created_at, delivery_key LIMIT $3`,
    [options.status ?? null, options.poolId ?? null, options.limit],
  );
  return rows.map((row) => ({
    deliveryKey: row.delivery_key,
    noticeKey: row.notice_key,
    recipientId: row.recipient_id,
    poolId: row.pool_id,
    type: row.type,
    status: row.status,
    attempts: Number(row.attempts),
    address: row.address,
    language: row.language,
    lastError: row.last_error,
    occurredAt: row.occurred_at.toISOString(),
    sentAt: row.sent_at?.toISOString() ?? null,
  }));
}
