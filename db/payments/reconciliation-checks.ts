// The reconciliation sweep's record of each pool it checked (table reconciliation_checks): which pools
// are due for a check, and the outcome of the latest one.
import type { Queryable } from '../pool';

/**
 * Pools never checked (oldest first), then those whose last check is older than `recheckAfterMs`
 * (checked longest ago first), at most `poolsMax` of them.
 */
export async function listPoolsDueForReconciliation(db: Queryable, input: { poolsMax: number; recheckAfterMs: number }): Promise<string[]> {
  const { rows } = await db.query<{ pool_id: string }>(
    `SELECT p.pool_id FROM pools p LEFT JOIN reconciliation_checks c ON c.pool_id = p.pool_id
     WHERE c.checked_at IS NULL OR c.checked_at < now() - ($1::INT8 * INTERVAL '1 millisecond')
     ORDER BY c.checked_at ASC NULLS FIRST, p.created_at ASC, p.pool_id ASC
     LIMIT $2`,
    [input.recheckAfterMs, input.poolsMax],
  );
  return rows.map((row) => row.pool_id);
}

/**
 * Pools older than `overdueAfterMs` whose last check (if any) is older than that too: pools the sweep
 * failed to reconcile, did not reach in time, or stopped running for.
 */
export async function countPoolsOverdueForReconciliation(db: Queryable, input: { overdueAfterMs: number }): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM pools p LEFT JOIN reconciliation_checks c ON c.pool_id = p.pool_id
     WHERE p.created_at < now() - ($1::INT8 * INTERVAL '1 millisecond')
       AND (c.checked_at IS NULL OR c.checked_at < now() - ($1::INT8 * INTERVAL '1 millisecond'))`,
    [input.overdueAfterMs],
  );
  return Number(rows[0]?.n ?? 0);
}

export interface ReconciliationCheck {
  poolId: string;
  checkedAt: Date;
  mismatchCount: number;
  mismatches: unknown[];
}

/** Records the outcome of a pool's check, replacing the previous one. */
export async function recordReconciliationCheck(db: Queryable, check: { poolId: string; mismatchCount: number; mismatches: unknown[] }): Promise<void> {
  await db.query(
    `INSERT INTO reconciliation_checks (pool_id, checked_at, mismatch_count, mismatches) VALUES ($1, now(), $2, $3)
     ON CONFLICT (pool_id) DO UPDATE SET checked_at = excluded.checked_at, mismatch_count = excluded.mismatch_count, mismatches = excluded.mismatches`,
    [check.poolId, check.mismatchCount, JSON.stringify(check.mismatches)],
  );
}

export async function getReconciliationCheck(db: Queryable, poolId: string): Promise<ReconciliationCheck | null> {
  const { rows } = await db.query<{ pool_id: string; checked_at: Date; mismatch_count: string; mismatches: unknown[] }>(
    'SELECT pool_id, checked_at, mismatch_count, mismatches FROM reconciliation_checks WHERE pool_id = $1',
    [poolId],
  );
  const row = rows[0];
  return row ? { poolId: row.pool_id, checkedAt: row.checked_at, mismatchCount: Number(row.mismatch_count), mismatches: row.mismatches } : null;
}
