// Who a caller is to a pool, decided from the database and kept in the process for STANDING_TTL_MS at
// most: the pool's own facts (manager, status) once for every caller, and a member's membership for that
// member only. Lookups missed in the same turn of the event loop share one query, and a pool this process
// changes is forgotten at once, including whatever lookup of it was then still in flight.
import { findPoolStandings, type PoolStanding } from '../../db/pools/pools';
import type { Principal } from '../auth';
import type { ApiDeps } from '../deps';

/** How stale a standing may be: another API instance's change (a member removed) is seen this much later at most. */
export const STANDING_TTL_MS = 250;
/** Pools whose facts the process keeps (the oldest is dropped first). */
export const STANDING_POOLS_MAX = 1_000;
/** Members' standings kept per pool (a pool's oldest is dropped first). */
export const STANDING_MEMBERS_PER_POOL_MAX = 100;
/** Lookups sent in one query. */
export const STANDING_LOOKUPS_PER_QUERY_MAX = 200;

type PoolFacts = Omit<PoolStanding, 'memberStatus'>;
interface Kept {
  facts: PoolFacts | null;
  factsReadAtMs: number;
  members: Map<string, { memberStatus: string | null; readAtMs: number }>;
}

const kept = new Map<string, Kept>();
/** Counts forgets: a lookup that started before one is answered but not kept. */
let forgets = 0;

/** Only a member's access depends on their membership; every other role is decided by the pool's facts. */
const needsMembership = (principal: Principal) => principal.role === 'member';

function fresh(readAtMs: number): boolean {
  return Date.now() - readAtMs < STANDING_TTL_MS;
}

function keptStanding(poolId: string, principal: Principal): PoolStanding | null | undefined {
  const pool = kept.get(poolId);
  if (!pool || !fresh(pool.factsReadAtMs)) return undefined;
  if (!needsMembership(principal)) return pool.facts && { ...pool.facts, memberStatus: null };
  const member = pool.members.get(principal.sub);
  if (!member || !fresh(member.readAtMs)) return undefined;
  return pool.facts && { ...pool.facts, memberStatus: member.memberStatus };
}

function keep(poolId: string, subject: string | null, standing: PoolStanding | null, readAtMs: number): void {
  let pool = kept.get(poolId);
  if (!pool) {
    if (kept.size >= STANDING_POOLS_MAX) kept.delete(kept.keys().next().value!);
    pool = { facts: null, factsReadAtMs: 0, members: new Map() };
    kept.set(poolId, pool);
  }
  pool.facts = standing && { managerId: standing.managerId, status: standing.status };
  pool.factsReadAtMs = readAtMs;
  if (subject === null) return;
  if (!pool.members.has(subject) && pool.members.size >= STANDING_MEMBERS_PER_POOL_MAX) pool.members.delete(pool.members.keys().next().value!);
  pool.members.set(subject, { memberStatus: standing?.memberStatus ?? null, readAtMs });
}

interface Lookup {
  poolId: string;
  /** The member whose membership is asked for; null when only the pool's facts are. */
  subject: string | null;
  resolve: (standing: PoolStanding | null) => void;
  reject: (error: unknown) => void;
}

/** Lookups waiting for the next query, per database; and those asked, by pool and subject, so each is sent once. */
const queued = new Map<ApiDeps['db'], Lookup[]>();
const inFlight = new Map<string, Promise<PoolStanding | null>>();

async function send(db: ApiDeps['db'], lookups: Lookup[]): Promise<void> {
  const forgetsAtStart = forgets;
  const readAtMs = Date.now();
  try {
    const found = await findPoolStandings(db, lookups);
    for (const [i, lookup] of lookups.entries()) {
      const standing = found[i]!;
      if (forgets === forgetsAtStart) keep(lookup.poolId, lookup.subject, standing, readAtMs);
      lookup.resolve(standing);
    }
  } catch (error) {
    for (const lookup of lookups) lookup.reject(error);
  }
}

function flush(db: ApiDeps['db']): void {
  const lookups = queued.get(db) ?? [];
  queued.delete(db);
  for (let i = 0; i < lookups.length; i += STANDING_LOOKUPS_PER_QUERY_MAX) void send(db, lookups.slice(i, i + STANDING_LOOKUPS_PER_QUERY_MAX));
}

/**
 * The caller's standing in the pool, from the database (or a lookup of it at most STANDING_TTL_MS old).
 * For any role but member, `memberStatus` is null: their access never depends on it. Redis holds a copy
 * of each view for fast reads, but anyone who can write to Redis could add themselves to a cached view:
 * access is never decided from it.
 */
export function standingOf(db: ApiDeps['db'], poolId: string, principal: Principal): Promise<PoolStanding | null> {
  const known = keptStanding(poolId, principal);
  if (known !== undefined) return Promise.resolve(known);
  const subject = needsMembership(principal) ? principal.sub : null;
  const key = `${poolId}\n${subject ?? ''}`;
  const asked = inFlight.get(key);
  if (asked) return asked;
  const lookup: Promise<PoolStanding | null> = new Promise<PoolStanding | null>((resolve, reject) => {
    // The first lookup of a turn schedules the query; the turn's other lookups join it.
    const waiting = queued.get(db);
    if (waiting) waiting.push({ poolId, subject, resolve, reject });
    else {
      queued.set(db, [{ poolId, subject, resolve, reject }]);
      setImmediate(() => flush(db));
    }
  }).finally(() => {
    if (inFlight.get(key) === lookup) inFlight.delete(key);
  });
  inFlight.set(key, lookup);
  return lookup;
}

/** Forgets what was read of a pool (its membership or status may just have changed). */
export function forgetStandings(poolId: string): void {
  forgets++;
  kept.delete(poolId);
  for (const key of inFlight.keys()) if (key.startsWith(`${poolId}\n`)) inFlight.delete(key);
}
