// The platform-fee sweep, started by its Temporal Schedule: moves every pool's platform-fee balance into
// the platform's revenue account, one batch of pools per activity, until none holds money.
import { proxyActivities } from '@temporalio/workflow';
import type { PlatformFeeActivities } from '../../activities/core/platform-fees';
import { DB_ACTIVITY } from '../../temporal-config/policies';

/** Batches per run: 200 × 500 accounts; a run that stops there leaves the rest to the next firing. */
export const SWEEP_BATCHES_PER_RUN_MAX = 200;

const { sweepPlatformFeesBatch } = proxyActivities<PlatformFeeActivities>(DB_ACTIVITY);

export async function platformFeeSweep(): Promise<{ sweptAccounts: number }> {
  let sweptAccounts = 0;
  let afterAccountKey: string | null = null;
  for (let batch = 0; batch < SWEEP_BATCHES_PER_RUN_MAX; batch++) {
    const result: { sweptAccounts: number; nextAfterAccountKey: string | null } = await sweepPlatformFeesBatch({ afterAccountKey });
    sweptAccounts += result.sweptAccounts;
    if (result.nextAfterAccountKey === null) break;
    afterAccountKey = result.nextAfterAccountKey;
  }
  return { sweptAccounts };
}
