// Idempotency-Key for POSTs: the first response to a key is kept in Redis with a hash of its request;
// the same key and body get that response again, the same key with another body gets 422, and a key
// whose first request is still running gets 409. Keys are per subject and kept for 24 hours.
//
// When Redis is down the request goes through without replay protection (fail open): the operations
// behind these routes are idempotent in Temporal too — workflow IDs and update IDs derive from
// business identifiers and from this very key — so a repeat cannot double an effect, only a response.
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Redis } from '../cache/redis';
import type { AppEnv } from './context';
import { ProblemError } from './problem';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3_600;
/** A first request holding its key longer than this is assumed dead; the key can be used again. */
export const IDEMPOTENCY_LOCK_SECONDS = 60;
const KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,128}$/;

interface StoredResponse {
  requestHash: string;
  status: number;
  contentType: string;
  body: string;
}

export function idempotency(redis: Redis): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const key = c.req.header('idempotency-key');
    if (!key) throw new ProblemError(400, 'Idempotency-Key Required', 'POST requests need an Idempotency-Key header (8-128 characters)');
    if (!KEY_PATTERN.test(key)) throw new ProblemError(400, 'Invalid Idempotency-Key', 'an Idempotency-Key is 8-128 of A-Z a-z 0-9 _ . : -');
    c.set('idempotencyKey', key);
    const body = await c.req.raw.clone().text();
    const requestHash = createHash('sha256').update(`${c.req.method} ${c.req.path}\n${body}`).digest('hex');
    const storeKey = `idempotency:${c.get('principal').sub}:${key}`;

    let stored: string | null | undefined;
    try {
      stored = await redis.get(storeKey);
      if (!stored) {
        const locked = await redis.set(`${storeKey}:lock`, requestHash, 'EX', IDEMPOTENCY_LOCK_SECONDS, 'NX');
        if (locked !== 'OK') throw new ProblemError(409, 'Request In Progress', 'a request with this Idempotency-Key is still being processed');
      }
    } catch (error) {
      if (error instanceof ProblemError) throw error;
      return next(); // Redis is unavailable: fail open, as explained above.
    }
    if (stored) {
      const previous = JSON.parse(stored) as StoredResponse;
      if (previous.requestHash !== requestHash) {
        throw new ProblemError(422, 'Idempotency-Key Reused', 'this Idempotency-Key was already used with a different request');
      }
      return c.body(previous.body, previous.status as 200, { 'content-type': previous.contentType, 'idempotent-replayed': 'true' });
    }

    try {
      await next();
      // Only settled outcomes are kept; a 5xx may succeed when tried again with the same key.
      if (c.res.status < 500) {
        const response: StoredResponse = { requestHash, status: c.res.status, contentType: c.res.headers.get('content-type') ?? '', body: await c.res.clone().text() };
        await redis.set(storeKey, JSON.stringify(response), 'EX', IDEMPOTENCY_TTL_SECONDS).catch(() => {});
      }
    } finally {
      await redis.del(`${storeKey}:lock`).catch(() => {});
    }
  };
}
