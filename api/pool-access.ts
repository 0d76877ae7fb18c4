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

/**
 * The views this process read last, parsed once per version. A view read less than LOCAL_VIEW_TTL_MS
 * ago is answered from here without asking Redis: another API instance's write shows up that much
 * later at most, while this instance's own writes replace the entry at once (rememberPoolView).
 */
const local = new Map<string, PoolEntry & { readAtMs: number }>();
export const LOCAL_VIEWS_MAX = 1_000;
export const LOCAL_VIEW_TTL_MS = 250;

function entryFor(poolId: string, json: string): PoolEntry {
  const known = local.get(poolId);
  const entry = known?.json === json ? known : { view: JSON.parse(json) as PoolView, json };
  if (!known && local.size >= LOCAL_VIEWS_MAX) local.delete(local.keys().next().value!);
  local.set(poolId, { ...entry, readAtMs: Date.now() });
  return entry;
}

/** Keeps the view a command just returned, so this instance reads its own writes at once. */
export function rememberPoolView(view: PoolView): void {
  const known = local.get(view.poolId);
  if (known && known.view.version > view.version) return;
  entryFor(view.poolId, JSON.stringify(view));
}

export async function readPoolEntry(deps: Pick<ApiDeps, 'db' | 'redis'>, poolId: string): Promise<PoolEntry | null> {
  if (!POOL_ID_PATTERN.test(poolId)) return null;
  const recent = local.get(poolId);
  if (recent && Date.now() - recent.readAtMs < LOCAL_VIEW_TTL_MS) return recent;
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
