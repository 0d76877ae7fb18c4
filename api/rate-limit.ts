// Fixed-window rate limits per subject, counted in Redis so every API instance shares them. Each route
// group says what happens when Redis is down: reads fail open (serving is worth more than counting),
// writes fail closed (a flood of writes without a limit could overwhelm the workflows).
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { Redis } from '../cache/redis';
import type { AppEnv } from './context';
import { ProblemError, problemResponse } from './problem';
import { rateLimitKey } from '../cache/keys';

export interface RateLimit {
  name: string;
  requestsMax: number;
  windowSeconds: number;
  whenRedisDown: 'open' | 'closed';
}

export const READ_LIMIT: RateLimit = { name: 'read', requestsMax: 600, windowSeconds: 60, whenRedisDown: 'open' };
export const WRITE_LIMIT: RateLimit = { name: 'write', requestsMax: 120, windowSeconds: 60, whenRedisDown: 'closed' };
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

/** Counts a request and starts the window's expiry with its first one: atomic, and one command where a MULTI takes four. */
const COUNT_IN_WINDOW = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n";

/**
 * Counts each request against `limit` before it runs. With `alongside`, for reads that change nothing,
 * the count and the read go out together (one round trip to Redis instead of two) and an over-limit
 * read's answer is replaced by the 429: the caller sees exactly what a check-first limit would show.
 */
export function rateLimit(redis: Redis, limit: RateLimit, options: { alongside?: boolean; subject?: RateSubject } = {}): MiddlewareHandler<AppEnv> {
  const subject = options.subject ?? bySubject;
  return async (c, next) => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const window = Math.floor(nowSeconds / limit.windowSeconds);
    const key = rateLimitKey(limit.name, subject(c), window);
    const counting = (redis.eval(COUNT_IN_WINDOW, 1, key, limit.windowSeconds * 2) as Promise<number>).then(
      (count) => count,
      () => null,
    );
    if (options.alongside) await next();
    const count = await counting;
    if (count === null) {
      if (limit.whenRedisDown === 'closed') throw new ProblemError(503, 'Service Unavailable', 'rate limiting is unavailable; try again shortly');
      if (!options.alongside) await next();
      return;
    }
    const resetSeconds = (window + 1) * limit.windowSeconds - nowSeconds;
    const headers: Record<string, string> = {
      'ratelimit-limit': String(limit.requestsMax),
      'ratelimit-remaining': String(Math.max(0, limit.requestsMax - count)),
      'ratelimit-reset': String(resetSeconds),
    };
    if (count > limit.requestsMax) {
      const refused = problemResponse(c, new ProblemError(429, 'Too Many Requests', `at most ${limit.requestsMax} ${limit.name} requests per ${limit.windowSeconds} s`));
      for (const [name, value] of Object.entries({ ...headers, 'retry-after': String(resetSeconds) })) refused.headers.set(name, value);
      if (options.alongside) {
        c.res = refused;
        return;
      }
      return refused;
    }
    if (!options.alongside) await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}
