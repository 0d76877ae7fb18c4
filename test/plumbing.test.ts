// The thinnest end-to-end path: an HTTP request to the API starts a workflow on the dev server, a real
// worker runs its activity, and the activity's writes land in PostgreSQL and Redis. Also the API's
// readiness report and its refusal of bad input, which must start nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, type Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createApp } from '../api/app';
import type { ApiDeps } from '../api/deps';
import { requestIdClientInterceptor } from '../observability/request-context';
import { REQUEST_ID_HEADER } from '../temporal-config/headers';
import { authHeaders, testApiDeps } from './support/api';
import { createRedis, type Redis } from '../cache/redis';
import type { Db } from '../db/pool';
import { createPoolsWorker } from '../workers/pools/worker';
import { devServerClient, devServerWorkerConnection, testDb, testRedis, testStripe, uniqueId, workflowBundle } from './support/env';
import { poolflowDataConverter } from '../temporal-config/data-converter';
import { probeKey } from '../cache/keys';

describe('plumbing: API → Temporal → worker → PostgreSQL and Redis', () => {
  const taskQueue = uniqueId('plumbing');
  let db: Db;
  let redis: Redis;
  const keyPrefix = `${uniqueId('plumbing')}:`;
  let client: Client;
  let connection: Connection;
  let workerConnection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let deps: ApiDeps;

  before(async () => {
    db = testDb();
    redis = testRedis(keyPrefix);
    ({ client, connection } = await devServerClient());
    workerConnection = await devServerWorkerConnection();
    worker = await createPoolsWorker({
      connection: workerConnection,
      namespace: 'default',
      client,
      db,
      redis,
      stripe: testStripe(),
      taskQueue,
      workflowBundle: await workflowBundle(),
    });
    running = worker.run();
    deps = testApiDeps({ temporal: client, db, redis, stripe: testStripe(), poolsTaskQueue: taskQueue, redisKeyPrefix: keyPrefix });
  });

  after(async () => {
    worker.shutdown();
    await running;
    await workerConnection.close();
    await connection.close();
    await db.end();
    redis.disconnect();
  });

  const post = async (app: ReturnType<typeof createApp>, body: string, contentType = 'application/json') =>
    app.request('/v1/probes', { method: 'POST', body, headers: { ...(await authHeaders('ops-1', 'ops')), 'content-type': contentType } });

  test('POST /v1/probes runs the workflow, whose activity writes to the database and Redis', async () => {
    const app = createApp(deps);
    const response = await post(app, JSON.stringify({ message: 'hello from the test' }));
    assert.equal(response.status, 201);
    const record = (await response.json()) as { probeId: string; message: string; createdAt: string };
    assert.equal(record.message, 'hello from the test');

    const { rows } = await db.query<{ message: string }>('SELECT message FROM plumbing_probes WHERE probe_id = $1', [record.probeId]);
    assert.deepEqual(rows, [{ message: 'hello from the test' }]);
    const cached = JSON.parse((await redis.get(probeKey(record.probeId))) ?? 'null') as typeof record | null;
    assert.deepEqual(cached, record);

    const description = await client.workflow.getHandle(`probe/${record.probeId}`).describe();
    assert.equal(description.status.name, 'COMPLETED');
    assert.equal(description.taskQueue, taskQueue);
  });

  test('bad input gets a 4xx problem and starts no workflow', async () => {
    const app = createApp(deps);
    const before = await countWorkflows(client, taskQueue);
    const cases: Array<[string, string, number]> = [
      ['{"message": 42}', 'application/json', 422],
      ['{"message": "x", "extra": true}', 'application/json', 422],
      ['{"message": ""}', 'application/json', 422],
      ['{not json', 'application/json', 400],
      ['message=x', 'application/x-www-form-urlencoded', 415],
      [JSON.stringify({ message: 'x'.repeat(100_000) }), 'application/json', 413],
    ];
    for (const [body, contentType, status] of cases) {
      const response = await post(app, body, contentType);
      assert.equal(response.status, status, `${body.slice(0, 40)} → ${response.status}`);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      const problem = (await response.json()) as { status: number; title: string };
      assert.equal(problem.status, status);
    }
    assert.equal(await countWorkflows(client, taskQueue), before);
  });

  test('/readyz is ready when every dependency answers', async () => {
    const response = await createApp(deps).request('/readyz');
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ready', checks: { temporal: true, database: true, redis: true } });
    assert.equal((await createApp(deps).request('/healthz')).status, 200);
  });

  test('/readyz reports 503 naming the dependency that does not answer', async () => {
    const deadRedis = createRedis('redis://127.0.0.1:1/0', 'dead:');
    try {
      const response = await createApp({ ...deps, redis: deadRedis }).request('/readyz');
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), { status: 'unavailable', checks: { temporal: true, database: true, redis: false } });
    } finally {
      deadRedis.disconnect();
    }
  });

  test('the request ID travels into the workflow it starts, as a header on its history', async () => {
    const traced = new Client({
      connection,
      namespace: 'default',
      dataConverter: poolflowDataConverter(),
      interceptors: { workflow: [requestIdClientInterceptor()] },
    });
    const response = await createApp({ ...deps, temporal: traced }).request('/v1/probes', {
      method: 'POST',
      body: JSON.stringify({ message: 'traced' }),
      headers: { ...(await authHeaders('ops-1', 'ops')), 'x-request-id': 'req-trace-42' },
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('x-request-id'), 'req-trace-42');
    const { probeId } = (await response.json()) as { probeId: string };
    const history = await client.workflow.getHandle(`probe/${probeId}`).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const header = started?.header?.fields?.[REQUEST_ID_HEADER];
    assert.ok(header, 'the start carries the request ID header');
    assert.equal(defaultPayloadConverter.fromPayload(header), 'req-trace-42');
  });

  test('unknown routes get a problem+json 404', async () => {
    const response = await createApp(deps).request('/nothing-here');
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
  });
});

async function countWorkflows(client: Client, taskQueue: string): Promise<number> {
  const { count } = await client.workflow.count(`TaskQueue = '${taskQueue}'`);
  return count;
}
