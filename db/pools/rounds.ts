// The rounds read model: each finished round (`pool_rounds`) with every member's contribution
// (`pool_contributions`) and every payout (`pool_payouts`), written once when the round ends and read
// by the API. Rows are never updated: a repeated write of the same round changes nothing.
import type { RoundResult } from '../../workflows/pools/round';
import type { Queryable } from '../pool';

export interface FinishedRound {
  kind: string;
  potMinor: bigint;
  feeMinor: bigint;
  discountMinor: bigint;
  winnerMemberId: string | null;
  finishedAt: Date;
  contributions: Array<{
    memberId: string;
    outcome: string;
    paidMinor: bigint;
    lateFeeMinor: bigint;
    paymentIntentId: string | null;
    failureCode: string | null;
  }>;
  payouts: Array<{ memberId: string; purpose: string; amountMinor: bigint }>;
}

/** A finished round of the pool, or null while it has not finished (or never started). */
export async function findFinishedRound(db: Queryable, poolId: string, round: number): Promise<FinishedRound | null> {
  const [summary, contributions, payouts] = await Promise.all([
    db.query<{ kind: string; pot_minor: bigint; fee_minor: bigint; discount_minor: bigint; winner_member_id: string | null; finished_at: Date }>(
      'SELECT kind, pot_minor, fee_minor, discount_minor, winner_member_id, finished_at FROM pool_rounds WHERE pool_id = $1 AND round = $2',
      [poolId, round],
    ),
    db.query<{ member_id: string; outcome: string; paid_minor: bigint; late_fee_minor: bigint; payment_intent_id: string | null; failure_code: string | null }>(
      'SELECT member_id, outcome, paid_minor, late_fee_minor, payment_intent_id, failure_code FROM pool_contributions WHERE pool_id = $1 AND round = $2 ORDER BY member_id',
      [poolId, round],
    ),
    db.query<{ member_id: string; purpose: string; amount_minor: bigint }>(
      'SELECT member_id, purpose, amount_minor FROM pool_payouts WHERE pool_id = $1 AND round = $2 ORDER BY member_id, purpose',
      [poolId, round],
    ),
  ]);
  const row = summary.rows[0];
  if (!row) return null;
  return {
    kind: row.kind,
    potMinor: row.pot_minor,
    feeMinor: row.fee_minor,
    discountMinor: row.discount_minor,
    winnerMemberId: row.winner_member_id,
    finishedAt: row.finished_at,
    contributions: contributions.rows.map((r) => ({
      memberId: r.member_id,
      outcome: r.outcome,
      paidMinor: r.paid_minor,
      lateFeeMinor: r.late_fee_minor,
      paymentIntentId: r.payment_intent_id,
      failureCode: r.failure_code,
    })),
    payouts: payouts.rows.map((r) => ({ memberId: r.member_id, purpose: r.purpose, amountMinor: r.amount_minor })),
  };
}

/** Writes a finished round, its contributions and payouts (in one transaction); true on its first write. */
export async function insertRoundResult(db: Queryable, poolId: string, kind: 'contribution' | 'distribution', result: RoundResult): Promise<boolean> {
  const round = await db.query(
    `INSERT INTO pool_rounds (pool_id, round, kind, pot_minor, fee_minor, discount_minor, winner_member_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (pool_id, round) DO NOTHING`,
    [poolId, result.round, kind, result.potMinor, result.payout?.feeMinor ?? '0', result.payout?.discountMinor ?? '0', result.payout?.winnerMemberId ?? null],
  );
  for (const member of result.members) {
    await db.query(
      `INSERT INTO pool_contributions (pool_id, round, member_id, outcome, paid_minor, late_fee_minor, payment_intent_id, failure_code)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (pool_id, round, member_id) DO NOTHING`,
      [poolId, result.round, member.memberId, member.outcome, member.paidMinor, member.lateFeeMinor, member.paymentIntentId, member.failureCode],
    );
  }
  for (const recipient of result.payout?.recipients ?? []) {
    await db.query(
      `INSERT INTO pool_payouts (pool_id, round, member_id, purpose, amount_minor) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (pool_id, round, member_id, purpose) DO NOTHING`,
      [poolId, result.round, recipient.memberId, recipient.purpose, recipient.amountMinor],
    );
  }
  return round.rowCount === 1;
}
