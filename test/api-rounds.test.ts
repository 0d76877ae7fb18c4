// The round-level routes through the API on the dev server: bids in a bid pool, member replacement,
// and an investment pool's capital call and distribution.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Role } from '../api/auth';
import type { PoolView } from '../domain/pools/pool-view';
import { payableMember } from './support/payments-kit';
import { authHeaders } from './support/api';
import { startApiHarness, type ApiHarness } from './support/api-harness';
import { uniqueId } from './support/env';

const WAIT_MS = 60_000;

describe('round routes through the API', () => {
  let h: ApiHarness;
  before(async () => (h = await startApiHarness()));
  after(async () => h.close());

  async function request<T>(method: string, path: string, sub: string, role: Role, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await h.app.request(path, { method, headers: await authHeaders(sub, role), body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as T };
  }

  async function ok<T>(method: string, path: string, sub: string, role: Role, body?: unknown): Promise<T> {
    const response = await request<T>(method, path, sub, role, body);
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

  async function payingMembers(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const { memberId } = await payableMember(h.kit);
      await h.kit.members.attachPaymentMethod(memberId, 'pm_card_visa');
      ids.push(memberId);
    }
    return ids;
  }

  const base = { currency: 'usd', cadence: { type: 'interval', every: 30, unit: 'days' }, gracePeriodHours: 1 };

  test('members bid for the pot; the highest discount wins and the others share it', async () => {
    const manager = uniqueId('mgr');
    const [m1, m2] = (await payingMembers(2)) as [string, string];
    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', {
      ...base,
      kind: 'rotating',
      name: 'Chit',
      membersMin: 2,
      membersMax: 2,
      contributionMinor: 10_000,
      payoutOrder: 'bid',
    });
    for (const m of [m1, m2]) await ok('POST', `/v1/pools/${pool.poolId}/members`, m, 'member', { agreeToCharges: true });
    await ok('POST', `/v1/pools/${pool.poolId}/activate`, manager, 'manager');
    await ok('POST', `/v1/pools/${pool.poolId}/rounds`, manager, 'manager');
    await waitFor(pool.poolId, manager, (v) => v.bidding?.round === 1);

    assert.equal(
      (await request('POST', `/v1/pools/${pool.poolId}/rounds/1/bids`, manager, 'manager', { discountMinor: 1 })).status,
      403,
      'managers do not bid',
    );
    assert.equal((await request('POST', `/v1/pools/${pool.poolId}/rounds/2/bids`, m1, 'member', { discountMinor: 1 })).status, 409, 'not that round');
    assert.equal((await request('POST', `/v1/pools/${pool.poolId}/rounds/1/bids`, m1, 'member', { discountMinor: 20_000 })).status, 422, 'not below the pot');
    const bid = await request<PoolView>('POST', `/v1/pools/${pool.poolId}/rounds/1/bids`, m1, 'member', { discountMinor: 1_000 });
    assert.equal(bid.status, 201);
    assert.equal(bid.body.bidding?.bids, 1);
    await ok('POST', `/v1/pools/${pool.poolId}/rounds/1/bids`, m2, 'member', { discountMinor: 400 });

    await waitFor(pool.poolId, manager, (v) => v.roundsCompleted === 1);
    const round = await ok<{ winnerMemberId: string; discountMinor: string; payouts: Array<{ memberId: string; purpose: string; amountMinor: string }> }>(
      'GET',
      `/v1/pools/${pool.poolId}/rounds/1`,
      manager,
      'manager',
    );
    assert.equal(round.winnerMemberId, m1);
    assert.equal(round.discountMinor, '1000');
    assert.deepEqual(
      round.payouts.map((p) => [p.memberId, p.purpose, p.amountMinor]).sort(),
      [
        [m1, 'pot', '19000'],
        [m2, 'dividend', '1000'],
      ].sort(),
    );
  });

  test('a manager replaces a member between rounds; the newcomer takes their place', async () => {
    const manager = uniqueId('mgr');
    const [m1, m2, newcomer] = (await payingMembers(3)) as [string, string, string];
    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', {
      ...base,
      kind: 'rotating',
      name: 'Swap',
      membersMin: 2,
      membersMax: 2,
      contributionMinor: 5_000,
    });
    for (const m of [m1, m2]) await ok('POST', `/v1/pools/${pool.poolId}/members`, m, 'member', { agreeToCharges: true });
    await ok('POST', `/v1/pools/${pool.poolId}/activate`, manager, 'manager');
    assert.equal((await request('POST', `/v1/pools/${pool.poolId}/members/${m1}/replace`, m2, 'member', { incomingMemberId: newcomer })).status, 403);
    assert.equal(
      (await request('POST', `/v1/pools/${pool.poolId}/members/${m1}/replace`, manager, 'manager', { incomingMemberId: m2 })).status,
      409,
      'already a member',
    );
    await ok('POST', `/v1/pools/${pool.poolId}/members/${m1}/replace`, manager, 'manager', { incomingMemberId: newcomer });
    const before = await ok<PoolView>('GET', `/v1/pools/${pool.poolId}`, manager, 'manager');
    assert.equal(before.members.find((m) => m.memberId === m1)?.status, 'active', 'nothing changes until the newcomer accepts');
    assert.equal((await request('POST', `/v1/pools/${pool.poolId}/members`, newcomer, 'member', {})).status, 422, 'accepting needs the agreement');
    const replaced = await ok<PoolView>('POST', `/v1/pools/${pool.poolId}/members`, newcomer, 'member', { agreeToCharges: true });
    assert.deepEqual(replaced.payoutOrder, [newcomer, m2]);
    assert.equal(replaced.members.find((m) => m.memberId === m1)?.status, 'left');
    assert.equal(replaced.members.find((m) => m.memberId === newcomer)?.replacedMemberId, m1);
  });

  test('an investment pool: a capital call, then a distribution', async () => {
    const manager = uniqueId('mgr');
    const [m1, m2] = (await payingMembers(2)) as [string, string];
    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', {
      ...base,
      kind: 'investment',
      name: 'Fund',
      membersMin: 2,
      membersMax: 2,
      capitalCallBps: 5_000,
      managementFeeBps: 100,
    });
    assert.equal((await request('POST', `/v1/pools/${pool.poolId}/members`, m1, 'member', { agreeToCharges: true })).status, 422, 'a commitment is required');
    await ok('POST', `/v1/pools/${pool.poolId}/members`, m1, 'member', { commitmentMinor: '10000', agreeToCharges: true });
    await ok('POST', `/v1/pools/${pool.poolId}/members`, m2, 'member', { commitmentMinor: 30_000, agreeToCharges: true });
    await ok('POST', `/v1/pools/${pool.poolId}/activate`, manager, 'manager');
    await ok('POST', `/v1/pools/${pool.poolId}/rounds`, manager, 'manager');
    const called = await waitFor(pool.poolId, manager, (v) => v.roundsCompleted === 1);
    assert.equal(called.potMinor, '20000');
    assert.equal(
      (await request('POST', `/v1/pools/${pool.poolId}/distributions`, manager, 'manager', { amountMinor: 20_001 })).status,
      422,
      'more than the pot',
    );
    const accepted = await request('POST', `/v1/pools/${pool.poolId}/distributions`, manager, 'manager', { amountMinor: 10_000 });
    assert.equal(accepted.status, 202);
    const after = await waitFor(pool.poolId, manager, (v) => v.recentRounds.some((r) => r.kind === 'distribution'));
    assert.equal(after.potMinor, '10000');
    const distribution = await ok<{ feeMinor: string; payouts: Array<{ memberId: string; amountMinor: string }> }>(
      'GET',
      `/v1/pools/${pool.poolId}/rounds/2`,
      manager,
      'manager',
    );
    assert.equal(distribution.feeMinor, '100');
    assert.deepEqual(
      distribution.payouts.map((p) => [p.memberId, p.amountMinor]).sort(),
      [
        [m1, '2475'],
        [m2, '7425'],
      ].sort(),
    );
  });
});
