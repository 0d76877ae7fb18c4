// Rate limits against real Redis: token buckets taken before the work runs, the per-address and global
// ceilings, atomic draws across buckets, and what they do when Redis is down: reads fail open, writes
// fail closed. (Idempotency-Key lives in the database: api/idempotency.test.ts.)
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Hono } from 'hono';
import { createRedis } from '../cache/redis';
import { testRedis, uniqueId } from '../test/support/env';
import type { AppEnv } from './context';
import { ProblemError, problemResponse } from './problem';
import { drawTokens, rateLimit, requestCeilings, type RateLimit } from './rate-limit';

const limit = (requestsMax: number, windowSeconds = 60, whenRedisDown: RateLimit['whenRedisDown'] = 'open'): RateLimit => ({
  name: uniqueId('limit'),
  requestsMax,
  windowSeconds,
  whenRedisDown,
});

/** An app whose GET counts how often its handler ran, behind the given guards. */
function guardedApp(guards: Array<ReturnType<typeof rateLimit>>) {
  const app = new Hono<AppEnv>();
  let handled = 0;
  app.use('*', async (c, next) => {
    c.set('principal', { sub: c.req.header('x-sub') ?? 'someone', role: 'manager' });
    await next();
  });
  for (const guard of guards) app.use('*', guard);
  app.get('/thing', (c) => c.json({ n: ++handled }));
  app.post('/thing', (c) => c.json({ n: ++handled }, 201));
  app.onError((error, c) => problemResponse(c, error instanceof ProblemError ? error : new ProblemError(500, 'Internal Server Error')));
  return { app, handled: () => handled };
}

const statuses = async (app: Hono<AppEnv>, count: number, sub: string, method = 'GET') => {
  const result: number[] = [];
  for (let i = 0; i < count; i++) result.push((await app.request('/thing', { method, headers: { 'x-sub': sub } })).status);
  return result;
};

