// Fair use through the whole API: a refused read runs no query; event streams are capped per subject
// and per address and all read through one shared Redis connection; a slow body is answered 408; an
// oversized one 413 with the connection closed.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Role } from '../api/auth';
import type { ApiDeps } from '../api/deps';
import { eventStreamsOf, readerName } from '../api/event-streams';
import { serveApi } from '../api/http-server';
import type { ApiLimits } from '../api/limits';
import type { PoolView } from '../domain/pools/pool-view';
import { payableMember } from './support/payments-kit';
import { authHeaders, testApp, tokenFor } from './support/api';
import { startApiHarness, type ApiHarness } from './support/api-harness';
import { countingDb } from './support/counting-db';
import { uniqueId } from './support/env';
import { eventually } from './support/eventually';

const rotating = (name: string) => ({
  kind: 'rotating',
  name,
  currency: 'usd',
  cadence: { type: 'interval', every: 30, unit: 'days' },
  gracePeriodHours: 1,
  membersMin: 2,
  membersMax: 4,
  contributionMinor: 5_000,
});
const rate = (requestsMax: number) => ({ name: uniqueId('rate'), requestsMax, windowSeconds: 600, whenRedisDown: 'open' as const });

/** Reads server-sent events until one whose data satisfies `wanted`; fails after `timeoutMs`. */
async function nextEvent(reader: ReadableStreamDefaultReader<string>, wanted: (data: string) => boolean, timeoutMs = 20_000): Promise<string> {
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error('no such event in time');
    const chunk = await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no such event in time')), remaining)),
    ]);
    if (chunk.done) throw new Error('the stream ended');
    buffer += chunk.value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const data = /^data: ?(.*)$/m.exec(buffer.slice(0, end))?.[1];
      buffer = buffer.slice(end + 2);
      if (data !== undefined && wanted(data)) return data;
    }
  }
}

