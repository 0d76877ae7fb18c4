// Every key Poolflow writes in Redis, in one place, so that what lives there can be read at a glance
// and no two features collide. Everything under these keys can be rebuilt: losing Redis loses nothing.
// (Each client also prefixes every key with its REDIS_KEY_PREFIX: cache/redis.ts.)

// --- Pools ----------------------------------------------------------------------------------------------
// A pool's cached view and its version floor share the hash tag {poolId}, so the scripts that compare
// and set them (cache/pool-view-cache.ts) run on one node of a Redis cluster too.
/** A pool's latest view as JSON text: the cached read of GET /v1/pools/{poolId}. */
export const poolCacheKey = (poolId: string) => `pool:{${poolId}}:view`;
/** The newest version of the pool's view the cache has held or been told of: older views are not written. */
export const poolCacheFloorKey = (poolId: string) => `pool:{${poolId}}:view-floor`;
/** The live stream of a pool's views, one entry per version (entry ID `{version}-1`), for SSE. */
export const poolEventsKey = (poolId: string) => `pool:${poolId}:events`;
/** What the plumbing probe wrote, read back by its workflow. */
export const probeKey = (probeId: string) => `probe:${probeId}`;

// --- API and Stripe limits -------------------------------------------------------------------------------
/** One subject's token bucket for one limit (tokens left and when they were counted). */
export const rateLimitKey = (limitName: string, subject: string) => `ratelimit:${limitName}:${subject}`;
/** One GCRA bucket of the Stripe rate limiter shared by every process (per account, per endpoint class). */
export const stripeRateKey = (account: string, bucket: string) => `stripe-rate:${account}:${bucket}`;

// --- Notifications ---------------------------------------------------------------------------------------
/** A recipient's live feed, relayed as server-sent events. */
export const feedEventsKey = (recipientId: string) => `notifications:${recipientId}:events`;

// --- Simulations -----------------------------------------------------------------------------------------
// A batch's two keys share the hash tag {batchId}, so the one script that updates both (a chunk's
// progress) runs on one node of a Redis cluster too.
/** Paths done per chunk of a batch (a hash, so a retried chunk overwrites rather than double-counts). */
export const simulationProgressKey = (batchId: string) => `simulation:{${batchId}}:progress`;
export const simulationEventsKey = (batchId: string) => `simulation:{${batchId}}:events`;

// --- Assessments and market data -------------------------------------------------------------------------
/** Every running assessment's account, for the risk monitor (a hash by assessment ID). */
export const MONITORED_ACCOUNTS_KEY = 'assess:accounts';
/** Announces changes to MONITORED_ACCOUNTS_KEY, so the monitor need not reread the whole hash. */
export const ACCOUNT_CHANGES_STREAM = 'assess:account-changes';
export const liveEventsKey = (assessmentId: string) => `assess:${assessmentId}:events`;
/** A tier's leaderboard: a sorted set of assessment IDs by return, display names beside it. */
export const leaderboardKey = (tier: string) => `assess:lb:${tier}`;
export const leaderboardNamesKey = (tier: string) => `assess:lb:${tier}:names`;
/** The latest price of each symbol (a hash) and the bounded stream of every tick. */
export const LATEST_PRICES_KEY = 'md:latest';
export const TICK_STREAM_KEY = 'md:ticks';
