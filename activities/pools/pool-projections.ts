// Projections of each pool into the read models the API lists and reports from — database tables, a
// Redis stream of its changes for live events, and a Redis copy of the latest view for fast reads.
// Temporal stays the source of truth: a row is written only when its version is newer, and losing Redis
// loses nothing (the next read refills it). Each change arrives as a delta (the pool's summary and the
// member rows it touched), so a change costs the same in a pool of ten members or of a thousand.
import { poolEventsKey } from '../../cache/keys';
import { invalidatePoolView, storePoolView } from '../../cache/pool-view-cache';
import { log } from '@temporalio/activity';
import type { Redis } from '../../cache/redis';
import { copyStoredMemberFields, upsertChangedMembers, upsertPoolMembers } from '../../db/pools/members';
import type { Db } from '../../db/pool';
import { upsertPoolSummary, upsertPoolView } from '../../db/pools/pools';
import { insertRoundResult } from '../../db/pools/rounds';
import { transaction } from '../../db/transaction';
import { roundResultOf, type RoundReport } from '../../domain/pools/round-report';
import type { RoundResult } from '../../domain/pools/round-types';
import { expandMember, type PoolChange } from '../../domain/pools/state';
import type { PoolView } from '../../domain/pools/pool-view';
import { businessMetrics } from '../../observability/metrics';

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
    /**
     * Writes one change of a pool: its summary row if the change is newer than the stored one, and each
     * changed member row if newer than that row — two single statements, each atomic and monotonic, so
     * concurrent changes of one pool neither conflict nor roll anything back. Then the change goes to the
     * pool's event stream and the cached view is dropped (the next read assembles it afresh), its version
     * floor raised so that a read already under way cannot put the older view back.
     */
    async projectPoolChange(input: { poolId: string; change: PoolChange }): Promise<void> {
      const { poolId, change } = input;
      const { summary } = change;
      if (summary.poolId !== poolId) throw new Error(`a change of pool ${summary.poolId} was sent as one of ${poolId}`);
      const members = change.members.map(expandMember);
      await copyStoredMemberFields(db, poolId);
      await upsertPoolSummary(db, summary, change.memberCount);
      await upsertChangedMembers(db, poolId, summary.version, members);
      // Versions are the stream's entry IDs, so Redis itself refuses an entry older than the last one.
      await redis
        .xadd(poolEventsKey(poolId), 'MAXLEN', '~', POOL_EVENTS_KEPT_MAX, `${summary.version}-1`, 'change', JSON.stringify({ ...summary, members }))
        .catch(() => {});
      await invalidatePoolView(redis, poolId, summary.version).catch(() => {});
    },

    /**
     * Writes the pool and its members if `view` is newer than what is stored; refreshes the cache. The
     * projection of pool runs recorded before deltas (DELTA_PROJECTION_PATCH in workflows/pools/pool.ts).
     */
    async projectPool(view: PoolView): Promise<void> {
      const landed = await transaction(db, async (client) => {
        if (!(await upsertPoolView(client, view))) return false;
        await upsertPoolMembers(client, view.poolId, view.members);
        return true;
      });
      if (!landed) return;
      // Versions are the stream's entry IDs, so Redis itself refuses an entry older than the last one.
      await redis.xadd(poolEventsKey(view.poolId), 'MAXLEN', '~', POOL_EVENTS_KEPT_MAX, `${view.version}-1`, 'view', JSON.stringify(view)).catch(() => {});
      // The cache is a convenience: when Redis is down the database projection still answers.
      try {
        await storePoolView(redis, view.poolId, view.version, JSON.stringify(view));
      } catch {
        await invalidatePoolView(redis, view.poolId, view.version).catch(() => {});
      }
    },

    /** Writes a finished round with each member's contribution and every payout. Idempotent. */
    async projectRound(input: { poolId: string; kind: 'contribution' | 'distribution'; result: RoundReport }): Promise<void> {
      const { poolId } = input;
      const result = roundResultOf(input.result);
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