describe('fair use', () => {
  let h: ApiHarness;
  before(async () => (h = await startApiHarness()));
  after(async () => h.close());

  const appWith = (deps: Partial<ApiDeps>) => testApp({ ...h.deps, ...deps });
  const send = async (app: ReturnType<typeof testApp>, method: string, path: string, sub: string, role: Role, body?: unknown) =>
    app.request(path, { method, headers: await authHeaders(sub, role), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const createPool = async (manager: string) => {
    const response = await send(h.app, 'POST', '/v1/pools', manager, 'manager', rotating('Fair use'));
    assert.equal(response.status, 201);
    return (await response.json()) as PoolView;
  };

  test('a read over the limit is refused before it runs: no query reaches the database', async () => {
    const manager = uniqueId('mgr');
    const pool = await createPool(manager);
    const counting = countingDb(h.db, ['query', 'connect']);
    const app = appWith({ db: counting.db, limits: { read: rate(3) } });
    const before = counting.count();
    for (let i = 0; i < 3; i++) assert.equal((await send(app, 'GET', `/v1/pools/${pool.poolId}`, manager, 'manager')).status, 200);
    const afterAllowed = counting.count();
    assert.ok(afterAllowed > before, 'an allowed read queries the database');
    const refused = await send(app, 'GET', `/v1/pools/${pool.poolId}`, manager, 'manager');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.equal(counting.count(), afterAllowed, 'the refused read ran no query');
    // Another subject still reads: the limit is the caller's.
    assert.equal((await send(app, 'GET', `/v1/pools/${pool.poolId}`, uniqueId('ops'), 'ops')).status, 200);
  });

  test('the per-address ceiling refuses every subject from one address once it is spent', async () => {
    const app = appWith({ limits: { address: rate(2) } });
    const [a, b] = [uniqueId('mgr'), uniqueId('mgr')];
    assert.equal((await send(app, 'GET', '/v1/pools', a, 'manager')).status, 200);
    assert.equal((await send(app, 'GET', '/v1/pools', b, 'manager')).status, 200);
    assert.equal((await send(app, 'GET', '/v1/pools', b, 'manager')).status, 429);
    // Without a valid token too: the ceiling is counted before authentication.
    assert.equal((await app.request('/v1/pools', { headers: { authorization: 'Bearer nonsense' } })).status, 429);
  });

  test('event streams are capped per subject and per address, and all share one Redis reader', async () => {
    const deps: ApiDeps = { ...h.deps, limits: { streams: { perSubjectMax: 2, perAddressMax: 3, processMax: 100 } } satisfies Partial<ApiLimits> };
    const app = testApp(deps);
    const manager = uniqueId('mgr');
    const ops = [uniqueId('ops'), uniqueId('ops')];
    const pool = await createPool(manager);
    const open = async (sub: string, role: Role) =>
      app.request(`/v1/pools/${pool.poolId}/events`, { headers: { authorization: `Bearer ${await tokenFor(sub, role)}` } });

    const first = await open(manager, 'manager');
    const second = await open(manager, 'manager');
    assert.deepEqual([first.status, second.status], [200, 200]);
    const third = await open(manager, 'manager');
    assert.equal(third.status, 429, 'a third stream for the same subject');
    assert.match(await third.text(), /at most 2 open event streams/);
    const opsStream = await open(ops[0]!, 'ops');
    assert.equal(opsStream.status, 200, 'another subject may open one');
    assert.equal((await open(ops[1]!, 'ops')).status, 429, 'but not past the address cap of 3');

    const readers = [first, second, opsStream].map((r) => r.body!.pipeThrough(new TextDecoderStream()).getReader());
    for (const reader of readers) await nextEvent(reader, () => true); // the current view
    const readerClients = async () =>
      ((await h.redis.client('LIST')) as string).split('\n').filter((line) => line.includes(` name=${readerName(deps.redisKeyPrefix)} `)).length;
    assert.equal(await readerClients(), 1, 'three streams, one Redis reader');
    assert.equal(eventStreamsOf(deps).reader.connectionsOpen, 1);

    // A change reaches every open stream through the one reader.
    const member = (await payableMember(h.kit)).memberId;
    await h.kit.members.attachPaymentMethod(member, 'pm_card_visa');
    assert.equal((await send(h.app, 'POST', `/v1/pools/${pool.poolId}/members`, member, 'member', { agreeToCharges: true })).status, 201);
    const joined = (data: string) => (JSON.parse(data) as PoolView).members.some((m) => m.memberId === member);
    await Promise.all(readers.map((reader) => nextEvent(reader, joined)));

    // Closing a stream frees its slot.
    await readers[0]!.cancel();
    await eventually('the slot to be freed', async () => {
      const again = await open(manager, 'manager');
      if (again.status !== 200) return undefined;
      await again.body!.cancel();
      return true;
    });
    for (const reader of readers.slice(1)) await reader.cancel();
    await eventually('the reader to close with the last stream', async () => ((await readerClients()) === 0 ? true : undefined));
  });

  test('a process serving its cap of streams answers 503 until one closes', async () => {
    const app = appWith({ limits: { streams: { perSubjectMax: 10, perAddressMax: 10, processMax: 1 } } });
    const manager = uniqueId('mgr');
    const pool = await createPool(manager);
    const open = async () => app.request(`/v1/pools/${pool.poolId}/events`, { headers: { authorization: `Bearer ${await tokenFor(manager, 'manager')}` } });
    const first = await open();
    assert.equal(first.status, 200);
    const refused = await open();
    assert.equal(refused.status, 503);
    assert.match(await refused.text(), /too many open event streams/);
    await first.body!.cancel();
    await eventually('the stream to close', async () => {
      const again = await open();
      if (again.status !== 200) return undefined;
      await again.body!.cancel();
      return true;
    });
  });

  test('a body that arrives too slowly is answered 408, an oversized one 413 with the connection closed', async () => {
    const server = serveApi(h.app, { port: 0, hostname: '127.0.0.1', requestTimeoutMs: 1_000 });
    try {
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as AddressInfo;

      const oversized = await new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        const request = httpRequest(
          { host: '127.0.0.1', port, method: 'POST', path: '/v1/pools', headers: { 'content-type': 'application/json', 'content-length': 1_000_000 } },
          (response) => {
            response.resume();
            resolve({ status: response.statusCode!, connection: response.headers.connection });
          },
        );
        request.on('error', reject);
        request.write('{"name":"');
      });
      assert.deepEqual(oversized, { status: 413, connection: 'close' });

      const headers = await authHeaders(uniqueId('mgr'), 'manager');
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let received = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk) => (received += chunk));
        socket.on('end', () => resolve(received));
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
        const lines = Object.entries({ ...headers, host: '127.0.0.1', 'content-length': '200' }).map(([name, value]) => `${name}: ${value}`);
        // The headers and the start of the body, then nothing: the client never sends the rest.
        socket.write(`POST /v1/pools HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n{"kind":`);
        setTimeout(() => reject(new Error('no answer within 10 s')), 10_000).unref();
      });
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.match(answer, /connection: close/i);
    } finally {
      server.close();
    }
  });
});
