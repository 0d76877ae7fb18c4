// The reveal half of the pool's commit-reveal draw: hands the workflow the secret behind the commitment
// it was started with, at activation, when the payout order is drawn (domain/pools/payout-draw.ts).
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../../db/pool';
import { revealDrawSecret } from '../../db/pools/draw-secrets';

export function createPoolDrawActivities(deps: { db: Db }) {
  return {
    /** The pool's draw secret; a pool without one cannot draw, which retrying will not change. */
    async revealDrawSecret({ poolId }: { poolId: string }): Promise<string> {
      const secret = await revealDrawSecret(deps.db, poolId);
      if (secret === null) throw ApplicationFailure.nonRetryable(`pool ${poolId} has no draw secret`, 'DrawSecretMissing');
      return secret;
    },
  };
}
