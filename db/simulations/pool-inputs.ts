// What "simulate this pool" reads from the database: the pool's view (for authorization and its live
// configuration), each member's contribution record and the reserve's balance in the ledger.
import { parseCurrency } from '../../domain/core/money';
import type { PoolView } from '../../domain/pools/pool-view';
import { chart } from '../ledger/chart';
import type { Queryable } from '../pool';
import { poolViews } from '../pools/pool-views';

export async function poolViewFromDb(db: Queryable, poolId: string): Promise<PoolView | null> {
  return (await poolViews(db, [poolId])).get(poolId) ?? null;
}

/** Per member: rounds with a contribution outcome, and those the member did not pay in time (covered or defaulted). */
export async function contributionRecord(db: Queryable, poolId: string): Promise<Map<string, { rounds: number; defaults: number }>> {
  const { rows } = await db.query<{ member_id: string; rounds: bigint; defaults: bigint }>(
    `SELECT member_id, count(*) AS rounds, count(*) FILTER (WHERE outcome IN ('covered', 'defaulted')) AS defaults
       FROM pool_contributions WHERE pool_id = $1 GROUP BY member_id`,
    [poolId],
  );
  return new Map(rows.map((r) => [r.member_id, { rounds: Number(r.rounds), defaults: Number(r.defaults) }]));
}

/** The reserve's balance in minor units (credits less debits, posted); 0 before the account exists. */
export async function reserveBalanceMinor(db: Queryable, poolId: string, currency: string): Promise<bigint> {
  const key = chart.poolReserve(poolId, parseCurrency(currency)).key;
  const { rows } = await db.query<{ credits_posted: bigint; debits_posted: bigint }>(
    'SELECT credits_posted, debits_posted FROM ledger_accounts WHERE account_key = $1',
    [key],
  );
  return rows[0] ? rows[0].credits_posted - rows[0].debits_posted : 0n;
}
