// Projections of each pool into the read models the API lists and reports from — database tables, a
// Redis stream of its changes for live events, and a Redis copy of the latest view for fast reads.
// Temporal stays the source of truth: a row is written only when its version is newer, and losing Redis
// loses nothing (the next read refills it). Each change arrives as a delta (the pool's summary and the
// member rows it touched), so a change costs the same in a pool of ten members or of a thousand.
import { log } from '@temporalio/activity';
import type { Redis } from '../cache/redis';
import type { Db } from '../db/pool';
import { transaction } from '../db/transaction';
import type { RoundResult } from '../domain/pools/round-types';
import { expandMember, type PoolChange } from '../domain/pools/state';
import type { PoolView } from '../domain/pool-view';
import { businessMetrics } from '../observability/metrics';

export const POOL_CACHE_TTL_SECONDS = 600;
export const poolCacheKey = (poolId: string) => `pool:${poolId}:view`;
/**
 * The live stream of a pool's changes, one entry per version (entry ID `{version}-1`), for SSE: field
 * `change` holds a delta (the summary, `members` only the rows that changed); older entries hold field
 * `view` with the whole view.
 */
export const poolEventsKey = (poolId: string) => `pool:${poolId}:events`;
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
     * pool's event stream and the cached view is dropped (the next read assembles it afresh).
     */
    async projectPoolChange(input: { poolId: string; change: PoolChange }): Promise<void> {
      const { poolId, change } = input;
      const { summary } = change;
      if (summary.poolId !== poolId) throw new Error(`a change of pool ${summary.poolId} was sent as one of ${poolId}`);
      const members = change.members.map(expandMember);
      // A pool projected before member rows held every field keeps them in its stored view: copy them
      // over before that view is replaced by a summary (once per such pool; a no-op for the others).
      await db.query(
        `UPDATE pool_members m SET commitment_minor = (e.value->>'commitmentMinor')::INT8, replaced_member_id = e.value->>'replacedMemberId'
         FROM pools p, jsonb_array_elements(p.view->'members') e
         WHERE p.pool_id = $1 AND p.view ? 'members' AND m.pool_id = p.pool_id AND m.member_id = e.value->>'memberId' AND m.version = 0`,
        [poolId],
      );
      await db.query(
        `INSERT INTO pools (pool_id, manager_id, name, kind, currency, status, rounds_completed, rounds_planned, members_count, view, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (pool_id) DO UPDATE SET
           status = excluded.status, rounds_completed = excluded.rounds_completed, rounds_planned = excluded.rounds_planned,
           members_count = excluded.members_count, view = excluded.view, version = excluded.version, updated_at = now()
         WHERE pools.version < excluded.version`,
        [
          poolId,
          summary.managerId,
          summary.config.name,
          summary.config.kind,
          summary.config.currency,
          summary.status,
          summary.roundsCompleted,
          summary.roundsPlanned,
          change.memberCount,
          JSON.stringify(summary),
          summary.version,
        ],
      );
      if (members.length > 0) {
        await db.query(
          `INSERT INTO pool_members (pool_id, member_id, status, join_seq, received, paid_in_minor, arrears_minor, commitment_minor, replaced_member_id, version)
           SELECT $1, r.member_id, r.status, r.join_seq, r.received, r.paid_in_minor, r.arrears_minor, r.commitment_minor, r.replaced_member_id, $2
           FROM unnest($3::TEXT[], $4::TEXT[], $5::INT8[], $6::BOOL[], $7::INT8[], $8::INT8[], $9::INT8[], $10::TEXT[])
             AS r (member_id, status, join_seq, received, paid_in_minor, arrears_minor, commitment_minor, replaced_member_id)
           ON CONFLICT (pool_id, member_id) DO UPDATE SET status = excluded.status, received = excluded.received,
             paid_in_minor = excluded.paid_in_minor, arrears_minor = excluded.arrears_minor, commitment_minor = excluded.commitment_minor,
             replaced_member_id = excluded.replaced_member_id, version = excluded.version
           WHERE pool_members.version < excluded.version`,
          [
            poolId,
            summary.version,
            members.map((m) => m.memberId),
            members.map((m) => m.status),
            members.map((m) => m.joinSeq),
            members.map((m) => m.received),
            members.map((m) => m.paidInMinor),
            members.map((m) => m.arrearsMinor),
            members.map((m) => m.commitmentMinor),
            members.map((m) => m.replacedMemberId),
          ],
        );
      }
      // Versions are the stream's entry IDs, so Redis itself refuses an entry older than the last one.
      await redis
        .xadd(poolEventsKey(poolId), 'MAXLEN', '~', POOL_EVENTS_KEPT_MAX, `${summary.version}-1`, 'change', JSON.stringify({ ...summary, members }))
        .catch(() => {});
      await redis.del(poolCacheKey(poolId)).catch(() => {});
    },

    /**
     * Writes the pool and its members if `view` is newer than what is stored; refreshes the cache. The
     * projection of pool runs recorded before deltas (DELTA_PROJECTION_PATCH in workflows/pool.ts).
     */
    async projectPool(view: PoolView): Promise<void> {
      const landed = await transaction(db, async (client) => {
        const { rowCount } = await client.query(
          `INSERT INTO pools (pool_id, manager_id, name, kind, currency, status, rounds_completed, rounds_planned, members_count, view, version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (pool_id) DO UPDATE SET
             status = excluded.status, rounds_completed = excluded.rounds_completed, rounds_planned = excluded.rounds_planned,
             members_count = excluded.members_count, view = excluded.view, version = excluded.version, updated_at = now()
           WHERE pools.version < excluded.version`,
          [
            view.poolId,
            view.managerId,
            view.config.name,
            view.config.kind,
            view.config.currency,
            view.status,
            view.roundsCompleted,
            view.roundsPlanned,
            view.members.filter((m) => m.status !== 'left').length,
            JSON.stringify(view),
            view.version,
          ],
        );
        if (rowCount === 0) return false;
        for (const member of view.members) {
          await client.query(
            `INSERT INTO pool_members (pool_id, member_id, status, join_seq, received, paid_in_minor, arrears_minor)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (pool_id, member_id) DO UPDATE SET status = excluded.status, received = excluded.received,
               paid_in_minor = excluded.paid_in_minor, arrears_minor = excluded.arrears_minor`,
            [view.poolId, member.memberId, member.status, member.joinSeq, member.received, member.paidInMinor, member.arrearsMinor],
          );
        }
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
      const firstWrite = await transaction(db, async (client) => {
        const round = await client.query(
          `INSERT INTO pool_rounds (pool_id, round, kind, pot_minor, fee_minor, discount_minor, winner_member_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (pool_id, round) DO NOTHING`,
          [poolId, result.round, input.kind, result.potMinor, result.payout?.feeMinor ?? '0', result.payout?.discountMinor ?? '0', result.payout?.winnerMemberId ?? null],
        );
        for (const member of result.members) {
          await client.query(
            `INSERT INTO pool_contributions (pool_id, round, member_id, outcome, paid_minor, late_fee_minor, payment_intent_id, failure_code)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (pool_id, round, member_id) DO NOTHING`,
            [poolId, result.round, member.memberId, member.outcome, member.paidMinor, member.lateFeeMinor, member.paymentIntentId, member.failureCode],
          );
        }
        for (const recipient of result.payout?.recipients ?? []) {
          await client.query(
            `INSERT INTO pool_payouts (pool_id, round, member_id, purpose, amount_minor) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (pool_id, round, member_id, purpose) DO NOTHING`,
            [poolId, result.round, recipient.memberId, recipient.purpose, recipient.amountMinor],
          );
        }
        return round.rowCount === 1;
      });
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
