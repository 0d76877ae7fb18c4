// Rate limits against real Redis, and what they do when Redis is down: reads fail open, writes fail
// closed. (Idempotency-Key lives in the database: api/idempotency.test.ts.)
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Hono } from 'hono';
import { createRedis, type Redis } from '../cache/redis';
import { testRedis, uniqueId } from '../test/support/env';
import type { AppEnv } from './context';
import { ProblemError, problemResponse } from './problem';
import { rateLimit, type RateLimit } from './rate-limit';

function guardedApp(redis: Redis, limit: RateLimit, onPost: () => unknown, alongside = false) {
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('principal', { sub: c.req.header('x-sub') ?? 'someone', role: 'manager' });
    await next();
  });
  app.use('*', rateLimit(redis, limit, { alongside }));
  app.get('/thing', (c) => c.json({ ok: true }));
  app.post('/thing', async (c) => c.json({ body: await c.req.json<unknown>(), n: onPost() }, 201));
  app.onError((error, c) => problemResponse(c, error instanceof ProblemError ? error : new ProblemError(500, 'Internal Server Error')));
  return app;
}

describe('rate limits', () => {
  const redis = testRedis();
  const dead = createRedis('redis://127.0.0.1:1/0', 'dead:');
  after(() => {
    redis.disconnect();
    dead.disconnect();
  });

  test('a subject over its limit gets 429 with Retry-After; other subjects are unaffected', async () => {
    const app = guardedApp(redis, { name: uniqueId('read'), requestsMax: 3, windowSeconds: 60, whenRedisDown: 'open' }, () => 0);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await app.request('/thing', { headers: { 'x-sub': 'greedy' } })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const limited = await app.request('/thing', { headers: { 'x-sub': 'greedy' } });
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal((await app.request('/thing', { headers: { 'x-sub': 'modest' } })).status, 200);
  });

  test('reads counted alongside their work are refused just the same once over the limit', async () => {
    const app = guardedApp(redis, { name: uniqueId('read'), requestsMax: 2, windowSeconds: 60, whenRedisDown: 'open' }, () => 0, true);
    const responses = [];
    for (let i = 0; i < 4; i++) responses.push(await app.request('/thing', { headers: { 'x-sub': 'reader' } }));
    assert.deepEqual(responses.map((r) => r.status), [200, 200, 429, 429]);
    assert.equal(responses[1]!.headers.get('ratelimit-remaining'), '0');
    assert.equal(responses[2]!.headers.get('content-type'), 'application/problem+json');
    assert.ok(Number(responses[2]!.headers.get('retry-after')) > 0);
    const deadApp = guardedApp(dead, { name: 'r', requestsMax: 1, windowSeconds: 60, whenRedisDown: 'open' }, () => 0, true);
    assert.equal((await deadApp.request('/thing')).status, 200, 'fails open without Redis');
  });

  test('with Redis down, a fail-open limit serves and a fail-closed limit answers 503', async () => {
    const open = guardedApp(dead, { name: 'r', requestsMax: 1, windowSeconds: 60, whenRedisDown: 'open' }, () => 0);
    assert.equal((await open.request('/thing')).status, 200);
    const closed = guardedApp(dead, { name: 'w', requestsMax: 1, windowSeconds: 60, whenRedisDown: 'closed' }, () => 0);
    assert.equal((await closed.request('/thing')).status, 503);
  });
});
