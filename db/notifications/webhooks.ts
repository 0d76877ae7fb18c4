// Queries for managers' webhook endpoints and their delivery queues. Each endpoint's queue is numbered
// (`seq`) in the order notices were created and delivered strictly in that order.
import type { Queryable } from '../pool';
import { transaction } from '../transaction';
import type { Db } from '../pool';

export interface WebhookEndpoint {
  endpointId: string;
  managerId: string;
  url: string;
  eventTypes: string[];
  status: 'enabled' | 'disabled';
  disabledReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface EndpointSecrets {
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
}

interface EndpointRow {
  endpoint_id: string;
  manager_id: string;
  url: string;
  event_types: string[];
  status: 'enabled' | 'disabled';
  disabled_reason: string | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const fromRow = (row: EndpointRow): WebhookEndpoint => ({
  endpointId: row.endpoint_id,
  managerId: row.manager_id,
  url: row.url,
  eventTypes: row.event_types,
  status: row.status,
  disabledReason: row.disabled_reason,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const COLUMNS =
  'endpoint_id, manager_id, url, event_types, status, disabled_reason, secret, previous_secret, previous_secret_expires_at, created_at, updated_at';

export async function insertEndpoint(db: Queryable, input: { managerId: string; url: string; eventTypes: string[]; secret: string }): Promise<WebhookEndpoint> {
  const { rows } = await db.query<EndpointRow>(
    `INSERT INTO webhook_endpoints (manager_id, url, event_types, status, secret) VALUES ($1, $2, $3, 'enabled', $4) RETURNING ${COLUMNS}`,
    [input.managerId, input.url, JSON.stringify(input.eventTypes), input.secret],
  );
  return fromRow(rows[0]!);
}

/** The endpoint if it belongs to `managerId` (null otherwise: another manager's endpoint does not exist for them). */
export async function findEndpoint(db: Queryable, endpointId: string, managerId?: string): Promise<(WebhookEndpoint & EndpointSecrets) | null> {
  const { rows } = await db.query<EndpointRow>(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE endpoint_id = $1 AND ($2::text IS NULL OR manager_id = $2)`, [
    endpointId,
    managerId ?? null,
  ]);
  const row = rows[0];
  return row ? { ...fromRow(row), secret: row.secret, previousSecret: row.previous_secret, previousSecretExpiresAt: row.previous_secret_expires_at } : null;
}

export async function listEndpoints(db: Queryable, managerId: string, limit: number): Promise<WebhookEndpoint[]> {
  const { rows } = await db.query<EndpointRow>(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE manager_id = $1 ORDER BY created_at, endpoint_id LIMIT $2`, [
    managerId,
    limit,
  ]);
  return rows.map(fromRow);
}

export async function countEndpoints(db: Queryable, managerId: string): Promise<number> {
  const { rows } = await db.query<{ count: bigint }>('SELECT count(*) AS count FROM webhook_endpoints WHERE manager_id = $1', [managerId]);
  return Number(rows[0]!.count);
}

export async function updateEndpoint(
  db: Queryable,
  endpointId: string,
  managerId: string,
  changes: { url?: string; eventTypes?: string[]; status?: 'enabled' | 'disabled' },
): Promise<WebhookEndpoint | null> {
  const { rows } = await db.query<EndpointRow>(
    `UPDATE webhook_endpoints SET url = coalesce($3, url), event_types = coalesce($4::jsonb, event_types), status = coalesce($5, status),
       disabled_reason = CASE WHEN $5 = 'enabled' THEN NULL ELSE disabled_reason END, updated_at = now()
     WHERE endpoint_id = $1 AND manager_id = $2 RETURNING ${COLUMNS}`,
    [endpointId, managerId, changes.url ?? null, changes.eventTypes ? JSON.stringify(changes.eventTypes) : null, changes.status ?? null],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Replaces the secret; the old one keeps signing beside it until `previousExpiresAt`. */
export async function rotateSecret(
  db: Queryable,
  endpointId: string,
  managerId: string,
  secret: string,
  previousExpiresAt: Date,
): Promise<WebhookEndpoint | null> {
  const { rows } = await db.query<EndpointRow>(
    `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = $4, secret = $3, updated_at = now()
     WHERE endpoint_id = $1 AND manager_id = $2 RETURNING ${COLUMNS}`,
    [endpointId, managerId, secret, previousExpiresAt],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function disableEndpoint(db: Queryable, endpointId: string, reason: string): Promise<void> {
  await db.query(`UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $2, updated_at = now() WHERE endpoint_id = $1`, [
    endpointId,
    reason.slice(0, 1_000),
  ]);
}

/** The manager's enabled endpoints subscribed to `type`. */
export async function subscribedEndpoints(db: Queryable, managerId: string, type: string): Promise<string[]> {
  const { rows } = await db.query<{ endpoint_id: string }>(
    `SELECT endpoint_id FROM webhook_endpoints WHERE manager_id = $1 AND status = 'enabled' AND event_types ? $2 ORDER BY endpoint_id`,
    [managerId, type],
  );
  return rows.map((row) => row.endpoint_id);
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed' | 'refused';

export interface WebhookDelivery {
  deliveryId: string;
  endpointId: string;
  seq: number;
  eventId: string;
  type: string;
  poolId: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

interface DeliveryRow {
  delivery_id: string;
  endpoint_id: string;
  seq: bigint;
  event_id: string;
  type: string;
  pool_id: string;
  payload: string;
  status: WebhookDeliveryStatus;
  attempts: bigint;
  last_status_code: bigint | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

const deliveryFromRow = (row: DeliveryRow): WebhookDelivery => ({
  deliveryId: row.delivery_id,
  endpointId: row.endpoint_id,
  seq: Number(row.seq),
  eventId: row.event_id,
  type: row.type,
  poolId: row.pool_id,
  status: row.status,
  attempts: Number(row.attempts),
  lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
  lastError: row.last_error,
  createdAt: row.created_at.toISOString(),
  deliveredAt: row.delivered_at?.toISOString() ?? null,
});

const DELIVERY_COLUMNS =
  'delivery_id, endpoint_id, seq, event_id, type, pool_id, payload, status, attempts, last_status_code, last_error, created_at, delivered_at';

/**
 * Appends an event to the endpoint's queue under the next sequence number; a second append of the same
 * event is a no-op. `refusal` records it as refused instead (an oversized payload), visible in the log.
 */
export async function enqueueDelivery(
  db: Db,
  input: { endpointId: string; eventId: string; type: string; poolId: string; payload: string; refusal?: string },
): Promise<boolean> {
  return transaction(db, async (client) => {
    const { rows } = await client.query<{ next: bigint }>('SELECT coalesce(max(seq), 0) + 1 AS next FROM webhook_deliveries WHERE endpoint_id = $1', [
      input.endpointId,
    ]);
    const { rowCount } = await client.query(
      `INSERT INTO webhook_deliveries (endpoint_id, seq, event_id, type, pool_id, payload, status, last_error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
      [input.endpointId, rows[0]!.next, input.eventId, input.type, input.poolId, input.payload, input.refusal ? 'refused' : 'pending', input.refusal ?? null],
    );
    return rowCount === 1;
  });
}

/** The oldest undelivered event of the endpoint, with its exact body. */
export async function nextPendingDelivery(db: Queryable, endpointId: string): Promise<(WebhookDelivery & { payload: string }) | null> {
  const { rows } = await db.query<DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending' ORDER BY seq LIMIT 1`,
    [endpointId],
  );
  return rows[0] ? { ...deliveryFromRow(rows[0]), payload: rows[0].payload } : null;
}

export async function findDelivery(db: Queryable, deliveryId: string): Promise<(WebhookDelivery & { payload: string }) | null> {
  const { rows } = await db.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE delivery_id = $1`, [deliveryId]);
  return rows[0] ? { ...deliveryFromRow(rows[0]), payload: rows[0].payload } : null;
}

export async function recordAttempt(
  db: Queryable,
  deliveryId: string,
  outcome: { delivered: boolean; statusCode: number | null; error: string | null },
): Promise<void> {
  await db.query(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = $2, last_error = $3,
       status = CASE WHEN $4 THEN 'delivered' ELSE status END, delivered_at = CASE WHEN $4 THEN now() ELSE delivered_at END
     WHERE delivery_id = $1 AND status = 'pending'`,
    [deliveryId, outcome.statusCode, outcome.error?.slice(0, 1_000) ?? null, outcome.delivered],
  );
}

export async function failDelivery(db: Queryable, deliveryId: string, reason: string): Promise<void> {
  await db.query(`UPDATE webhook_deliveries SET status = 'failed', last_error = $2 WHERE delivery_id = $1 AND status = 'pending'`, [
    deliveryId,
    reason.slice(0, 1_000),
  ]);
}

/** The endpoint's delivery log, newest first, paged by `beforeSeq`. */
export async function listEndpointDeliveries(db: Queryable, endpointId: string, options: { limit: number; beforeSeq?: number }): Promise<WebhookDelivery[]> {
  const { rows } = await db.query<DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 AND ($2::int8 IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3`,
    [endpointId, options.beforeSeq ?? null, options.limit],
  );
  return rows.map(deliveryFromRow);
}
