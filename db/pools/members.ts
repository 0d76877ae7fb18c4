// The `pool_members` read model: each member's standing in each pool, as the pool's latest view says.
// Access checks read it (db/pools/pools.ts findPoolStandings); the pool's projection writes it.
import type { PoolMemberView } from '../../domain/pools/pool-view';
import type { Queryable } from '../pool';

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

/**
 * A pool projected before member rows held every field keeps them in its stored view: copies them over
 * before that view is replaced by a summary (once per such pool; a no-op for the others).
 */
export async function copyStoredMemberFields(db: Queryable, poolId: string): Promise<void> {
  await db.query(
    `UPDATE pool_members m SET commitment_minor = (e.value->>'commitmentMinor')::INT8, replaced_member_id = e.value->>'replacedMemberId'
     FROM pools p, jsonb_array_elements(p.view->'members') e
     WHERE p.pool_id = $1 AND p.view ? 'members' AND m.pool_id = p.pool_id AND m.member_id = e.value->>'memberId' AND m.version = 0`,
    [poolId],
  );
}

/** Writes the member rows one change touched, in one statement, each only if newer than the stored row. */
export async function upsertChangedMembers(db: Queryable, poolId: string, version: number, members: PoolMemberView[]): Promise<void> {
  if (members.length === 0) return;
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
      version,
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
