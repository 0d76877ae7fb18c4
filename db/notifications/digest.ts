// Reads for the manager's daily digest: the views of their pools that are still running.
import type { PoolView } from '../../domain/pools/pool-view';
import type { Queryable } from '../pool';
import { withMembers } from '../pools/pool-views';

/** Views of the manager's active and paused pools, oldest first. */
export async function runningPoolViews(db: Queryable, managerId: string, limit: number): Promise<PoolView[]> {
  const { rows } = await db.query<{ view: Omit<PoolView, 'members'> }>(
    `SELECT view FROM pools WHERE manager_id = $1 AND status IN ('active', 'paused') ORDER BY created_at, pool_id LIMIT $2`,
    [managerId, limit],
  );
  return withMembers(
    db,
    rows.map((row) => row.view),
  );
}
