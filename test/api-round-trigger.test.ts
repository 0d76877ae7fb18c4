// "Run the next round now" through the API on the dev server: a trigger names the round it expects and
// a round that is already running or done answers 409; a retry under the same Idempotency-Key whose
// first response was lost (the API died after Temporal took the trigger) answers the same round and
// never starts a second one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Role } from '../api/auth';
import type { PoolView } from '../domain/pools/pool-view';
import { payableMember } from './support/payments-kit';
import { workflowIds } from '../temporal-config/workflow-ids';
import { authHeaders } from './support/api';
import { startApiHarness, type ApiHarness } from './support/api-harness';
import { uniqueId } from './support/env';

const WAIT_MS = 60_000;

describe('round trigger through the API', () => {
  let h: ApiHarness;
  before(async () => (h = await startApiHarness()));
  after(async () => h.close());

  async function request<T>(method: string, path: string, sub: string, role: Role, body?: unknown, key?: string): Promise<{ status: number; body: T }> {
    const response = await h.app.request(path, {
      method,
      headers: await authHeaders(sub, role, key),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  async function ok<T>(method: string, path: string, sub: string, role: Role, body?: unknown, key?: string): Promise<T> {
    const response = await request<T>(method, path, sub, role, body, key);
    assert.ok(response.status < 300, `${method} ${path} → ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  async function waitFor(poolId: string, manager: string, ready: (view: PoolView) => boolean): Promise<PoolView> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const view = await ok<PoolView>('GET', `/v1/pools/${poolId}`, manager, 'manager');
      if (ready(view)) return view;
      assert.ok(Date.now() < deadline, `never reached: ${JSON.stringify(view).slice(0, 300)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function activePool(manager: string): Promise<string> {
    const members: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { memberId } = await payableMember(h.kit);
      await h.kit.members.attachPaymentMethod(memberId, 'pm_card_visa');
      members.push(memberId);
    }
    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', {
      kind: 'rotating',
      name: 'Trigger',
      currency: 'usd',
      cadence: { type: 'interval', every: 30, unit: 'days' },
      gracePeriodHours: 1,
      membersMin: 2,
      membersMax: 2,
      contributionMinor: 5_000,
    });
    for (const m of members) await ok('POST', `/v1/pools/${pool.poolId}/members`, m, 'member', { agreeToCharges: true });
    await ok('POST', `/v1/pools/${pool.poolId}/activate`, manager, 'manager');
    return pool.poolId;
  }

  const roundExists = async (poolId: string, round: number) => {
    try {
      await h.client.workflow.getHandle(workflowIds.round(poolId, round)).describe();
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  };

  test('a second trigger while the round runs, or for a round already done, is a 409', async () => {
    const manager = uniqueId('mgr');
    const poolId = await activePool(manager);
    const first = await request<{ round: number }>('POST', `/v1/pools/${poolId}/rounds`, manager, 'manager');
    assert.equal(first.status, 202);
    assert.equal(first.body.round, 1);
    const second = await request<{ title: string }>('POST', `/v1/pools/${poolId}/rounds`, manager, 'manager');
    assert.equal(second.status, 409, JSON.stringify(second.body));
    assert.equal((await request('POST', `/v1/pools/${poolId}/rounds`, manager, 'manager', { round: 1 })).status, 409, 'round 1 is running');
    assert.equal((await request('POST', `/v1/pools/${poolId}/rounds`, manager, 'manager', { round: 3 })).status, 409, 'round 3 is not next');
    await waitFor(poolId, manager, (v) => v.roundsCompleted === 1 && v.roundInProgress === null);
    assert.equal((await request('POST', `/v1/pools/${poolId}/rounds`, manager, 'manager', { round: 1 })).status, 409, 'round 1 is done');
    assert.equal(await roundExists(poolId, 2), false, 'no round ran that nobody asked for');
    // The pool refuses a trigger for round 2 while round 2 is requested, running or done, and handles its
    // signals in order: accepting this one proves that none of the refused triggers asked for round 2.
    const next = await request<{ round: number }>('POST', `/v1/pools/${poolId}/rounds`, manager, 'manager', { round: 2 });
    assert.equal(next.status, 202, JSON.stringify(next.body));
    assert.equal(next.body.round, 2);
    assert.equal((await request('POST', `/v1/pools/${poolId}/rounds`, manager, 'manager', { round: 'two' })).status, 422);
  });

  test('a retry whose first response was lost answers the first round and runs no second one', async () => {
    const manager = uniqueId('mgr');
    const poolId = await activePool(manager);
    const key = uniqueId('trigger');
    const first = await request<{ round: number }>('POST', `/v1/pools/${poolId}/rounds`, manager, 'manager', undefined, key);
    assert.equal(first.status, 202);
    await waitFor(poolId, manager, (v) => v.roundsCompleted === 1 && v.roundInProgress === null);
    // The API died after Temporal took the trigger and before it kept the response: nothing is stored.
    await forgetResponses(manager);
    const retry = await request<{ round: number }>('POST', `/v1/pools/${poolId}/rounds`, manager, 'manager', undefined, key);
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    assert.equal(retry.body.round, first.body.round);
    assert.equal(await roundExists(poolId, 2), false, 'the retry started no second round');
    assert.equal((await waitFor(poolId, manager, () => true)).roundsCompleted, 1);
    // A trigger sent after the retry is handled after anything the retry sent: the pool accepting round 2
    // as its next round proves that the retry requested no round (it would be refused as under way).
    const afterRetry = await request<{ round: number }>('POST', `/v1/pools/${poolId}/rounds`, manager, 'manager', { round: 2 }, uniqueId('after-retry'));
    assert.equal(afterRetry.status, 202, JSON.stringify(afterRetry.body));
    assert.equal(afterRetry.body.round, 2);
  });

  /** Drops every stored Idempotency-Key response of `subject`, wherever the API keeps them. */
  async function forgetResponses(subject: string) {
    await h.db.query('DELETE FROM idempotency_keys WHERE subject = $1', [subject]);
    // Earlier versions kept them in Redis (KEYS takes its pattern without the client's key prefix).
    const prefix = h.redis.options.keyPrefix ?? '';
    const keys = (await h.redis.keys(`${prefix}idempotency:${subject}:*`)).filter((k) => k.startsWith(prefix));
    if (keys.length > 0) await h.redis.del(...keys.map((k) => k.slice(prefix.length)));
  }
});
