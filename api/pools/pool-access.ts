// Reads a pool's latest view — from the Redis cache, else the database projection — and decides what
// the caller may do with it. A caller who may not see a pool is told it does not exist, so nobody can
// probe for other tenants' pools.
import type { InvitationRow } from '../../db/consent';
import { poolViews } from '../../db/pools/pool-views';
import type { PoolStanding } from '../../db/pools/pools';
import type { PoolView } from '../../domain/pools/pool-view';
import { ID_PART_PATTERN } from '../../temporal-config/workflow-ids';
import type { MiddlewareHandler } from 'hono';
import type { Principal } from '../auth';
import type { AppEnv } from '../context';
import type { ApiDeps } from '../deps';
import { ProblemError } from '../problem';
import { forgetStandings, standingOf } from './pool-standings';
import { poolCacheKey } from '../../cache/keys';
import { storePoolView } from '../../cache/pool-view-cache';

export type PoolAction = 'read' | 'manage' | 'steer' | 'participate';

export const POOL_ID_PATTERN = ID_PART_PATTERN;

/** A pool's view and its JSON text, as the cache holds it (reads answer with the text as it is). */
export interface PoolEntry {
  view: PoolView;
  json: string;
}

/**
 * The views this process read last, parsed once per version. A view read less than LOCAL_VIEW_TTL_MS
 * ago is answered from here without asking Redis: another API instance's write shows up that much
 * later at most, while this instance's own writes replace the entry at once (poolViewAfterCommand).
 */
const local = new Map<string, PoolEntry & { readAtMs: number }>();
export const LOCAL_VIEWS_MAX = 1_000;
export const LOCAL_VIEW_TTL_MS = 250;

function entryFor(poolId: string, json: string): PoolEntry {
  const known = local.get(poolId);
  const entry = known?.json === json ? known : { view: JSON.parse(json) as PoolView, json };
  // A read that began before this instance's own command can bring an older view: the newer one stays.
  if (known && known.view.version > entry.view.version) return known;
  if (!known && local.size >= LOCAL_VIEWS_MAX) local.delete(local.keys().next().value!);
  local.set(poolId, { ...entry, readAtMs: Date.now() });
  return entry;
}

/** Reads of the cache under way, by pool: readers of a pool that arrive meanwhile share the one read. */
const reading = new Map<string, Promise<PoolEntry | null>>();

export function readPoolEntry(deps: Pick<ApiDeps, 'db' | 'redis'>, poolId: string): Promise<PoolEntry | null> {
  if (!POOL_ID_PATTERN.test(poolId)) return Promise.resolve(null);
  const recent = local.get(poolId);
  if (recent && Date.now() - recent.readAtMs < LOCAL_VIEW_TTL_MS) return Promise.resolve(recent);
  const asked = reading.get(poolId);
  if (asked) return asked;
  const read: Promise<PoolEntry | null> = readCachedPoolEntry(deps, poolId).finally(() => {
    if (reading.get(poolId) === read) reading.delete(poolId);
  });
  reading.set(poolId, read);
  return read;
}

async function readCachedPoolEntry(deps: Pick<ApiDeps, 'db' | 'redis'>, poolId: string): Promise<PoolEntry | null> {
  try {
    const cached = await deps.redis.get(poolCacheKey(poolId));
    if (cached) return entryFor(poolId, cached);
  } catch {
    // Redis is a cache: without it the database answers.
  }
  return readStoredPoolEntry(deps, poolId);
}

/**
 * The pool's view as the database holds it, which then refills the cache — unless a newer version was
 * projected meanwhile (the cache's version floor refuses the older one).
 */
async function readStoredPoolEntry(deps: Pick<ApiDeps, 'db' | 'redis'>, poolId: string): Promise<PoolEntry | null> {
  const view = (await poolViews(deps.db, [poolId])).get(poolId);
  if (!view) return null;
  const json = JSON.stringify(view);
  await storePoolView(deps.redis, poolId, view.version, json).catch(() => {});
  return entryFor(poolId, json);
}

/**
 * The view after a command the pool has answered with `version`: its projection was written before the
 * answer, so the database holds that version or a newer one (the caches may not yet).
 */
export async function poolViewAfterCommand(deps: Pick<ApiDeps, 'db' | 'redis'>, poolId: string, version: number): Promise<PoolView> {
  forgetStandings(poolId);
  // A read that started before the command may hold the older view: later readers do not join it.
  reading.delete(poolId);
  const entry = await readStoredPoolEntry(deps, poolId);
  if (!entry || entry.view.version < version) throw new Error(`pool ${poolId}'s projection is behind its command (version ${version})`);
  return entry.view;
}

export async function readPoolView(deps: Pick<ApiDeps, 'db' | 'redis'>, poolId: string): Promise<PoolView | null> {
  return (await readPoolEntry(deps, poolId))?.view ?? null;
}

/** Members who may still see and act in a pool; those who left, were replaced or expelled may not. */
const CURRENT_MEMBER_STATUSES = new Set(['active', 'suspended']);

/**
 * manage: the pool's manager only (members, activation, cancellation, distributions).
 * steer: the manager or ops (pause, resume, run a round now).
 * participate: a member acting for themselves (join, leave, bid).
 * read: the manager, ops, and the pool's current members (not former ones).
 */
export function allowed(principal: Principal, standing: PoolStanding, action: PoolAction): boolean {
  const isManager = principal.role === 'manager' && standing.managerId === principal.sub;
  const isMember = principal.role === 'member' && standing.memberStatus !== null && CURRENT_MEMBER_STATUSES.has(standing.memberStatus);
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
  const standing = POOL_ID_PATTERN.test(poolId) ? await standingOf(deps.db, poolId, principal) : null;
  // Joining needs no prior membership: the pool's id is the invitation.
  const visible = standing && (allowed(principal, standing, 'read') || (action === 'participate' && standing.status === 'open'));
  if (!standing || !visible) throw new ProblemError(404, 'Not Found', 'no such pool');
  if (!allowed(principal, standing, action)) throw new ProblemError(403, 'Forbidden', `a ${principal.role} may not do this to this pool`);
  const entry = await readPoolEntry(deps, poolId);
  if (!entry) throw new ProblemError(404, 'Not Found', 'no such pool');
  return entry;
}

export async function poolFor(deps: Pick<ApiDeps, 'db' | 'redis'>, principal: Principal, poolId: string, action: PoolAction): Promise<PoolView> {
  return (await poolEntryFor(deps, principal, poolId, action)).view;
}

/** The env of a route that acts on one pool: `pool` is the pool the caller was allowed to act on. */
export interface PoolEnv extends AppEnv {
  Variables: AppEnv['Variables'] & {
    pool: PoolEntry;
    /** The pending invitation the caller is accepting (set by the accept route's access check only). */
    invitation: InvitationRow | null;
  };
}

/**
 * Route middleware deciding access to the pool in the path before anything else about the request is
 * looked at: a caller who may not see the pool gets the same 404 whatever they sent.
 */
export function poolAccess(deps: Pick<ApiDeps, 'db' | 'redis'>, action: PoolAction): MiddlewareHandler<PoolEnv> {
  return async (c, next) => {
    c.set('pool', await poolEntryFor(deps, c.get('principal'), c.req.param('poolId') ?? '', action));
    await next();
  };
}
