// The activity behind the platform-fee sweep workflow: one batch of pools' platform-fee accounts moved
// into the platform's revenue account per call.
import { asLedgerActivity } from './ledger';
import { sweepPlatformFees } from '../../db/ledger/platform-fees';
import type { Db } from '../../db/pool';

/** Pool accounts swept per activity call (one transaction; the revenue row written once). */
export const SWEEP_ACCOUNTS_PER_BATCH_MAX = 500;

export function createPlatformFeeActivities(deps: { db: Db }) {
  return {
    async sweepPlatformFeesBatch(input: { afterAccountKey: string | null }): Promise<{ sweptAccounts: number; nextAfterAccountKey: string | null }> {
      return asLedgerActivity(() => sweepPlatformFees(deps.db, { batchMax: SWEEP_ACCOUNTS_PER_BATCH_MAX, afterAccountKey: input.afterAccountKey }));
    },
  };
}

export type PlatformFeeActivities = ReturnType<typeof createPlatformFeeActivities>;
