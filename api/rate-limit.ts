// Token-bucket rate limits in Redis, shared by every API instance and taken BEFORE a request's work runs:
// a refused request reaches no handler and runs no query. Each request draws from several buckets at
// once — its subject's, its address's and the global one — atomically: refused by any, it costs none.
// Each route group says what happens when Redis is down: reads fail open (serving is worth more than
// counting), writes fail closed (a flood of writes without a limit could overwhelm the workflows).
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { luaScript, runScript, type Redis } from '../cache/redis';
import type { AppEnv } from './context';
import { ProblemError } from './problem';
import { rateLimitKey } from '../cache/keys';

/** A bucket of `requestsMax` tokens (the burst allowed) refilled evenly over `windowSeconds`. */
export interface RateLimit {
  name: string;
  requestsMax: number;
  windowSeconds: number;
  whenRedisDown: 'open' | 'closed';
}

export const READ_LIMIT: RateLimit = { name: 'read', requestsMax: 600, windowSeconds: 60, whenRedisDown: 'open' };
export const WRITE_LIMIT: RateLimit = { name: 'write', requestsMax: 120, windowSeconds: 60, whenRedisDown: 'closed' };
/** Every /v1 request from one network address, whoever it is for: caps a crowd of subjects behind one host. */
export const ADDRESS_CEILING: RateLimit = { name: 'address', requestsMax: 3_000, windowSeconds: 60, whenRedisDown: 'open' };
/** Every /v1 request to the whole API: what the workflows and the database are sized to take. */
export const GLOBAL_CEILING: RateLimit = { name: 'global', requestsMax: 60_000, windowSeconds: 60, whenRedisDown: 'open' };
/**
 * Stripe webhook deliveries per sending address. Stripe sends from a few addresses, so this is high; it
 * stops one address flooding the endpoint with bodies to verify. Open when Redis is down: the signature
 * still guards the endpoint, and refusing would only make Stripe send again.
 */
export const WEBHOOK_LIMIT: RateLimit = { name: 'webhook', requestsMax: 1_200, windowSeconds: 60, whenRedisDown: 'open' };

/** The peer's address as the socket saw it ('unknown' when there is no socket, as in in-process requests). */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Whom a request is counted against: the authenticated subject, by default. */
export type RateSubject = (c: Context<AppEnv>) => string;
const bySubject: RateSubject = (c) => c.get('principal').sub;
export const byAddress: RateSubject = (c) => `ip:${clientAddress(c)}`;

/**
 * Refills each bucket for the time since its last draw (Redis's clock, so instances agree), then takes
 * one token from every bucket only if each has one. Returns {0, tokens left in the first} or, refused,
 * {index of the first empty bucket, milliseconds until it holds a token}.
 * KEYS: the buckets; ARGV: per bucket its capacity, then its refill in tokens per millisecond.
 */
const TAKE_TOKENS = luaScript(`
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local levels = {}
for i = 1, #KEYS do
  local capacity = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', KEYS[i], 'tokens', 'at')
  local tokens = tonumber(state[1]) or capacity
  local at = tonumber(state[2]) or now
  tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
  if tokens < 1 then return {i, math.ceil((1 - tokens) / rate)} end
  levels[i] = tokens
end
for i = 1, #KEYS do
  local capacity = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  redis.call('HSET', KEYS[i], 'tokens', tostring(levels[i] - 1), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil(capacity / rate) + 1000)
end
return {0, math.floor(levels[1] - 1)}`);

export interface Draw {
  key: string;
  limit: RateLimit;
}

/** What the buckets said: allowed with the first bucket's tokens left, refused by one, or Redis is unreachable. */
export type DrawOutcome =
  { allowed: true; remaining: number } | { allowed: false; refusedBy: RateLimit; refusedIndex: number; retryAfterMs: number } | { allowed: null };

