// The API while a dependency is down: a database outage answers 503 with Retry-After (not 500), and a
// Redis outage — Redis unreachable behind a cut connection — keeps reads fast, served from the database
// once the client's circuit breaker has opened, instead of waiting out a timeout per command.
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createRedis, type Redis } from '../cache/redis';
import { createDbPool } from '../db/pool';
import type { PoolView } from '../domain/pools/pool-view';
import { authHeaders, testApiDeps, testApp } from './support/api';
import { startApiHarness, type ApiHarness } from './support/api-harness';
import { testConfig, uniqueId } from './support/env';

/** Reads measured while Redis is down, after the first few that open the circuit. */
const READS_MEASURED = 10;
/** A read served without waiting on Redis; a Redis command times out after 2,000 ms. */
const FAST_READ_MS = 500;

/** A TCP proxy to the test stack's Redis that can be cut: then it accepts connections and answers nothing. */
async function cuttableProxy(): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  const target = new URL(testConfig.redisUrl);
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (cut) return; // Swallows whatever the client sends: an unreachable Redis, not a refused one.
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${port}${target.pathname}`,
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('the API during outages', () => {
  let h: ApiHarness;
  before(async () => (h = await startApiHarness()));
  after(async () => h.close());

  test('with the database down, reads and commands answer 503 with Retry-After', async () => {
    const deadDb = createDbPool('postgres://poolflow@127.0.0.1:1/poolflow');
    const app = testApp(
      testApiDeps({ temporal: h.client, db: deadDb, redis: h.redis, stripe: h.kit.stripe, poolsTaskQueue: h.taskQueue, redisKeyPrefix: 'unused:' }),
    );
    try {
      const manager = uniqueId('mgr');
      const list = await app.request('/v1/pools', { headers: await authHeaders(manager, 'manager') });
      assert.equal(list.status, 503, await list.clone().text());
      assert.ok(Number(list.headers.get('retry-after')) > 0);
      assert.equal(list.headers.get('content-type'), 'application/problem+json');
      const create = await app.request('/v1/pools', {
        method: 'POST',
        headers: await authHeaders(manager, 'manager'),
        body: JSON.stringify({ kind: 'rotating' }),
      });
      assert.equal(create.status, 503);
      assert.ok(Number(create.headers.get('retry-after')) > 0);
    } finally {
      await deadDb.end();
    }
  });

  test('with Redis unreachable, reads are answered from the database without waiting on Redis', async () => {
    const manager = uniqueId('mgr');
    const created = await h.app.request('/v1/pools', {
      method: 'POST',
      headers: await authHeaders(manager, 'manager'),
      body: JSON.stringify({
        kind: 'rotating',
        name: 'Outage',
        currency: 'usd',
        cadence: { type: 'interval', every: 30, unit: 'days' },
        membersMin: 2,
        membersMax: 2,
        contributionMinor: 5_000,
      }),
    });
    assert.equal(created.status, 201);
    const { poolId } = (await created.json()) as PoolView;
    const proxy = await cuttableProxy();
    const redis: Redis = createRedis(proxy.url, `${uniqueId('outage')}:`);
    const app = testApp(testApiDeps({ temporal: h.client, db: h.db, redis, stripe: h.kit.stripe, poolsTaskQueue: h.taskQueue, redisKeyPrefix: 'unused:' }));
    const headers = await authHeaders(manager, 'manager');
    // Each read comes after the local view has aged out (250 ms), so it asks Redis, then the database.
    const read = async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const startedAt = performance.now();
      const response = await app.request(`/v1/pools/${poolId}`, { headers });
      return { status: response.status, ms: performance.now() - startedAt };
    };
    try {
      assert.equal((await read()).status, 200);
      proxy.cut();
      for (let i = 0; i < 3; i++) assert.equal((await read()).status, 200, 'reads go on while the circuit opens');
      const measured = [];
      for (let i = 0; i < READS_MEASURED; i++) measured.push(await read());
      assert.ok(measured.every((r) => r.status === 200));
      const fast = measured.filter((r) => r.ms < FAST_READ_MS).length;
      // An occasional probe of Redis may wait out its timeout; the others fail fast.
      assert.ok(fast >= READS_MEASURED - 2, `reads took ${measured.map((r) => Math.round(r.ms)).join(', ')} ms`);
      proxy.restore();
    } finally {
      redis.disconnect();
      await proxy.close();
    }
  });
});
