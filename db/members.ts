// The `pool_members` read model: each member's standing in each pool, as the pool's latest view says.
// Access checks read it (db/pools.ts findPoolStanding); the pool's projection writes it.
import type { PoolMemberView } from '../domain/pool-view';
import type { Queryable } from './pool';

/** Writes every member of the pool as the view has them (call in the transaction that wrote the view). */
export async function upsertPoolMembers(db: Queryable, poolId: string, members: PoolMemberView[]): Promise<void> {
  for (const member of members) {
    await db.query(
      `INSERT INTO pool_members (pool_id, member_id, status, join_seq, received, paid_in_minor, arrears_minor)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (pool_id, member_id) DO UPDATE SET status = excluded.status, received = excluded.received,
         paid_in_minor = excluded.paid_in_minor, arrears_minor = excluded.arrears_minor`,
      [poolId, member.memberId, member.status, member.joinSeq, member.received, member.paidInMinor, member.arrearsMinor],
    );
  }
}
