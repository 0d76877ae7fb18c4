// Queries for stripe_webhook_events: each verified event stored once by its id, what ingestion decided
// it means, and the delivery state of the signal it owes a workflow.
import type { Queryable } from '../pool';

/**
 * What an event meant: `signal`, news a workflow waits for; `stale`, nothing a workflow has not heard
 * (an older or repeated observation, or Stripe confirming the state its API answer already gave the
 * activity that made the call); `ignored`, not about our money movements; `conflict`, at odds with our
 * records (reconciliation reports it).
 */
export type WebhookOutcome = 'signal' | 'stale' | 'ignored' | 'conflict';

export interface WebhookEventInsert {
  eventId: string;
  eventType: string;
  objectId: string | null;
  eventCreated: number;
  livemode: boolean;
  payload: unknown;
}

export interface PendingSignal {
  eventId: string;
  workflowId: string;
  signalName: string;
  payload: unknown;
  routeAttempts: number;
}

export interface WebhookEventRow {
  eventId: string;
  eventType: string;
  objectId: string | null;
  poolId: string | null;
  outcome: WebhookOutcome;
  signalWorkflowId: string | null;
  signalName: string | null;
  signalPayload: unknown;
  routeAttempts: number;
  lastRouteError: string | null;
  routedAt: Date | null;
}

/** Stores the event unless its id is stored already; true when this call stored it. */
export async function insertWebhookEvent(db: Queryable, event: WebhookEventInsert): Promise<boolean> {
  // Stored as `ignored` and routed; recordWebhookOutcome corrects both in the same transaction.
  const result = await db.query(
    `INSERT INTO stripe_webhook_events (event_id, event_type, object_id, event_created, livemode, payload, outcome, routed_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'ignored', now())
     ON CONFLICT (event_id) DO NOTHING`,
    [event.eventId, event.eventType, event.objectId, event.eventCreated, event.livemode, JSON.stringify(event.payload)],
  );
  return result.rowCount === 1;
}

export interface WebhookDecision {
  outcome: WebhookOutcome;
  poolId: string | null;
  signal: { workflowId: string; signalName: string; payload: unknown } | null;
}

/** Writes what the event means; an event that owes a signal stays unrouted until delivery succeeds. */
export async function recordWebhookOutcome(db: Queryable, eventId: string, decision: WebhookDecision): Promise<void> {
  await db.query(
    `UPDATE stripe_webhook_events
     SET outcome = $2, pool_id = $3, signal_workflow_id = $4, signal_name = $5, signal_payload = $6,
         routed_at = CASE WHEN $4::TEXT IS NULL THEN routed_at ELSE NULL END
     WHERE event_id = $1`,
    [
      eventId,
      decision.outcome,
      decision.poolId,
      decision.signal?.workflowId ?? null,
      decision.signal?.signalName ?? null,
      decision.signal ? JSON.stringify(decision.signal.payload) : null,
    ],
  );
}

type PendingDbRow = { event_id: string; signal_workflow_id: string; signal_name: string; signal_payload: unknown; route_attempts: bigint };

const toPending = (row: PendingDbRow): PendingSignal => ({
  eventId: row.event_id,
  workflowId: row.signal_workflow_id,
  signalName: row.signal_name,
  payload: row.signal_payload,
  routeAttempts: Number(row.route_attempts),
});

/** The undelivered signal of one event, if it owes one. */
export async function findPendingSignal(db: Queryable, eventId: string): Promise<PendingSignal | null> {
  const { rows } = await db.query<PendingDbRow>(
    `SELECT event_id, signal_workflow_id, signal_name, signal_payload, route_attempts FROM stripe_webhook_events
     WHERE event_id = $1 AND routed_at IS NULL AND signal_workflow_id IS NOT NULL`,
    [eventId],
  );
  return rows[0] ? toPending(rows[0]) : null;
}

