// Queries for what an assessment's workflow records: the event log (replayable), closed trades,
// violations and warnings, reports and ops actions. Every insert is keyed by business identifiers and
// ignores a repeat, so a retried recording activity writes each row once.
import type { Queryable } from '../pool';

/** Rows one read returns at most: a phase's log, its trades, an assessment's violations. */
export const ROWS_READ_MAX = { events: 20_000, trades: 5_000, violations: 500 } as const;

export interface EventInsert {
  seq: number;
  key: string;
  phaseIndex: number;
  kind: string;
  source: string;
  event: unknown;
  atMs: number;
}

export async function insertEvents(db: Queryable, assessmentId: string, events: readonly EventInsert[]): Promise<void> {
  for (const e of events) {
    await db.query(
      `INSERT INTO assessment_events (assessment_id, seq, event_key, phase_index, kind, source, event, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::FLOAT8 / 1000)) ON CONFLICT DO NOTHING`,
      [assessmentId, e.seq, e.key, e.phaseIndex, e.kind, e.source, JSON.stringify(e.event), e.atMs],
    );
  }
}

export async function listEvents(
  db: Queryable,
  assessmentId: string,
  phaseIndex: number,
): Promise<Array<{ seq: number; kind: string; source: string; event: unknown }>> {
  const { rows } = await db.query<{ seq: bigint; kind: string; source: string; event: unknown }>(
    `SELECT seq, kind, source, event FROM assessment_events WHERE assessment_id = $1 AND phase_index = $2 ORDER BY seq LIMIT $3`,
    [assessmentId, phaseIndex, ROWS_READ_MAX.events],
  );
  return rows.map((row) => ({ seq: Number(row.seq), kind: row.kind, source: row.source, event: row.event }));
}

export async function insertTrades(
  db: Queryable,
  assessmentId: string,
  trades: ReadonlyArray<{ closeId: string; phaseIndex: number; reason: string; closedAtMs: number }>,
): Promise<void> {
  for (const trade of trades) {
    await db.query(
      `INSERT INTO assessment_trades (assessment_id, close_id, phase_index, reason, trade, closed_at)
       VALUES ($1, $2, $3, $4, $5, to_timestamp($6::FLOAT8 / 1000)) ON CONFLICT DO NOTHING`,
      [assessmentId, trade.closeId, trade.phaseIndex, trade.reason, JSON.stringify(trade), trade.closedAtMs],
    );
  }
}

export async function listTrades<T>(db: Queryable, assessmentId: string, phaseIndex?: number): Promise<T[]> {
  const { rows } = await db.query<{ trade: T }>(
    `SELECT trade FROM assessment_trades WHERE assessment_id = $1 AND ($2::INT8 IS NULL OR phase_index = $2) ORDER BY closed_at, close_id LIMIT $3`,
    [assessmentId, phaseIndex ?? null, ROWS_READ_MAX.trades],
  );
  return rows.map((row) => row.trade);
}

export interface ViolationInsert {
  key: string;
  phaseIndex: number;
  rule: string;
  severity: 'hard' | 'soft' | 'warning';
  detail: unknown;
  atMs: number;
}

export async function insertViolations(db: Queryable, assessmentId: string, violations: readonly ViolationInsert[]): Promise<void> {
  for (const v of violations) {
    await db.query(
      `INSERT INTO assessment_violations (assessment_id, violation_key, phase_index, rule, severity, detail, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::FLOAT8 / 1000)) ON CONFLICT DO NOTHING`,
      [assessmentId, v.key, v.phaseIndex, v.rule, v.severity, JSON.stringify(v.detail), v.atMs],
    );
  }
}

export async function listViolations(
  db: Queryable,
  assessmentId: string,
): Promise<Array<{ phaseIndex: number; rule: string; severity: string; detail: unknown; occurredAt: Date }>> {
  const { rows } = await db.query<{ phase_index: bigint; rule: string; severity: string; detail: unknown; occurred_at: Date }>(
    `SELECT phase_index, rule, severity, detail, occurred_at FROM assessment_violations WHERE assessment_id = $1 ORDER BY occurred_at, violation_key LIMIT $2`,
    [assessmentId, ROWS_READ_MAX.violations],
  );
  return rows.map((row) => ({ phaseIndex: Number(row.phase_index), rule: row.rule, severity: row.severity, detail: row.detail, occurredAt: row.occurred_at }));
}

export async function insertReport(db: Queryable, assessmentId: string, phaseIndex: number, report: unknown, svg: string): Promise<void> {
  await db.query(`INSERT INTO assessment_reports (assessment_id, phase_index, report, svg) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
    assessmentId,
    phaseIndex,
    JSON.stringify(report),
    svg,
  ]);
}

export async function findReport(db: Queryable, assessmentId: string, phaseIndex: number): Promise<{ report: unknown; svg: string } | null> {
  const { rows } = await db.query<{ report: unknown; svg: string }>(
    `SELECT report, svg FROM assessment_reports WHERE assessment_id = $1 AND phase_index = $2`,
    [assessmentId, phaseIndex],
  );
  return rows[0] ?? null;
}

export async function insertOpsAction(
  db: Queryable,
  action: { assessmentId: string; actionKey: string; action: string; actor: string; reason: string },
): Promise<void> {
  await db.query(`INSERT INTO assessment_ops_actions (assessment_id, action_key, action, actor, reason) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, [
    action.assessmentId,
    action.actionKey,
    action.action,
    action.actor,
    action.reason,
  ]);
}
