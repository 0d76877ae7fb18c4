// A rate limiter for Stripe calls shared by every process that talks to one Stripe account: each call
// reserves a slot in Redis (GCRA, the token bucket expressed as a "theoretical arrival time"), in the
// account's global bucket and in its endpoint's bucket, and waits locally until its slot comes.
// A 429 from Stripe pushes the account's global bucket back for everyone by its Retry-After.
import { createHash } from 'node:crypto';
import type { Redis } from '../cache/redis';
import { stripeRateKey } from '../cache/keys';

export interface StripeRateLimits {
  /** Requests per second to the whole account (Stripe: 100 in live mode, 25 in test mode). */
  globalPerSecond: number;
  /** Requests per second to one endpoint, such as `POST /v1/payment_intents` (Stripe: 25). */
  endpointPerSecond: number;
  /** Requests per second to the Search API (Stripe: 20). */
  searchPerSecond: number;
  /** Requests that may go out back to back before the spacing applies (at least 1). */
  burst: number;
  /** A call whose slot is further away than this fails at once (Temporal retries the activity later). */
  waitMaxMs: number;
}

/** Stripe's documented limits (docs.stripe.com/rate-limits), by key mode. */
export function documentedStripeLimits(secretKey: string): Pick<StripeRateLimits, 'globalPerSecond' | 'endpointPerSecond' | 'searchPerSecond'> {
  const live = /^(sk|rk)_live_/.test(secretKey);
  return { globalPerSecond: live ? 100 : 25, endpointPerSecond: 25, searchPerSecond: 20 };
}

/** Thrown when a Stripe call would have to wait longer than `waitMaxMs` for its slot. */
export class StripeRateLimitWaitError extends Error {
  constructor(
    readonly endpoint: string,
    readonly waitMs: number,
  ) {
    super(`Stripe rate limit: ${endpoint} would wait ${Math.ceil(waitMs)} ms for a slot, over the configured maximum`);
  }
}

/**
 * The endpoint a request counts against: its method and path with object IDs replaced, as Stripe
 * groups them (`GET /v1/payment_intents/{id}` is one endpoint for every PaymentIntent).
 */
export function stripeEndpoint(method: string, path: string): string {
  const bare = path.split('?')[0]!;
  const template = bare
    .split('/')
    .map((segment) => (/^[a-z]+_[A-Za-z0-9_]{8,}$/.test(segment) && /[A-Z0-9]/.test(segment) ? '{id}' : segment))
    .join('/');
  return `${method.toUpperCase()} ${template}`;
}

const isSearch = (endpoint: string) => endpoint.endsWith('/search');

// KEYS: the buckets. ARGV[1]: the longest wait (µs); then per bucket its emission interval and its
// burst tolerance (µs). Returns {0, wait} with the slot reserved, or {1, wait} with nothing reserved.
// Redis's clock is the one clock all workers share; times are microseconds, exact in a Lua double.
const RESERVE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local waitMax = tonumber(ARGV[1])
local send = now
local tats = {}
for i, key in ipairs(KEYS) do
  local tat = tonumber(redis.call('GET', key) or now)
  tats[i] = tat
  local allowed = tat - tonumber(ARGV[2 * i + 1])
  if allowed > send then send = allowed end
end
if send - now > waitMax then return {1, send - now} end
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i])
  local tat = math.max(tats[i], send) + interval
  redis.call('SET', key, string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
end
return {0, send - now}`;

// KEYS[1]: the global bucket. ARGV[1]: pause (µs), ARGV[2]: its burst tolerance (µs). No slot is
// allowed before now + pause.
const PAUSE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
local target = now + tonumber(ARGV[1]) + tonumber(ARGV[2])
if target > tat then
  redis.call('SET', KEYS[1], string.format('%d', target), 'PX', math.ceil((target - now) / 1000) + 1000)
end
return 0`;

interface Bucket {
  key: string;
  intervalUs: number;
  toleranceUs: number;
}

export interface StripeRateLimiter {
  /** Waits for this request's slot; throws StripeRateLimitWaitError when it is too far away. */
  acquire(method: string, path: string): Promise<void>;
  /** Stripe answered 429: nobody on this account sends before `pauseMs` from now. */
  pause(pauseMs: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `accountId` separates Stripe accounts (each has its own limits): pass the secret key, of which only
 * a hash reaches Redis. When Redis cannot be reached, the same algorithm runs in this process alone
 * (correct for one process; several then rely on backing off on Stripe's 429s).
 */
export function createStripeRateLimiter(redis: Redis, secretKey: string, limits: StripeRateLimits): StripeRateLimiter {
  for (const [name, value] of Object.entries(limits)) {
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`Stripe rate limit ${name} must be a positive number, not ${value}`);
  }
  const account = createHash('sha256').update(secretKey).digest('hex').slice(0, 16);
  const bucket = (name: string, perSecond: number): Bucket => {
    const intervalUs = Math.round(1_000_000 / perSecond);
    return { key: stripeRateKey(account, name), intervalUs, toleranceUs: intervalUs * (Math.max(1, Math.floor(limits.burst)) - 1) };
  };
  const global = bucket('global', limits.globalPerSecond);
  const waitMaxUs = limits.waitMaxMs * 1_000;
  const local = new Map<string, number>();

  const bucketsFor = (endpoint: string) => [
    global,
    bucket(`endpoint:${endpoint}`, isSearch(endpoint) ? Math.min(limits.searchPerSecond, limits.endpointPerSecond) : limits.endpointPerSecond),
  ];

  /** The same reservation as RESERVE_SCRIPT, in this process's memory. */
  function reserveLocally(buckets: Bucket[]): [number, number] {
    const now = performance.now() * 1_000;
    let send = now;
    for (const b of buckets) send = Math.max(send, (local.get(b.key) ?? now) - b.toleranceUs);
    if (send - now > waitMaxUs) return [1, send - now];
    for (const b of buckets) local.set(b.key, Math.max(local.get(b.key) ?? now, send) + b.intervalUs);
    return [0, send - now];
  }

  async function reserve(buckets: Bucket[]): Promise<[number, number]> {
    try {
      const args = [waitMaxUs, ...buckets.flatMap((b) => [b.intervalUs, b.toleranceUs])];
      return (await redis.eval(RESERVE_SCRIPT, buckets.length, ...buckets.map((b) => b.key), ...args)) as [number, number];
    } catch {
      return reserveLocally(buckets);
    }
  }

  return {
    async acquire(method, path) {
      const endpoint = stripeEndpoint(method, path);
      const [refused, waitUs] = await reserve(bucketsFor(endpoint));
      if (refused) throw new StripeRateLimitWaitError(endpoint, waitUs / 1_000);
      if (waitUs > 0) await sleep(waitUs / 1_000);
    },

    async pause(pauseMs) {
      const pauseUs = Math.round(pauseMs * 1_000);
      try {
        await redis.eval(PAUSE_SCRIPT, 1, global.key, pauseUs, global.toleranceUs);
      } catch {
        const now = performance.now() * 1_000;
        local.set(global.key, Math.max(local.get(global.key) ?? now, now + pauseUs + global.toleranceUs));
      }
    },
  };
}
