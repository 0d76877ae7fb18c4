// The activities behind the scheduled reconciliation sweep: which pools are due, and one pool reconciled
// against Stripe with its outcome recorded. They run on the worker, whose metrics Prometheus scrapes, so
// the mismatch counter that PoolflowReconciliationMismatch watches counts every scheduled run.
import { listPoolsDueForReconciliation, recordReconciliationCheck } from '../../db/payments/reconciliation-checks';
import { createReconciliationActivities, type ReconciliationDeps } from './reconciliation';

/** Pools one sweep run reconciles; the rest wait for the next firing. */
export const RECONCILE_POOLS_PER_RUN_MAX = 100;
/** How long a pool's check stands before the sweep reconciles it again. */
export const RECONCILE_RECHECK_AFTER_MS = 6 * 60 * 60_000;
/**
 * A pool not checked for this long is overdue (gauge poolflow_reconciliation_overdue_pools): four recheck
 * intervals, so one failed run or a slow day never pages, but a pool the sweep keeps failing on, a
 * paused schedule, or more pools than runs can reach (RECONCILE_POOLS_PER_RUN_MAX per firing) does.
 */
export const RECONCILE_OVERDUE_AFTER_MS = 4 * RECONCILE_RECHECK_AFTER_MS;
/** Mismatches kept in a pool's recorded check; the count is kept in full, and `npm run reconcile` lists them all. */
export const RECORDED_MISMATCHES_MAX = 100;

export function createReconciliationSweepActivities(deps: ReconciliationDeps) {
  const { reconcilePool } = createReconciliationActivities(deps);
  return {
    async listPoolsDueForReconciliation(): Promise<{ poolIds: string[] }> {
      const poolIds = await listPoolsDueForReconciliation(deps.db, { poolsMax: RECONCILE_POOLS_PER_RUN_MAX, recheckAfterMs: RECONCILE_RECHECK_AFTER_MS });
      return { poolIds };
    },

    /** Reconciles one pool and records the outcome; returns how many mismatches it found. */
    async reconcileAndRecordPool(input: { poolId: string }): Promise<{ mismatchCount: number }> {
      const report = await reconcilePool(input);
      await recordReconciliationCheck(deps.db, {
        poolId: input.poolId,
        mismatchCount: report.mismatches.length,
        mismatches: report.mismatches.slice(0, RECORDED_MISMATCHES_MAX),
      });
      return { mismatchCount: report.mismatches.length };
    },
  };
}

export type ReconciliationSweepActivities = ReturnType<typeof createReconciliationSweepActivities>;
