// Queries for assessment_payouts: one row per funded payout, written when the workflow reserves it and
// moved to paid or failed by the saga's last step.
import type { Queryable } from '../pool';

export interface PayoutRow {
  assessmentId: string;
  payoutNumber: number;
  splitMinor: bigint;
  feeRefundMinor: bigint;
  currency: string;
  status: 'pending' | 'paid' | 'failed';
  transferId: string | null;
}

export async function insertPayout(
  db: Queryable,
  payout: { assessmentId: string; payoutNumber: number; splitMinor: bigint; feeRefundMinor: bigint; currency: string },
): Promise<void> {
  await db.query(
    `INSERT INTO assessment_payouts (assessment_id, payout_number, split_minor, fee_refund_minor, currency, status)
     VALUES ($1, $2, $3, $4, $5, 'pending') ON CONFLICT DO NOTHING`,
    [payout.assessmentId, payout.payoutNumber, payout.splitMinor, payout.feeRefundMinor, payout.currency],
  );
}

export async function settlePayout(
  db: Queryable,
  assessmentId: string,
  payoutNumber: number,
  status: 'paid' | 'failed',
  transferId: string | null,
): Promise<void> {
  await db.query(
    `UPDATE assessment_payouts SET status = $3, transfer_id = COALESCE($4, transfer_id), updated_at = now()
     WHERE assessment_id = $1 AND payout_number = $2 AND status = 'pending'`,
    [assessmentId, payoutNumber, status, transferId],
  );
}

export async function listPayouts(db: Queryable, assessmentId: string): Promise<PayoutRow[]> {
  const { rows } = await db.query<{
    assessment_id: string;
    payout_number: bigint;
    split_minor: bigint;
    fee_refund_minor: bigint;
    currency: string;
    status: PayoutRow['status'];
    transfer_id: string | null;
  }>(
    `SELECT assessment_id, payout_number, split_minor, fee_refund_minor, currency, status, transfer_id FROM assessment_payouts WHERE assessment_id = $1 ORDER BY payout_number LIMIT 1000`,
    [assessmentId],
  );
  return rows.map((row) => ({
    assessmentId: row.assessment_id,
    payoutNumber: Number(row.payout_number),
    splitMinor: row.split_minor,
    feeRefundMinor: row.fee_refund_minor,
    currency: row.currency,
    status: row.status,
    transferId: row.transfer_id,
  }));
}