/** Takes one token from each bucket, or none; `allowed: null` when Redis could not be asked. */
export async function drawTokens(redis: Redis, draws: readonly Draw[]): Promise<DrawOutcome> {
  const args = draws.flatMap(({ limit }) => [String(limit.requestsMax), String(limit.requestsMax / (limit.windowSeconds * 1000))]);
  let reply: [number, number];
  try {
    reply = (await runScript(
      redis,
      TAKE_TOKENS,
      draws.map((d) => rateLimitKey(d.limit.name, d.key)),
      args,
    )) as [number, number];
  } catch {
    return { allowed: null };
  }
  const [refused, value] = reply;
  return refused === 0
    ? { allowed: true, remaining: value }
    : { allowed: false, refusedBy: draws[refused - 1]!.limit, refusedIndex: refused - 1, retryAfterMs: value };
}

function tooMany(limit: RateLimit, retryAfterMs: number): ProblemError {
  return new ProblemError(429, 'Too Many Requests', `at most ${limit.requestsMax} ${limit.name} requests per ${limit.windowSeconds} s`, undefined, {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
    'ratelimit-limit': String(limit.requestsMax),
    'ratelimit-remaining': '0',
  });
}

/**
 * A subject's draw already taken along with the ceilings (requestCeilings' `alongside`): its limit, whom
 * it counted, and what the bucket said, for `rateLimit` to act on in its own place.
 */
export interface EarlyDraw {
  draw: Draw;
  outcome: DrawOutcome;
}

/** Acts on a draw's outcome: 429 when refused, 503 when Redis was unreachable and the limit fails closed. */
function allowedToGo(outcome: DrawOutcome, whenRedisDown: RateLimit['whenRedisDown']): outcome is { allowed: true; remaining: number } {
  if (outcome.allowed === null) {
    if (whenRedisDown === 'closed') throw new ProblemError(503, 'Service Unavailable', 'rate limiting is unavailable; try again shortly');
    return false;
  }
  if (!outcome.allowed) throw tooMany(outcome.refusedBy, outcome.retryAfterMs);
  return true;
}

/**
 * Counts each request against its subject's `limit` before it runs. A draw the ceilings already took for
 * this subject and limit (one Redis call for all three buckets) is acted on here instead of drawing again.
 */
export function rateLimit(redis: Redis, limit: RateLimit, options: { subject?: RateSubject } = {}): MiddlewareHandler<AppEnv> {
  const subject = options.subject ?? bySubject;
  return async (c, next) => {
    const key = subject(c);
    const early = c.get('earlyDraw');
    const outcome = early?.draw.limit === limit && early.draw.key === key ? early.outcome : await drawTokens(redis, [{ key, limit }]);
    if (!allowedToGo(outcome, limit.whenRedisDown)) return next();
    await next();
    c.res.headers.set('ratelimit-limit', String(limit.requestsMax));
    c.res.headers.set('ratelimit-remaining', String(outcome.remaining));
  };
}

/**
 * The ceilings every request passes before authentication: its network address's and the whole API's.
 * Redis down, reads pass and writes are refused, as for the per-subject limits. `alongside` may name the
 * subject's own draw when the caller is known without checking a signature (a token verified before):
 * the three buckets are then drawn in one Redis call, and `rateLimit` acts on the subject's part in its
 * own place (after the audit trail), so a command refused by its subject's limit is still recorded.
 */
export function requestCeilings(
  redis: Redis,
  ceilings: { address: RateLimit; global: RateLimit },
  alongside: (c: Context<AppEnv>) => Draw | undefined = () => undefined,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const own = alongside(c);
    const draws: Draw[] = [
      { key: clientAddress(c), limit: ceilings.address },
      { key: 'all', limit: ceilings.global },
    ];
    // The subject's bucket first: the tokens left that the outcome reports are its own.
    const outcome = await drawTokens(redis, own ? [own, ...draws] : draws);
    if (own) {
      c.set('earlyDraw', { draw: own, outcome });
      // Refused by the subject's bucket: no ceiling took a token, and rateLimit answers the 429.
      if (outcome.allowed === false && outcome.refusedIndex === 0) return next();
    }
    if (!allowedToGo(outcome, c.req.method === 'GET' || c.req.method === 'HEAD' ? 'open' : 'closed')) return next();
    await next();
  };
}
