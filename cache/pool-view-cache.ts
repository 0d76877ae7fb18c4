// The cached pool views in Redis, kept from going back in time. Beside each view a version floor holds
// the newest version the cache has held or a projection has announced; a write of an older view (a
// read's refill that a newer projection overtook) is refused, in one script, so no stale view lingers.
import { poolCacheFloorKey, poolCacheKey } from './keys';
import { luaScript, runScript, type Redis } from './redis';

export const POOL_CACHE_TTL_SECONDS = 600;
/** A floor outlives its view by far: a refill slower than this could write under it, and none is. */
const POOL_CACHE_FLOOR_TTL_SECONDS = 24 * 60 * 60;

// KEYS: view, floor. ARGV: version, view JSON, view TTL s, floor TTL s. Returns 1 when written.
const STORE_VIEW = luaScript(`
local floor = tonumber(redis.call('GET', KEYS[2]) or '-1')
if tonumber(ARGV[1]) < floor then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[4])
return 1
`);

// KEYS: view, floor. ARGV: version, floor TTL s. Raises the floor to the version and drops the view.
const INVALIDATE_VIEW = luaScript(`
local floor = tonumber(redis.call('GET', KEYS[2]) or '-1')
if tonumber(ARGV[1]) > floor then
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
end
redis.call('DEL', KEYS[1])
return 1
`);

/** Caches the view's JSON unless the cache has held, or been told of, a newer version; true when written. */
export async function storePoolView(redis: Redis, poolId: string, version: number, json: string): Promise<boolean> {
  const keys = [poolCacheKey(poolId), poolCacheFloorKey(poolId)];
  const written = await runScript(redis, STORE_VIEW, keys, [String(version), json, String(POOL_CACHE_TTL_SECONDS), String(POOL_CACHE_FLOOR_TTL_SECONDS)]);
  return written === 1;
}

/** Drops the cached view after version `version` was projected, so no refill writes an older one back. */
export async function invalidatePoolView(redis: Redis, poolId: string, version: number): Promise<void> {
  await runScript(redis, INVALIDATE_VIEW, [poolCacheKey(poolId), poolCacheFloorKey(poolId)], [String(version), String(POOL_CACHE_FLOOR_TTL_SECONDS)]);
}
