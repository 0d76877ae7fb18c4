// Queries for the append-only audit trail (db/migrations/011_audit_trail.sql): insert and read, nothing else.
import { randomUUID } from 'node:crypto';
import type { Queryable } from './pool';

export interface AuditEvent {
  at: Date;
  subject: string;
  role: string;
  method: string;
  path: string;
  poolId: string | null;
  requestId: string;
  outcome: number;
}

export async function appendAuditEvent(db: Queryable, event: Omit<AuditEvent, 'at'>): Promise<void> {
  await db.query('INSERT INTO audit_events (audit_id, subject, role, method, path, pool_id, request_id, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
    randomUUID(),
    event.subject,
    event.role,
    event.method,
    event.path,
    event.poolId,
    event.requestId,
    event.outcome,
  ]);
}

/** Newest first; `before` pages on `at`. */
export async function listAuditEvents(db: Queryable, filter: { poolId?: string; subject?: string; before?: string; limit: number }): Promise<AuditEvent[]> {
  const { rows } = await db.query<{
    at: Date;
    subject: string;
    role: string;
    method: string;
    path: string;
    pool_id: string | null;
    request_id: string;
    outcome: bigint;
  }>(
    `SELECT at, subject, role, method, path, pool_id, request_id, outcome FROM audit_events
     WHERE ($1::TEXT IS NULL OR pool_id = $1) AND ($2::TEXT IS NULL OR subject = $2) AND ($3::TIMESTAMPTZ IS NULL OR at < $3)
     ORDER BY at DESC, audit_id LIMIT $4`,
    [filter.poolId ?? null, filter.subject ?? null, filter.before ?? null, filter.limit],
  );
  return rows.map((r) => ({
    at: r.at,
    subject: r.subject,
    role: r.role,
    method: r.method,
    path: r.path,
    poolId: r.pool_id,
    requestId: r.request_id,
    outcome: Number(r.outcome),
  }));
}
