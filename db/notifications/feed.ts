// Queries for the in-app feed: one row per (notice, recipient), written once, read by the recipient.
import type { Notice, Recipient } from '../../domain/notifications/catalogue';
import type { Queryable } from '../pool';

export interface FeedItem {
  notificationId: string;
  noticeKey: string;
  type: string;
  poolId: string;
  title: string;
  body: string;
  data: Notice['data'];
  occurredAt: string;
  createdAt: string;
  readAt: string | null;
}

interface FeedRow {
  notification_id: string;
  notice_key: string;
  type: string;
  pool_id: string;
  title: string;
  body: string;
  data: Notice['data'];
  occurred_at: Date;
  created_at: Date;
  read_at: Date | null;
}

const fromRow = (row: FeedRow): FeedItem => ({
  notificationId: row.notification_id,
  noticeKey: row.notice_key,
  type: row.type,
  poolId: row.pool_id,
  title: row.title,
  body: row.body,
  data: row.data,
  occurredAt: row.occurred_at.toISOString(),
  createdAt: row.created_at.toISOString(),
  readAt: row.read_at?.toISOString() ?? null,
});

const COLUMNS = 'notification_id, notice_key, type, pool_id, title, body, data, occurred_at, created_at, read_at';

/** Writes the recipient's feed item; returns it when it is new, null when it was already there. */
export async function insertFeedItem(db: Queryable, notice: Notice, recipient: Recipient, title: string, body: string): Promise<FeedItem | null> {
  const { rows } = await db.query<FeedRow>(
    `INSERT INTO notifications (notice_key, recipient_id, recipient_role, pool_id, type, title, body, data, occurred_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (notice_key, recipient_id) DO NOTHING RETURNING ${COLUMNS}`,
    [notice.key, recipient.id, recipient.role, notice.poolId, notice.type, title, body, JSON.stringify(notice.data), notice.occurredAt],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

/** The recipient's feed, newest first, paged by `before` (a notification ID from the previous page). */
export async function listFeed(db: Queryable, recipient: Recipient, options: { limit: number; before?: string; unreadOnly?: boolean }): Promise<FeedItem[]> {
  const { rows } = await db.query<FeedRow>(
    `SELECT ${COLUMNS} FROM notifications
     WHERE recipient_id = $1 AND recipient_role = $5
       AND ($2::uuid IS NULL OR (created_at, notification_id) < (SELECT created_at, notification_id FROM notifications WHERE notification_id = $2::uuid AND recipient_id = $1))
       AND (NOT $3 OR read_at IS NULL)
     ORDER BY created_at DESC, notification_id DESC LIMIT $4`,
    [recipient.id, options.before ?? null, options.unreadOnly ?? false, options.limit, recipient.role],
  );
  return rows.map(fromRow);
}

/** Marks one of the recipient's items read; null when the recipient has no such item. */
export async function markRead(db: Queryable, recipient: Recipient, notificationId: string): Promise<FeedItem | null> {
  const { rows } = await db.query<FeedRow>(
    `UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE notification_id = $1 AND recipient_id = $2 AND recipient_role = $3 RETURNING ${COLUMNS}`,
    [notificationId, recipient.id, recipient.role],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}