describe('rate limits', () => {
  const redis = testRedis();
  const dead = createRedis('redis://127.0.0.1:1/0', 'dead:');
  after(() => {
    redis.disconnect();
    dead.disconnect();
  });

  test('a subject over its limit gets 429 with Retry-After, and its handler never runs; other subjects are unaffected', async () => {
    const { app, handled } = guardedApp([rateLimit(redis, limit(3))]);
    assert.deepEqual(await statuses(app, 5, 'greedy'), [200, 200, 200, 429, 429]);
    assert.equal(handled(), 3, 'the refused requests did no work');
    const refused = await app.request('/thing', { headers: { 'x-sub': 'greedy' } });
    assert.equal(refused.headers.get('content-type'), 'application/problem+json');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.equal(handled(), 3);
    const allowed = await app.request('/thing', { headers: { 'x-sub': 'modest' } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('ratelimit-remaining'), '2');
  });

  test('the bucket refills evenly: a token comes back after its share of the window, not at a window boundary', async () => {
    // 4 per 4 s: one token every second.
    const { app } = guardedApp([rateLimit(redis, limit(4, 4))]);
    assert.deepEqual(await statuses(app, 5, 'steady'), [200, 200, 200, 200, 429]);
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    assert.deepEqual(await statuses(app, 2, 'steady'), [200, 429], 'one token back after 1.3 s');
  });

  test('the address ceiling holds for every subject behind one address, and the global one for everyone', async () => {
    const address = guardedApp([requestCeilings(redis, { address: limit(3), global: limit(1_000) }), rateLimit(redis, limit(100))]);
    assert.deepEqual([...(await statuses(address.app, 2, 'a')), ...(await statuses(address.app, 2, 'b'))], [200, 200, 200, 429]);
    const global = guardedApp([requestCeilings(redis, { address: limit(1_000), global: limit(2) })]);
    assert.deepEqual(
      [...(await statuses(global.app, 1, 'a')), ...(await statuses(global.app, 1, 'b')), ...(await statuses(global.app, 1, 'c'))],
      [200, 200, 429],
    );
    assert.equal(global.handled(), 2);
  });

  test('a draw refused by one bucket takes no token from the others', async () => {
    const roomy = limit(10);
    const tight = limit(1);
    assert.equal(
      (
        await drawTokens(redis, [
          { key: 'k', limit: roomy },
          { key: 'k', limit: tight },
        ])
      ).allowed,
      true,
    );
    for (let i = 0; i < 3; i++) {
      const refused = await drawTokens(redis, [
        { key: 'k', limit: roomy },
        { key: 'k', limit: tight },
      ]);
      assert.equal(refused.allowed, false);
      assert.equal(refused.allowed === false && refused.refusedBy.name, tight.name);
    }
    const alone = await drawTokens(redis, [{ key: 'k', limit: roomy }]);
    assert.deepEqual(alone, { allowed: true, remaining: 8 }, 'only the one successful draw was taken from the roomy bucket');
  });

  test("a known caller's own bucket is drawn with the ceilings, once; its refusal takes nothing from them and is answered in the limit's place", async () => {
    const own = limit(2);
    let passedBetween = 0;
    const app = new Hono<AppEnv>();
    app.use(
      '*',
      requestCeilings(redis, { address: limit(3), global: limit(1_000) }, (c) => ({ key: c.req.header('x-sub')!, limit: own })),
    );
    app.use('*', async (c, next) => {
      c.set('principal', { sub: c.req.header('x-sub')!, role: 'manager' });
      passedBetween++;
      await next();
    });
    app.use('*', rateLimit(redis, own));
    app.get('/thing', (c) => c.json({}));
    app.onError((error, c) => problemResponse(c, error instanceof ProblemError ? error : new ProblemError(500, 'Internal Server Error')));
    const sub = uniqueId('known');
    const first = await app.request('/thing', { headers: { 'x-sub': sub } });
    assert.equal(first.headers.get('ratelimit-remaining'), '1', "the subject's own bucket, drawn once");
    const [second, third] = [await app.request('/thing', { headers: { 'x-sub': sub } }), await app.request('/thing', { headers: { 'x-sub': sub } })];
    assert.deepEqual([first.status, second.status, third.status], [200, 200, 429]);
    assert.match(((await third.json()) as { detail: string }).detail, new RegExp(`${own.requestsMax} ${own.name} requests`));
    assert.equal(passedBetween, 3, 'the refusal was answered where the limit stands, after what runs before it');
    // The address ceiling (3) gave two tokens, not three: another subject behind the address gets the last.
    assert.deepEqual([...(await statuses(app, 1, uniqueId('other'))), ...(await statuses(app, 1, uniqueId('another')))], [200, 429]);
  });

  test("with Redis down, a known caller's fail-closed limit still answers 503 after the ceilings let a read pass", async () => {
    const own = limit(5, 60, 'closed');
    const app = guardedApp([
      requestCeilings(dead, { address: limit(10), global: limit(10) }, (c) => ({ key: c.req.header('x-sub') ?? 'someone', limit: own })),
      rateLimit(dead, own),
    ]);
    assert.equal((await app.app.request('/thing')).status, 503);
    assert.equal(app.handled(), 0);
  });

  test('a Redis that lost its scripts (restarted, failed over) still draws: the script run by its SHA-1 is sent again whole', async () => {
    const bucket = limit(10);
    assert.equal((await drawTokens(redis, [{ key: 'k', limit: bucket }])).allowed, true);
    // As after a restart or a failover: the script cache is empty.
    await redis.script('FLUSH');
    assert.deepEqual(await drawTokens(redis, [{ key: 'k', limit: bucket }]), { allowed: true, remaining: 8 });
    assert.deepEqual(await drawTokens(redis, [{ key: 'k', limit: bucket }]), { allowed: true, remaining: 7 });
  });

  test('with Redis down, a fail-open limit serves and a fail-closed limit answers 503; ceilings pass reads and refuse writes', async () => {
    assert.equal((await guardedApp([rateLimit(dead, limit(1))]).app.request('/thing')).status, 200);
    const closed = guardedApp([rateLimit(dead, limit(1, 60, 'closed'))]);
    assert.equal((await closed.app.request('/thing')).status, 503);
    assert.equal(closed.handled(), 0);
    const ceilings = guardedApp([requestCeilings(dead, { address: limit(1), global: limit(1) })]);
    assert.equal((await ceilings.app.request('/thing')).status, 200);
    assert.equal((await ceilings.app.request('/thing', { method: 'POST' })).status, 503);
  });
});
