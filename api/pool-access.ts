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

/** A pool's view and its JSON text, as the cache holds it (reads answer with the text as it is). */
export interface PoolEntry {
  view: PoolView;
  json: string;
}

/** Parsed views of the texts seen last, so a hot pool is parsed once per version, not once per read. */
const parsed = new Map<string, PoolEntry>();
export const PARSED_VIEWS_MAX = 1_000;

function entryFor(poolId: string, json: string): PoolEntry {
  const known = parsed.get(poolId);
  if (known?.json === json) return known;
  const entry = { view: JSON.parse(json) as PoolView, json };
  if (parsed.size >= PARSED_VIEWS_MAX) parsed.delete(parsed.keys().next().value!);
  parsed.set(poolId, entry);
  return entry;
}

export async function readPoolEntry(deps: Pick<ApiDeps, 'db' | 'redis'>, poolId: string): Promise<PoolEntry | null> {
  if (!POOL_ID_PATTERN.test(poolId)) return null;
  try {
    const cached = await deps.redis.get(poolCacheKey(poolId));
    if (cached) return entryFor(poolId, cached);
  } catch {
    // Redis is a cache: without it the database answers.
  }
  const { rows } = await deps.db.query<{ view: PoolView }>('SELECT view FROM pools WHERE pool_id = $1', [poolId]);
  const view = rows[0]?.view;
  if (!view) return null;
  const json = JSON.stringify(view);
  await deps.redis.set(poolCacheKey(poolId), json, 'EX', POOL_CACHE_TTL_SECONDS).catch(() => {});
  return entryFor(poolId, json);
}

export async function readPoolView(deps: Pick<ApiDeps, 'db' | 'redis'>, poolId: string): Promise<PoolView | null> {
  return (await readPoolEntry(deps, poolId))?.view ?? null;
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

/** The pool if the caller may act on it; otherwise 404 (not visible) or 403 (visible, not allowed). */
export async function poolEntryFor(deps: Pick<ApiDeps, 'db' | 'redis'>, principal: Principal, poolId: string, action: PoolAction): Promise<PoolEntry> {
  const entry = await readPoolEntry(deps, poolId);
  const view = entry?.view;
  // Joining needs no prior membership: the pool's id is the invitation.
  const visible = view && (allowed(principal, view, 'read') || (action === 'participate' && view.status === 'open'));
  if (!entry || !visible) throw new ProblemError(404, 'Not Found', 'no such pool');
  if (!allowed(principal, entry.view, action)) throw new ProblemError(403, 'Forbidden', `a ${principal.role} may not do this to this pool`);
  return entry;
}

export async function poolFor(deps: Pick<ApiDeps, 'db' | 'redis'>, principal: Principal, poolId: string, action: PoolAction): Promise<PoolView> {
  return (await poolEntryFor(deps, principal, poolId, action)).view;
}
