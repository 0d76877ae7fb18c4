// Queries for the pools' draw secrets (db/migrations/100_pool_draw_secrets.sql): created once per pool
// when the API creates it, read back only by the reveal at activation.
import { randomBytes } from 'node:crypto';
import { drawCommitment } from '../../domain/pools/payout-draw';
import type { Queryable } from '../pool';

/** Bytes of randomness in a draw secret. */
export const DRAW_SECRET_BYTES = 32;

/**
 * The commitment to the pool's draw secret, creating the secret on first call. A repeated creation of the
 * same pool (a retried request) finds the first secret, so the commitment never changes.
 */
export async function commitDrawSecret(db: Queryable, poolId: string): Promise<string> {
  const secret = randomBytes(DRAW_SECRET_BYTES).toString('hex');
  await db.query('INSERT INTO pool_draw_secrets (pool_id, secret, commitment) VALUES ($1, $2, $3) ON CONFLICT (pool_id) DO NOTHING', [
    poolId,
    secret,
    drawCommitment(secret),
  ]);
  const { rows } = await db.query<{ commitment: string }>('SELECT commitment FROM pool_draw_secrets WHERE pool_id = $1', [poolId]);
  return rows[0]!.commitment;
}

/** The pool's secret, stamped as revealed (the first time); null when the pool has none. */
export async function revealDrawSecret(db: Queryable, poolId: string): Promise<string | null> {
  const { rows } = await db.query<{ secret: string }>(
    'UPDATE pool_draw_secrets SET revealed_at = coalesce(revealed_at, now()) WHERE pool_id = $1 RETURNING secret',
    [poolId],
  );
  return rows[0]?.secret ?? null;
}
