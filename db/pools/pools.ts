// The `pools` read model (db/migrations/004_pool_projections.sql): one row per pool with its latest
// view, written by the pool's projection activity and read by the API. Rows only ever move forward
// by version, so a late or repeated projection changes nothing.
import type { PoolSummary } from '../../domain/pools/state';
import type { PoolView } from '../../domain/pools/pool-view';
import type { Queryable } from '../pool';

/** Who a subject is to a pool, from the database (access is never decided from Redis's copies of views). */
export interface PoolStanding {
  managerId: string;
  status: string;
  /** The subject's membership status in the pool, null when they never joined (or it was not asked for). */
  memberStatus: string | null;
}

/** The listing's filters; `managerId` and `currentMemberId` narrow it to what the caller may see. */
export interface PoolListFilter {
  managerId?: string;
  /** Only pools this member currently belongs to (active or suspended: not those who left). */
  currentMemberId?: string;
  status?: string;
  kind?: string;
  /** Only pools created before this instant (the cursor of the previous page). */
  before?: string;
  limit: number;
}

/**
 * Standings of subjects in pools, in the order asked; null where the pool does not exist. A lookup with
 * a null subject asks for the pool's manager and status only (its memberStatus is null). One statement,
 * prepared once per connection, for any number of lookups.
 */
export async function findPoolStandings(
  db: Queryable,
  lookups: ReadonlyArray<{ poolId: string; subject: string | null }>,
): Promise<Array<PoolStanding | null>> {
  const { rows } = await db.query<{ n: bigint | string; manager_id: string; status: string; member_status: string | null }>({
    name: 'pool_standings',
    text: `SELECT q.n, p.manager_id, p.status, m.status AS member_status
             FROM unnest($1::TEXT[], $2::TEXT[]) WITH ORDINALITY AS q (pool_id, subject, n)
             JOIN pools p ON p.pool_id = q.pool_id
             LEFT JOIN pool_members m ON m.pool_id = q.pool_id AND m.member_id = q.subject`,
    values: [lookups.map((l) => l.poolId), lookups.map((l) => l.subject)],
  });
  const standings: Array<PoolStanding | null> = lookups.map(() => null);
  for (const row of rows) standings[Number(row.n) - 1] = { managerId: row.manager_id, status: row.status, memberStatus: row.member_status };
  return standings;
}

/** A page of pools, newest first, with each one's creation time for the next page's cursor. */
export async function listPoolViews(db: Queryable, filter: PoolListFilter): Promise<Array<{ view: PoolView; createdAt: Date }>> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    conditions.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.managerId !== undefined) add('p.manager_id = ?', filter.managerId);
  if (filter.currentMemberId !== undefined) {
    add(
      "EXISTS (SELECT 1 FROM pool_members m WHERE m.pool_id = p.pool_id AND m.member_id = ? AND m.status IN ('active', 'suspended'))",
      filter.currentMemberId,
    );
  }
  if (filter.status !== undefined) add('p.status = ?', filter.status);
  if (filter.kind !== undefined) add('p.kind = ?', filter.kind);
  if (filter.before !== undefined) add('p.created_at < ?', filter.before);
  params.push(filter.limit);
  const { rows } = await db.query<{ view: PoolView; created_at: Date }>(
    `SELECT p.view, p.created_at FROM pools p ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
     ORDER BY p.created_at DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map((r) => ({ view: r.view, createdAt: r.created_at }));
}

/** Writes the pool's row if `view` is newer than the stored one; false when it was not. */
export async function upsertPoolView(db: Queryable, view: PoolView): Promise<boolean> {
  return upsertPoolSummary(db, view, view.members.filter((m) => m.status !== 'left').length);
}

/**
 * Writes a pool's row if `stored` (its summary, or from runs before deltas its whole view) is newer than
 * the stored one; false when it was not.
 */
export async function upsertPoolSummary(db: Queryable, stored: PoolSummary | PoolView, memberCount: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO pools (pool_id, manager_id, name, kind, currency, status, rounds_completed, rounds_planned, members_count, view, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (pool_id) DO UPDATE SET
       status = excluded.status, rounds_completed = excluded.rounds_completed, rounds_planned = excluded.rounds_planned,
       members_count = excluded.members_count, view = excluded.view, version = excluded.version, updated_at = now()
     WHERE pools.version < excluded.version`,
    [
      stored.poolId,
      stored.managerId,
      stored.config.name,
      stored.config.kind,
      stored.config.currency,
      stored.status,
      stored.roundsCompleted,
      stored.roundsPlanned,
      memberCount,
      JSON.stringify(stored),
      stored.version,
    ],
  );
  return rowCount !== 0;
}