/** Undelivered signals (of one pool, or all), oldest first, skipping events that have used up their attempts. */
export async function listPendingSignals(db: Queryable, options: { limit: number; attemptsMax: number; poolId?: string }): Promise<PendingSignal[]> {
  const { rows } = await db.query<PendingDbRow>(
    `SELECT event_id, signal_workflow_id, signal_name, signal_payload, route_attempts FROM stripe_webhook_events
     WHERE routed_at IS NULL AND signal_workflow_id IS NOT NULL AND route_attempts < $2 AND ($3::TEXT IS NULL OR pool_id = $3)
     ORDER BY received_at, event_id LIMIT $1`,
    [options.limit, options.attemptsMax, options.poolId ?? null],
  );
  return rows.map(toPending);
}

export async function markSignalDelivered(db: Queryable, eventId: string): Promise<void> {
  await db.query(
    `UPDATE stripe_webhook_events SET routed_at = now(), route_attempts = route_attempts + 1, last_route_error = NULL
     WHERE event_id = $1 AND routed_at IS NULL`,
    [eventId],
  );
}

/**
 * The workflow the signal was for has finished: it can never hear it, and needs not (its outcome is
 * settled, and the object's state is recorded all the same). Handled, with the reason kept.
 */
export async function markSignalMoot(db: Queryable, eventId: string, reason: string): Promise<void> {
  await db.query(
    `UPDATE stripe_webhook_events SET routed_at = now(), route_attempts = route_attempts + 1, last_route_error = $2
     WHERE event_id = $1 AND routed_at IS NULL`,
    [eventId, reason],
  );
}

export async function markSignalFailed(db: Queryable, eventId: string, error: string): Promise<void> {
  await db.query('UPDATE stripe_webhook_events SET route_attempts = route_attempts + 1, last_route_error = $2 WHERE event_id = $1', [eventId, error]);
}

type EventDbRow = {
  event_id: string;
  event_type: string;
  object_id: string | null;
  pool_id: string | null;
  outcome: WebhookOutcome;
  signal_workflow_id: string | null;
  signal_name: string | null;
  signal_payload: unknown;
  route_attempts: bigint;
  last_route_error: string | null;
  routed_at: Date | null;
};

const EVENT_COLUMNS =
  'event_id, event_type, object_id, pool_id, outcome, signal_workflow_id, signal_name, signal_payload, route_attempts, last_route_error, routed_at';

const toEvent = (row: EventDbRow): WebhookEventRow => ({
  eventId: row.event_id,
  eventType: row.event_type,
  objectId: row.object_id,
  poolId: row.pool_id,
  outcome: row.outcome,
  signalWorkflowId: row.signal_workflow_id,
  signalName: row.signal_name,
  signalPayload: row.signal_payload,
  routeAttempts: Number(row.route_attempts),
  lastRouteError: row.last_route_error,
  routedAt: row.routed_at,
});

export async function findWebhookEvent(db: Queryable, eventId: string): Promise<WebhookEventRow | null> {
  const { rows } = await db.query<EventDbRow>(`SELECT ${EVENT_COLUMNS} FROM stripe_webhook_events WHERE event_id = $1`, [eventId]);
  return rows[0] ? toEvent(rows[0]) : null;
}

/** Events of a pool whose signal was never delivered: reconciliation lists them. */
export async function listUndeliveredEventsByPool(db: Queryable, poolId: string): Promise<WebhookEventRow[]> {
  const { rows } = await db.query<EventDbRow>(
    `SELECT ${EVENT_COLUMNS} FROM stripe_webhook_events
     WHERE pool_id = $1 AND routed_at IS NULL AND signal_workflow_id IS NOT NULL ORDER BY received_at, event_id`,
    [poolId],
  );
  return rows.map(toEvent);
}

/**
 * Deletes up to `limit` handled events received more than `retentionDays` ago; returns how many. Events
 * still owing a signal are kept whatever their age: reconciliation lists them.
 */
export async function purgeHandledWebhookEvents(db: Queryable, options: { retentionDays: number; limit: number }): Promise<number> {
  const result = await db.query(
    `DELETE FROM stripe_webhook_events WHERE event_id IN (
       SELECT event_id FROM stripe_webhook_events
       WHERE routed_at IS NOT NULL AND received_at < now() - make_interval(days => $1::INT8::INT4)
       ORDER BY received_at LIMIT $2)`,
    [options.retentionDays, options.limit],
  );
  return result.rowCount ?? 0;
}
