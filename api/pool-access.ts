// Reads a pool's latest view — from the Redis cache, else the database projection — and decides what
// the caller may do with it. A caller who may not see a pool is told it does not exist, so nobody can
// probe for other tenants' pools.
import { poolCacheKey, POOL_CACHE_TTL_SECONDS } from '../activities/pool-projections';
import type { PoolView } from '../domain/pool-view';
import type { Principal } from './auth';
import type { ApiDeps } from './deps';
import { ProblemError } from './problem';

export type PoolAction = 'read' | 'manage' | 'steer' | 'participate';

export const POOL_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export async function readPoolView(deps: Pick<ApiDeps, 'db' | 'redis'>, poolId: string): Promise<PoolView | null> {
  if (!POOL_ID_PATTERN.test(poolId)) return null;
  try {
    const cached = await deps.redis.get(poolCacheKey(poolId));
    if (cached) return JSON.parse(cached) as PoolView;
  } catch {
    // Redis is a cache: without it the database answers.
  }
  const { rows } = await deps.db.query<{ view: PoolView }>('SELECT view FROM pools WHERE pool_id = $1', [poolId]);
  const view = rows[0]?.view ?? null;
  if (view) await deps.redis.set(poolCacheKey(poolId), JSON.stringify(view), 'EX', POOL_CACHE_TTL_SECONDS).catch(() => {});
  return view;
}

/**
 * manage: the pool's manager only (members, activation, cancellation, distributions).
 * steer: the manager or ops (pause, resume, run a round now).
 * participate: a member acting for themselves (join, leave, bid).
 * read: the manager, ops, and the pool's members.
 */
export function allowed(principal: Principal, view: PoolView, action: PoolAction): boolean {
  const isManager = principal.role === 'manager' && view.managerId === principal.sub;
  const isMember = principal.role === 'member' && view.members.some((m) => m.memberId === principal.sub);
  switch (action) {
    case 'read':
      return isManager || isMember || principal.role === 'ops';
    case 'manage':
      return isManager;
    case 'steer':
      return isManager || principal.role === 'ops';
    case 'participate':
      return principal.role === 'member';
  }
}

/** The pool's view if the caller may act on it; otherwise 404 (not visible) or 403 (visible, not allowed). */
export async function poolFor(deps: Pick<ApiDeps, 'db' | 'redis'>, principal: Principal, poolId: string, action: PoolAction): Promise<PoolView> {
  const view = await readPoolView(deps, poolId);
  // Joining needs no prior membership: the pool's id is the invitation.
  const visible = view && (allowed(principal, view, 'read') || (action === 'participate' && view.status === 'open'));
  if (!view || !visible) throw new ProblemError(404, 'Not Found', 'no such pool');
  if (!allowed(principal, view, action)) throw new ProblemError(403, 'Forbidden', `a ${principal.role} may not do this to this pool`);
  return view;
}
