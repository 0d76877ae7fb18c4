// Pool views assembled from the read models: each pool's summary (pools.view) and its member rows
// (pool_members), which the projection writes separately so that a change touches only its own rows.
import type { Queryable } from '../pool';
import type { MemberStatus, PoolMemberView, PoolView } from '../../domain/pools/pool-view';

/** Pools assembled per query: a list page's worth (the API pages lists at most this many). */
export const POOL_VIEWS_PER_QUERY_MAX = 200;

/** INT8 columns arrive as bigint or string, depending on the pool's type parsers. */
type Int8 = bigint | string;

interface MemberRow {
  pool_id: string;
  member_id: string;
  status: MemberStatus;
  join_seq: Int8;
  received: boolean;
  paid_in_minor: Int8;
  arrears_minor: Int8;
  commitment_minor: Int8 | null;
  replaced_member_id: string | null;
}

const memberView = (row: MemberRow): PoolMemberView => ({
  memberId: row.member_id,
  status: row.status,
  joinSeq: Number(row.join_seq),
  commitmentMinor: row.commitment_minor === null ? null : String(row.commitment_minor),
  paidInMinor: String(row.paid_in_minor),
  arrearsMinor: String(row.arrears_minor),
  received: row.received,
  replacedMemberId: row.replaced_member_id,
});

/** Adds the members to summaries read from pools.view (a view stored whole, before deltas, keeps its own). */
export async function withMembers(db: Queryable, stored: Array<Omit<PoolView, 'members'> & { members?: PoolMemberView[] }>): Promise<PoolView[]> {
  if (stored.length > POOL_VIEWS_PER_QUERY_MAX) throw new Error(`at most ${POOL_VIEWS_PER_QUERY_MAX} pools are assembled at once, not ${stored.length}`);
  const summaries = stored.filter((view) => !Array.isArray(view.members)).map((view) => view.poolId);
  const byPool = new Map<string, PoolMemberView[]>();
  if (summaries.length > 0) {
    const { rows } = await db.query<MemberRow>(
      `SELECT pool_id, member_id, status, join_seq, received, paid_in_minor, arrears_minor, commitment_minor, replaced_member_id
       FROM pool_members WHERE pool_id = ANY($1::TEXT[]) ORDER BY pool_id, join_seq`,
      [summaries],
    );
    for (const row of rows) {
      const members = byPool.get(row.pool_id) ?? [];
      members.push(memberView(row));
      byPool.set(row.pool_id, members);
    }
  }
  return stored.map((view) => {
    if (Array.isArray(view.members)) return view as PoolView;
    // The view's own key order: members come after status, version last.
    const { version, ...summary } = view;
    return { ...summary, members: byPool.get(view.poolId) ?? [], version } as PoolView;
  });
}

/** The views of the pools asked for that exist, by pool ID. */
export async function poolViews(db: Queryable, poolIds: string[]): Promise<Map<string, PoolView>> {
  const { rows } = await db.query<{ view: Omit<PoolView, 'members'> }>('SELECT view FROM pools WHERE pool_id = ANY($1::TEXT[])', [poolIds]);
  const views = await withMembers(
    db,
    rows.map((row) => row.view),
  );
  return new Map(views.map((view) => [view.poolId, view]));
}
