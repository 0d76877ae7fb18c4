// Projections of each pool into the read models the API lists and reports from — database tables, and a
// Redis copy of the latest view for fast reads. Temporal stays the source of truth: a projection is
// written only when its version is newer, and losing Redis loses nothing (the next read refills it).
import { poolCacheKey, poolEventsKey } from '../cache/keys';
import { log } from '@temporalio/activity';
import type { Redis } from '../cache/redis';
import { upsertPoolMembers } from '../db/members';
import type { Db } from '../db/pool';
import { upsertPoolView } from '../db/pools';
import { insertRoundResult } from '../db/rounds';
import { transaction } from '../db/transaction';
import type { PoolView } from '../domain/pool-view';
import { businessMetrics } from '../observability/metrics';
import type { RoundResult } from '../workflows/round';

export const POOL_CACHE_TTL_SECONDS = 600;
export const POOL_EVENTS_KEPT_MAX = 1_000;

function countRound(result: RoundResult): void {
  for (const member of result.members) {
    businessMetrics.contributions.inc({ outcome: member.outcome });
    if (member.outcome === 'defaulted') businessMetrics.defaults.inc();
  }
  for (const recipient of result.payout?.recipients ?? []) businessMetrics.payouts.inc({ purpose: recipient.purpose });
}

export function createPoolProjectionActivities(deps: { db: Db; redis: Redis }) {
  const { db, redis } = deps;

  return {
    /** Writes the pool and its members if `view` is newer than what is stored; refreshes the cache. */
    async projectPool(view: PoolView): Promise<void> {
      const landed = await transaction(db, async (client) => {
        if (!(await upsertPoolView(client, view))) return false;
        await upsertPoolMembers(client, view.poolId, view.members);
        return true;
      });
      if (!landed) return;
      // Versions are the stream's entry IDs, so Redis itself refuses an entry older than the last one.
      await redis
        .xadd(poolEventsKey(view.poolId), 'MAXLEN', '~', POOL_EVENTS_KEPT_MAX, `${view.version}-1`, 'view', JSON.stringify(view))
        .catch(() => {});
      // The cache is a convenience: when Redis is down the database projection still answers.
      try {
        await redis.set(poolCacheKey(view.poolId), JSON.stringify(view), 'EX', POOL_CACHE_TTL_SECONDS);
      } catch {
        await redis.del(poolCacheKey(view.poolId)).catch(() => {});
      }
    },

    /** Writes a finished round with each member's contribution and every payout. Idempotent. */
    async projectRound(input: { poolId: string; kind: 'contribution' | 'distribution'; result: RoundResult }): Promise<void> {
      const { poolId, result } = input;
      const firstWrite = await transaction(db, (client) => insertRoundResult(client, poolId, input.kind, result));
      // Counted once per round: a retried activity finds the round already written.
      if (firstWrite) countRound(result);
    },

    /** Reports a round whose payout failed every attempt (the escalated-payout alert); changes nothing else. */
    async reportPayoutEscalated(input: { poolId: string; round: number }): Promise<void> {
      businessMetrics.payoutEscalations.inc();
      log.warn('payout escalated to operations', { poolId: input.poolId, round: input.round });
    },
  };
}
