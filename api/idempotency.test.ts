// Idempotency-Key against the real database: replay of the first response, 422 for another request
// under a used key (however long ago, whatever a cache has forgotten), a short renewed lease that a
// crashed request gives up quickly, and command IDs scoped to caller, route and body.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Hono } from 'hono';
import { testDb, uniqueId } from '../test/support/env';
import type { AppEnv } from './context';
import { commandIdFor, idempotency, IDEMPOTENCY_LEASE_MS, IDEMPOTENCY_RENEW_MS } from './idempotency';
import { ProblemError, problemResponse } from './problem';

function keyedApp(db: ReturnType<typeof testDb>, onPost: (c: { get(key: 'commandId'): string | undefined }) => unknown) {
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('principal', { sub: c.req.header('x-sub') ?? 'someone', role: 'manager' });
    await next();
  });
  app.use('*', idempotency(db));
  app.post('/thing', async (c) => c.json({ body: await c.req.json<unknown>(), n: await onPost(c) }, 201));
  app.post('/other', async (c) => c.json({ n: await onPost(c) }, 201));
  app.onError((error, c) => problemResponse(c, error instanceof ProblemError ? error : new ProblemError(500, 'Internal Server Error')));
  return app;
}

const post = (app: Hono<AppEnv>, sub: string, key: string | undefined, body: unknown, path = '/thing') =>
  app.request(path, {
    method: 'POST',
    headers: { 'x-sub': sub, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });

describe('Idempotency-Key', () => {
  const db = testDb();
  after(() => db.end());

  test('the same key and body replay the first response; another body is refused; keys are per subject', async () => {
    let effects = 0;
    const app = keyedApp(db, () => ++effects);
    const key = uniqueId('key');
    const first = await post(app, 'alice', key, { a: 1 });
    const again = await post(app, 'alice', key, { a: 1 });
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(await again.json(), await first.json());
    assert.equal(effects, 1, 'the handler ran once');
    assert.equal((await post(app, 'alice', key, { a: 2 })).status, 422);
    assert.equal((await post(app, 'alice', key, { a: 1 }, '/other')).status, 422, 'another route under the same key');
    assert.equal((await post(app, 'bob', key, { a: 1 })).status, 201, "another subject's key space");
    assert.equal(effects, 2);
  });

  test('a key used with another body is refused even after its first request failed with a 5xx', async () => {
    let fail = true;
    const app = keyedApp(db, () => {
      if (fail) throw new Error('dependency down');
      return 1;
    });
    const key = uniqueId('key');
    assert.equal((await post(app, 'alice', key, { a: 1 })).status, 500);
    fail = false;
    assert.equal((await post(app, 'alice', key, { a: 2 })).status, 422, 'the request hash outlives a failed first request');
    assert.equal((await post(app, 'alice', key, { a: 1 })).status, 201, 'the same request may be retried');
  });

  test('POST without a well-formed key is refused before anything runs', async () => {
    let effects = 0;
    const app = keyedApp(db, () => ++effects);
    assert.equal((await post(app, 'alice', undefined, {})).status, 400);
    assert.equal((await post(app, 'alice', 'short', {})).status, 400);
    assert.equal((await post(app, 'alice', 'has spaces in it', {})).status, 400);
    assert.equal(effects, 0);
  });

  test('a running request keeps its key (409 with Retry-After) by renewing a short lease', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const app = keyedApp(db, () => blocked.then(() => 1));
    const key = uniqueId('key');
    const first = post(app, 'alice', key, { a: 1 });
    // Long enough for the lease to have run out twice over, had it not been renewed.
    await new Promise((resolve) => setTimeout(resolve, IDEMPOTENCY_LEASE_MS + 2 * IDEMPOTENCY_RENEW_MS));
    const meanwhile = await post(app, 'alice', key, { a: 1 });
    assert.equal(meanwhile.status, 409);
    const retryAfter = Number(meanwhile.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= IDEMPOTENCY_LEASE_MS / 1_000, `Retry-After ${retryAfter}`);
    release();
    assert.equal((await first).status, 201);
    assert.equal((await post(app, 'alice', key, { a: 1 })).headers.get('idempotent-replayed'), 'true');
  });

  test('the key of a request whose process died is free again once its lease runs out', async () => {
    let effects = 0;
    const app = keyedApp(db, () => ++effects);
    const key = uniqueId('key');
    // What a request killed with its process leaves behind: its claim, a lease nobody renews, no response.
    const body = JSON.stringify({ a: 1 });
    const hash = createHash('sha256').update(`POST /thing\n${body}`).digest('hex');
    await db.query(
      `INSERT INTO idempotency_keys (subject, idempotency_key, request_hash, lock_token, locked_until) VALUES ($1, $2, $3, 'dead', now() + $4 * interval '1 millisecond')`,
      ['alice', key, hash, IDEMPOTENCY_LEASE_MS],
    );
    const startedAt = Date.now();
    for (;;) {
      const response = await post(app, 'alice', key, { a: 1 });
      if (response.status === 201) break;
      assert.equal(response.status, 409);
      assert.ok(Date.now() - startedAt < IDEMPOTENCY_LEASE_MS + 5_000, 'the retry was blocked past the lease');
      await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after')) * 1_000));
    }
    assert.equal(effects, 1);
  });

  test("command IDs differ by caller, route and body, so one caller's key never answers another's command", () => {
    const base = commandIdFor('alice', 'POST', '/v1/pools/p1/rounds', '{}', 'key-12345678');
    assert.equal(commandIdFor('alice', 'POST', '/v1/pools/p1/rounds', '{}', 'key-12345678'), base);
    assert.notEqual(commandIdFor('mallory', 'POST', '/v1/pools/p1/rounds', '{}', 'key-12345678'), base);
    assert.notEqual(commandIdFor('alice', 'POST', '/v1/pools/p2/rounds', '{}', 'key-12345678'), base);
    assert.notEqual(commandIdFor('alice', 'POST', '/v1/pools/p1/rounds', '{"round":2}', 'key-12345678'), base);
  });
});
