// Queries for assessments: the purchase row (created before the charge, found again by the trader's
// Idempotency-Key), its status as payment and the workflow move it forward, and the reads the API
// answers from. Ownership is decided here, from the database, for every trader request.
import type { Queryable } from '../pool';

export const ASSESSMENT_STATUSES = ['payment_pending', 'payment_failed', 'paid', 'active', 'passed', 'failed', 'stopped', 'refunding', 'refunded'] as const;
export type AssessmentStatus = (typeof ASSESSMENT_STATUSES)[number];

/** What a purchase records before its charge: the business identifiers and the price. */
export interface PurchaseInsert {
  assessmentId: string;
  traderId: string;
  displayName: string;
  tier: string;
  packId: string;
  purchaseKey: string;
  priceMinor: bigint;
  currency: string;
}

export interface AssessmentRow extends PurchaseInsert {
  status: AssessmentStatus;
  phaseIndex: number;
  paymentIntentId: string | null;
  declineCode: string | null;
  startedAt: Date | null;
  endedAt: Date | null;
  verdict: unknown;
  summary: unknown;
  createdAt: Date;
}

interface DbRow {
  assessment_id: string;
  trader_id: string;
  display_name: string;
  tier: string;
  pack_id: string;
  purchase_key: string;
  price_minor: bigint;
  currency: string;
  status: AssessmentStatus;
  phase_index: bigint;
  payment_intent_id: string | null;
  decline_code: string | null;
  started_at: Date | null;
  ended_at: Date | null;
  verdict: unknown;
  summary: unknown;
  created_at: Date;
}

/** A trader's assessments listed at once. */
export const ASSESSMENTS_LIST_MAX = 100;

const COLUMNS = `assessment_id, trader_id, display_name, tier, pack_id, purchase_key, price_minor, currency, status, phase_index,
  payment_intent_id, decline_code, started_at, ended_at, verdict, summary, created_at`;

const toRow = (row: DbRow): AssessmentRow => ({
  assessmentId: row.assessment_id,
  traderId: row.trader_id,
  displayName: row.display_name,
  tier: row.tier,
  packId: row.pack_id,
  purchaseKey: row.purchase_key,
  priceMinor: row.price_minor,
  currency: row.currency,
  status: row.status,
  phaseIndex: Number(row.phase_index),
  paymentIntentId: row.payment_intent_id,
  declineCode: row.decline_code,
  startedAt: row.started_at,
  endedAt: row.ended_at,
  verdict: row.verdict,
  summary: row.summary,
  createdAt: row.created_at,
});

/** Inserts the purchase, or returns the row a previous request with the same key inserted. */
export async function insertPurchase(db: Queryable, purchase: PurchaseInsert): Promise<AssessmentRow> {
  await db.query(
    `INSERT INTO assessments (assessment_id, trader_id, display_name, tier, pack_id, purchase_key, price_minor, currency, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'payment_pending')
     ON CONFLICT (trader_id, purchase_key) DO NOTHING`,
    [
      purchase.assessmentId,
      purchase.traderId,
      purchase.displayName,
      purchase.tier,
      purchase.packId,
      purchase.purchaseKey,
      purchase.priceMinor,
      purchase.currency,
    ],
  );
  const { rows } = await db.query<DbRow>(`SELECT ${COLUMNS} FROM assessments WHERE trader_id = $1 AND purchase_key = $2`, [
    purchase.traderId,
    purchase.purchaseKey,
  ]);
  return toRow(rows[0]!);
}

export async function findAssessment(db: Queryable, assessmentId: string): Promise<AssessmentRow | null> {
  const { rows } = await db.query<DbRow>(`SELECT ${COLUMNS} FROM assessments WHERE assessment_id = $1`, [assessmentId]);
  return rows[0] ? toRow(rows[0]) : null;
}

export async function listTraderAssessments(db: Queryable, traderId: string): Promise<AssessmentRow[]> {
  const { rows } = await db.query<DbRow>(`SELECT ${COLUMNS} FROM assessments WHERE trader_id = $1 ORDER BY created_at DESC LIMIT $2`, [
    traderId,
    ASSESSMENTS_LIST_MAX,
  ]);
  return rows.map(toRow);
}

/** Every assessment of a tier in one of `statuses`, bounded, for rebuilding a leaderboard. */
export async function listTierAssessments(db: Queryable, tier: string, statuses: readonly AssessmentStatus[], limit: number): Promise<AssessmentRow[]> {
  const { rows } = await db.query<DbRow>(`SELECT ${COLUMNS} FROM assessments WHERE tier = $1 AND status = ANY($2) ORDER BY assessment_id LIMIT $3`, [
    tier,
    statuses,
    limit,
  ]);
  return rows.map(toRow);
}

/**
 * Moves the status forward only from one of `from`; returns whether this call moved it. Every change of
 * an assessment's status goes through here, so a late webhook or a retried activity cannot move it back.
 */
export async function moveStatus(
  db: Queryable,
  assessmentId: string,
  from: readonly AssessmentStatus[],
  to: AssessmentStatus,
  fields: { paymentIntentId?: string; declineCode?: string | null; verdict?: unknown } = {},
): Promise<boolean> {
  const result = await db.query(
    `UPDATE assessments SET status = $3,
       payment_intent_id = COALESCE($4, payment_intent_id),
       decline_code = CASE WHEN $5::BOOL THEN $6 ELSE decline_code END,
       verdict = COALESCE($7::JSONB, verdict),
       started_at = CASE WHEN $3 = 'active' AND started_at IS NULL THEN now() ELSE started_at END,
       ended_at = CASE WHEN $3 IN ('passed', 'failed', 'stopped', 'refunded') AND ended_at IS NULL THEN now() ELSE ended_at END,
       updated_at = now()
     WHERE assessment_id = $1 AND status = ANY($2)`,
    [
      assessmentId,
      from,
      to,
      fields.paymentIntentId ?? null,
      'declineCode' in fields,
      fields.declineCode ?? null,
      fields.verdict === undefined ? null : JSON.stringify(fields.verdict),
    ],
  );
  return result.rowCount === 1;
}

/** The workflow's latest published standing and phase, for reads that do not reach Temporal. */
export async function saveSummary(db: Queryable, assessmentId: string, phaseIndex: number, summary: unknown): Promise<void> {
  await db.query(`UPDATE assessments SET summary = $2, phase_index = $3, updated_at = now() WHERE assessment_id = $1`, [
    assessmentId,
    JSON.stringify(summary),
    phaseIndex,
  ]);
}
