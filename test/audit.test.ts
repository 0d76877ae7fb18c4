// The audit trail: every command is recorded with who (subject and role), what, on which pool, the
// request ID and the outcome — refusals included; the actor travels into the workflow's history as a
// header beside the command; ops read the trail through the API, nobody else does.
import { poolflowDataConverter } from '../temporal-config/data-converter';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { z } from 'zod';
import type { Role } from '../api/auth';
import { createApp } from '../api/app';
import type { auditPage } from '../api/pools/pool-schemas';
import type { PoolView } from '../domain/pools/pool-view';
import { requestIdClientInterceptor } from '../observability/request-context';
import { ACTOR_HEADER } from '../temporal-config/headers';
import { workflowIds } from '../temporal-config/workflow-ids';
import { authHeaders, testApiDeps } from './support/api';
import { startApiHarness, type ApiHarness } from './support/api-harness';
import { uniqueId } from './support/env';

/** A page of the trail as GET /v1/audit answers it (its contract's schema). */
type AuditPage = z.infer<typeof auditPage>;

/** What both tests ask to create: a small rotating pool. */
const NEW_POOL = {
  kind: 'rotating',
  name: 'Audited',
  currency: 'usd',
  cadence: { type: 'interval', every: 30, unit: 'days' },
  membersMin: 2,
  membersMax: 2,
  contributionMinor: 1_000,
};

describe('audit trail', () => {
  let h: ApiHarness;
  let app: ReturnType<typeof createApp>;
  before(async () => {
    h = await startApiHarness();
    // As api/main.ts wires it: the client carries request ID and actor into the workflows.
    const traced = new Client({
      connection: h.client.connection,
      namespace: 'default',
      dataConverter: poolflowDataConverter(),
      interceptors: { workflow: [requestIdClientInterceptor()] },
    });
    app = createApp(
      testApiDeps({
        temporal: traced,
        db: h.db,
        redis: h.redis,
        stripe: h.kit.stripe,
        poolsTaskQueue: h.taskQueue,
        redisKeyPrefix: h.redis.options.keyPrefix ?? '',
      }),
    );
  });
  after(async () => h.close());

  async function send(method: string, path: string, sub: string, role: Role, body?: unknown, requestId = uniqueId('req')) {
    const response = await app.request(path, {
      method,
      headers: { ...(await authHeaders(sub, role)), 'x-request-id': requestId },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as unknown, requestId };
  }

  test('commands are recorded with actor, pool, request ID and outcome; the actor is in the workflow history; only ops read the trail', async () => {
    const manager = uniqueId('mgr');
    const created = await send('POST', '/v1/pools', manager, 'manager', NEW_POOL);
    assert.equal(created.status, 201);
    const poolId = (created.body as PoolView).poolId;
    const refused = await send('POST', `/v1/pools/${poolId}/activate`, manager, 'manager');
    assert.equal(refused.status, 409, 'too few members');
    const paused = await send('POST', `/v1/pools/${poolId}/pause`, manager, 'manager', { reason: 'audit' });
    assert.equal(paused.status, 409, 'an open pool is not paused');
    const stranger = await send('POST', `/v1/pools/${poolId}/cancel`, 'someone-else', 'manager', {});
    assert.equal(stranger.status, 404);
    await send('GET', `/v1/pools/${poolId}`, manager, 'manager');

    assert.equal((await send('GET', `/v1/audit?poolId=${poolId}`, manager, 'manager')).status, 403, 'managers do not read the trail');
    const trail = await send('GET', `/v1/audit?poolId=${poolId}`, uniqueId('ops'), 'ops');
    assert.equal(trail.status, 200);
    const events = (trail.body as AuditPage).events.reverse();
    assert.deepEqual(
      events.map((e) => [e.subject, e.role, e.method, e.path, e.poolId, e.requestId, e.outcome]),
      [
        [manager, 'manager', 'POST', '/v1/pools', poolId, created.requestId, 201],
        [manager, 'manager', 'POST', `/v1/pools/${poolId}/activate`, poolId, refused.requestId, 409],
        [manager, 'manager', 'POST', `/v1/pools/${poolId}/pause`, poolId, paused.requestId, 409],
        ['someone-else', 'manager', 'POST', `/v1/pools/${poolId}/cancel`, poolId, stranger.requestId, 404],
      ],
      'every command, refusals too; reads are not commands',
    );

    // The workflow's history shows who started it, next to the start itself.
    const history = await h.client.workflow.getHandle(workflowIds.pool(poolId)).fetchHistory();
    const header = history.events?.[0]?.workflowExecutionStartedEventAttributes?.header?.fields?.[ACTOR_HEADER];
    assert.ok(header, 'the start carries the actor');
    assert.deepEqual(defaultPayloadConverter.fromPayload(header), { subject: manager, role: 'manager' });
  });

  test('a command refused because the workflow service is down is recorded with the 503 it answered', async () => {
    // Nothing listens on port 1: every call to this Temporal client fails as unavailable (no gRPC
    // interceptors, so without the SDK's retries).
    const down = new Client({
      connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200, interceptors: [] }),
      dataConverter: poolflowDataConverter(),
    });
    const outage = createApp(
      testApiDeps({
        temporal: down,
        db: h.db,
        redis: h.redis,
        stripe: h.kit.stripe,
        poolsTaskQueue: h.taskQueue,
        redisKeyPrefix: h.redis.options.keyPrefix ?? '',
      }),
    );
    const manager = uniqueId('mgr');
    const requestId = uniqueId('req');
    const response = await outage.request('/v1/pools', {
      method: 'POST',
      headers: { ...(await authHeaders(manager, 'manager')), 'x-request-id': requestId },
      body: JSON.stringify(NEW_POOL),
    });
    assert.equal(response.status, 503, await response.text());
    const trail = await send('GET', `/v1/audit?subject=${manager}`, uniqueId('ops'), 'ops');
    const events = (trail.body as AuditPage).events;
    assert.deepEqual(
      events.map((e) => [e.method, e.path, e.requestId, e.outcome]),
      [['POST', '/v1/pools', requestId, 503]],
    );
  });
});
