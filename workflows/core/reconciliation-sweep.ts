// The reconciliation sweep, started by its Temporal Schedule: compares the pools that are due (never
// checked, or not for a while) with Stripe, one pool per activity, and records each outcome.
import { ActivityFailure, log, proxyActivities } from '@temporalio/workflow';
import type { ReconciliationSweepActivities } from '../../activities/core/reconciliation-sweep';
import { DB_ACTIVITY, RECONCILE_POOL_ACTIVITY } from '../../temporal-config/policies';

export interface ReconciliationSweepResult {
  poolsChecked: number;
  mismatchCount: number;
  /** The pools with at least one mismatch, at most RECONCILE_POOLS_PER_RUN_MAX of them. */
  poolsWithMismatches: string[];
  /** Pools whose reconciliation failed after its retries; they stay due, so the next run tries again. */
  poolsFailed: string[];
}

const { listPoolsDueForReconciliation } = proxyActivities<ReconciliationSweepActivities>(DB_ACTIVITY);
const { reconcileAndRecordPool } = proxyActivities<ReconciliationSweepActivities>(RECONCILE_POOL_ACTIVITY);

export async function reconciliationSweep(): Promise<ReconciliationSweepResult> {
  // The activity bounds the list (RECONCILE_POOLS_PER_RUN_MAX); pools are read one at a time so that a
  // run never has more than one pool's Stripe reads in flight beside the rounds' charges.
  const { poolIds } = await listPoolsDueForReconciliation();
  const result: ReconciliationSweepResult = { poolsChecked: 0, mismatchCount: 0, poolsWithMismatches: [], poolsFailed: [] };
  for (const poolId of poolIds) {
    let mismatchCount: number;
    try {
      ({ mismatchCount } = await reconcileAndRecordPool({ poolId }));
    } catch (error) {
      // One pool that cannot be read must not keep every pool after it from being checked.
      if (!(error instanceof ActivityFailure)) throw error;
      log.warn('pool reconciliation failed', { poolId, error: error.cause?.message ?? error.message });
      result.poolsFailed.push(poolId);
      continue;
    }
    result.poolsChecked++;
    result.mismatchCount += mismatchCount;
    if (mismatchCount > 0) result.poolsWithMismatches.push(poolId);
  }
  return result;
}
