// Idempotency-Key through the whole API on the dev server: a key used again with another body is 422
// however long ago it was used and whatever the cache has forgotten, and the same key from two callers
// runs two commands (the update IDs are scoped to the caller, the route and the body).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PoolView } from '../domain/pools/pool-view';
import { authHeaders } from './support/api';
import { startApiHarness, type ApiHarness } from './support/api-harness';
import { uniqueId } from './support/env';

const poolBody = (name: string) => ({
  kind: 'rotating',
  name,
  currency: 'usd',
  cadence: { type: 'interval', every: 30, unit: 'days' },
  membersMin: 2,
  membersMax: 2,
  contributionMinor: 5_000,
});

describe('Idempotency-Key through the API', () => {
  let h: ApiHarness;
  before(async () => (h = await startApiHarness()));
  after(async () => h.close());

  const create = async (manager: string, key: string, name: string) => {
    const response = await h.app.request('/v1/pools', {
      method: 'POST',
      headers: await authHeaders(manager, 'manager', key),
      body: JSON.stringify(poolBody(name)),
    });
    return { status: response.status, body: (await response.json()) as PoolView & { title?: string } };
  };

  test('a key reused with another body is 422 even when every cached copy is gone', async () => {
    const manager = uniqueId('mgr');
    const key = uniqueId('create');
    const first = await create(manager, key, 'First');
    assert.equal(first.status, 201);
    // Whatever Redis held for this caller expires or is lost; the key's record must not depend on it.
    const prefix = h.redis.options.keyPrefix ?? '';
    const cached = (await h.redis.keys(`${prefix}*`)).filter((k) => k.startsWith(prefix));
    if (cached.length > 0) await h.redis.del(...cached.map((k) => k.slice(prefix.length)));
    const reused = await create(manager, key, 'Second');
    assert.equal(reused.status, 422, JSON.stringify(reused.body));
    const replayed = await create(manager, key, 'First');
    assert.equal(replayed.status, 201);
    assert.equal(replayed.body.poolId, first.body.poolId);
  });

  test("two callers' identical keys are two commands: neither answers the other's", async () => {
    const [alice, bob] = [uniqueId('mgr'), uniqueId('mgr')];
    const key = uniqueId('shared');
    const a = await create(alice, key, 'Alice');
    const b = await create(bob, key, 'Bob');
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.notEqual(a.body.poolId, b.body.poolId);
    assert.equal(b.body.managerId, bob);
  });
});
