// The pool routes' success and failure modes, each role's access, and cross-tenant attempts, against a
// real worker on the dev server. A caller who may not see a pool is always told it does not exist.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Hono } from 'hono';
import type { PoolView } from '../../domain/pools/pool-view';
import { payableMember, type PaymentsTestKit } from '../../payments/test-support';
import { authHeaders, testApp, tokenFor } from '../../test/support/api';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness';
import { uniqueId } from '../../test/support/env';
import type { Role } from '../auth';
import type { AppEnv } from '../context';
import { LOCAL_VIEW_TTL_MS } from './pool-access';
import { poolCacheKey } from '../../cache/keys';

const poolConfig = (overrides: Record<string, unknown> = {}) => ({
  kind: 'rotating',
  name: 'Route test pool',
  currency: 'eur',
  cadence: { type: 'weekly', dayOfWeek: 'friday', hourUtc: 18 },
  membersMin: 2,
  membersMax: 3,
  contributionMinor: 5_000,
  ...overrides,
});

describe('pool routes', () => {
  let h: ApiHarness;
  let app: Hono<AppEnv>;
  let client: Client;
  let kit: PaymentsTestKit;
  const alice = uniqueId('alice'); // manager of the pool under test
  const bob = uniqueId('bob'); // another manager
  let members: string[];
  let poolId: string;

  before(async () => {
    h = await startApiHarness();
    ({ app, client, kit } = h);
    members = [];
    for (let i = 0; i < 3; i++) {
      const { memberId } = await payableMember(kit);
      await kit.members.attachPaymentMethod(memberId, 'pm_card_visa');
      members.push(memberId);
    }
    const created = await request('POST', '/v1/pools', alice, 'manager', poolConfig());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    poolId = (created.body as PoolView).poolId;
  });

  after(async () => h.close());

  async function request(method: string, path: string, sub: string | null, role: Role, body?: unknown, headers: Record<string, string> = {}) {
    const base = sub === null ? {} : await authHeaders(sub, role);
    const response = await app.request(path, { method, headers: { ...base, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null, headers: response.headers };
  }
  const problem = (body: unknown) => body as { title: string; detail?: string; errors?: Array<{ field: string }> };

  describe('POST /v1/pools', () => {
    test('a manager creates a pool, which opens; Location points at it', async () => {
      const response = await request('POST', '/v1/pools', alice, 'manager', poolConfig({ name: 'Another' }));
      assert.equal(response.status, 201);
      const view = response.body as PoolView;
      assert.equal(view.status, 'open');
      assert.equal(view.managerId, alice);
      assert.equal(response.headers.get('location'), `/v1/pools/${view.poolId}`);
    });

    test('a pool its workflow has not yet opened is answered 202 with Retry-After, not 201: a join right after would find no pool', async () => {
      // An API whose pools task queue no worker polls: the pool is created but never opened.
      const stalled = testApp({ ...h.deps, poolsTaskQueue: uniqueId('no-worker'), poolOpenWaitMs: 300 });
      const response = await stalled.request('/v1/pools', {
        method: 'POST',
        headers: await authHeaders(alice, 'manager'),
        body: JSON.stringify(poolConfig({ name: 'Stalled' })),
      });
      assert.equal(response.status, 202);
      assert.equal(response.headers.get('retry-after'), '1');
      const view = (await response.json()) as PoolView;
      assert.equal(view.status, 'draft');
      assert.equal(view.config.name, 'Stalled');
      assert.equal(response.headers.get('location'), `/v1/pools/${view.poolId}`);
      assert.equal((await request('GET', `/v1/pools/${view.poolId}`, alice, 'manager')).status, 404, 'not readable yet: hence no 201');
      await client.workflow.getHandle(workflowIds.pool(view.poolId)).terminate('test over');
    });

    test('the same Idempotency-Key and body return the first response; another body is refused', async () => {
      const key = uniqueId('idem');
      const first = await request('POST', '/v1/pools', alice, 'manager', poolConfig({ name: 'Once' }), { 'idempotency-key': key });
      const again = await request('POST', '/v1/pools', alice, 'manager', poolConfig({ name: 'Once' }), { 'idempotency-key': key });
      assert.equal(again.status, 201);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal((again.body as PoolView).poolId, (first.body as PoolView).poolId);
      const other = await request('POST', '/v1/pools', alice, 'manager', poolConfig({ name: 'Twice' }), { 'idempotency-key': key });
      assert.equal(other.status, 422);
    });

    test('refusals: no token 401, a member 403, no Idempotency-Key 400, a bad config 422 naming the field', async () => {
      assert.equal(
        (await request('POST', '/v1/pools', null, 'manager', poolConfig(), { 'content-type': 'application/json', 'idempotency-key': uniqueId('k') })).status,
        401,
      );
      assert.equal((await request('POST', '/v1/pools', members[0]!, 'member', poolConfig())).status, 403);
      const noKey = await app.request('/v1/pools', {
        method: 'POST',
        headers: { authorization: `Bearer ${await tokenFor(alice, 'manager')}`, 'content-type': 'application/json' },
        body: JSON.stringify(poolConfig()),
      });
      assert.equal(noKey.status, 400);
      const bad = await request('POST', '/v1/pools', alice, 'manager', poolConfig({ contributionMinor: -5, currency: 'EUR' }));
      assert.equal(bad.status, 422);
      assert.deepEqual(
        problem(bad.body)
          .errors?.map((e) => e.field)
          .sort(),
        ['contributionMinor', 'currency'],
      );
    });
  });

  describe('reading pools', () => {
    test('GET /v1/pools lists only what the caller may see', async () => {
      const mine = (await request('GET', '/v1/pools', alice, 'manager')).body as { pools: PoolView[] };
      assert.ok(mine.pools.length >= 1 && mine.pools.every((p) => p.managerId === alice));
      const bobs = (await request('GET', '/v1/pools', bob, 'manager')).body as { pools: PoolView[] };
      assert.deepEqual(bobs.pools, []);
      const ops = (await request('GET', `/v1/pools?status=open&limit=100`, 'ops-1', 'ops')).body as { pools: PoolView[] };
      assert.ok(ops.pools.some((p) => p.poolId === poolId));
      assert.equal((await request('GET', '/v1/pools?limit=0', alice, 'manager')).status, 422);
      assert.equal((await request('GET', '/v1/pools?status=sleeping', alice, 'manager')).status, 422);
    });

    test('another manager, and a member not in the pool, are told it does not exist; ops may read', async () => {
      assert.equal((await request('GET', `/v1/pools/${poolId}`, alice, 'manager')).status, 200);
      assert.equal((await request('GET', `/v1/pools/${poolId}`, bob, 'manager')).status, 404);
      assert.equal((await request('GET', `/v1/pools/${poolId}`, uniqueId('stranger'), 'member')).status, 404);
      assert.equal((await request('GET', `/v1/pools/${poolId}`, 'ops-1', 'ops')).status, 200);
      assert.equal((await request('GET', `/v1/pools/no-such-pool`, alice, 'manager')).status, 404);
      assert.equal((await request('GET', `/v1/pools/${poolId}/ledger`, bob, 'manager')).status, 404);
      assert.equal((await request('GET', `/v1/pools/${poolId}/events`, bob, 'manager')).status, 404);
    });
  });

  describe('read freshness', () => {
    test('a projection written elsewhere shows within LOCAL_VIEW_TTL_MS; this instance sees its own writes at once', async () => {
      const created = (await request('POST', '/v1/pools', alice, 'manager', poolConfig({ name: 'Fresh' }))).body as PoolView;
      assert.equal(((await request('GET', `/v1/pools/${created.poolId}`, alice, 'manager')).body as PoolView).config.name, 'Fresh');
      // Another API instance's projection lands in Redis; this instance notices within its short TTL.
      const renamed = { ...created, config: { ...created.config, name: 'Renamed elsewhere' }, version: created.version + 100 };
      await h.redis.set(poolCacheKey(created.poolId), JSON.stringify(renamed), 'EX', 60);
      await new Promise((resolve) => setTimeout(resolve, LOCAL_VIEW_TTL_MS + 50));
      assert.equal(((await request('GET', `/v1/pools/${created.poolId}`, alice, 'manager')).body as PoolView).config.name, 'Renamed elsewhere');
    });
  });

  describe('membership and lifecycle', () => {
    test('members join for themselves; refusals name the reason; the lifecycle follows the rules per role', async () => {
      const [m1, m2, m3] = members as [string, string, string];
      const unpayable = uniqueId('nocard');
      assert.equal((await request('POST', `/v1/pools/${poolId}/members`, unpayable, 'member', { agreeToCharges: true })).status, 422, 'no saved card');
      assert.equal(
        (await request('POST', `/v1/pools/${poolId}/members`, m1, 'member', { memberId: m2, agreeToCharges: true })).status,
        403,
        'not for someone else',
      );
      assert.equal((await request('POST', `/v1/pools/${poolId}/invitations`, bob, 'manager', { memberId: m1 })).status, 404, 'cross-tenant');
      assert.equal((await request('POST', `/v1/pools/${poolId}/members`, m1, 'member', {})).status, 422, 'no agreement given');

      const joined = await request('POST', `/v1/pools/${poolId}/members`, m1, 'member', { agreeToCharges: true });
      assert.equal(joined.status, 201, JSON.stringify(joined.body));
      const twice = await request('POST', `/v1/pools/${poolId}/members`, m1, 'member', { agreeToCharges: true });
      assert.equal(twice.status, 409);
      assert.equal(problem(twice.body).title, 'AlreadyMember');

      assert.equal((await request('POST', `/v1/pools/${poolId}/activate`, alice, 'manager')).status, 409, 'too few members');
      assert.equal(
        (await request('POST', `/v1/pools/${poolId}/members`, alice, 'manager', { memberId: m2, agreeToCharges: true })).status,
        403,
        'a manager cannot add a member',
      );
      assert.equal((await request('POST', `/v1/pools/${poolId}/invitations`, alice, 'manager', { memberId: m2 })).status, 201, 'the manager invites a member');
      assert.equal((await request('POST', `/v1/pools/${poolId}/members`, m2, 'member', { agreeToCharges: true })).status, 201, 'who accepts');
      assert.equal((await request('DELETE', `/v1/pools/${poolId}/members/${m2}`, m2, 'member')).status, 200, 'a member leaves an open pool');
      assert.equal((await request('POST', `/v1/pools/${poolId}/members`, m2, 'member', { agreeToCharges: true })).status, 201);
      assert.equal((await request('POST', `/v1/pools/${poolId}/members`, m3, 'member', { agreeToCharges: true })).status, 201);

      // The member is now in the pool and may read it, but not steer it.
      assert.equal((await request('GET', `/v1/pools/${poolId}`, m1, 'member')).status, 200);
      assert.equal((await request('POST', `/v1/pools/${poolId}/activate`, m1, 'member')).status, 403);
      assert.equal((await request('POST', `/v1/pools/${poolId}/activate`, 'ops-1', 'ops')).status, 403, 'ops steer but do not manage');
      assert.equal((await request('POST', `/v1/pools/${poolId}/rounds`, alice, 'manager')).status, 409, 'no rounds before activation');

      const active = await request('POST', `/v1/pools/${poolId}/activate`, alice, 'manager');
      assert.equal(active.status, 200, JSON.stringify(active.body));
      assert.equal((active.body as PoolView).status, 'active');
      assert.equal(
        (await request('POST', `/v1/pools/${poolId}/members`, uniqueId('late'), 'member', { agreeToCharges: true })).status,
        404,
        'an active pool is no invitation',
      );
      assert.equal((await request('POST', `/v1/pools/${poolId}/activate`, alice, 'manager')).status, 409, 'already active');

      const paused = await request('POST', `/v1/pools/${poolId}/pause`, 'ops-1', 'ops', { reason: 'bank holiday' });
      assert.equal((paused.body as PoolView).status, 'paused');
      const schedule = await client.schedule.getHandle(`pool/${poolId}/schedule`).describe();
      assert.equal(schedule.state.paused, true, 'pausing the pool pauses its schedule');
      assert.equal((await request('POST', `/v1/pools/${poolId}/pause`, alice, 'manager')).status, 409, 'already paused');
      assert.equal(((await request('POST', `/v1/pools/${poolId}/resume`, 'ops-1', 'ops')).body as PoolView).status, 'active');
      assert.equal((await request('POST', `/v1/pools/${poolId}/cancel`, 'ops-1', 'ops')).status, 403, 'only the manager cancels');

      assert.equal((await request('GET', `/v1/pools/${poolId}/rounds/7`, alice, 'manager')).status, 404, 'round not started');
      assert.equal((await request('GET', `/v1/pools/${poolId}/rounds/x`, alice, 'manager')).status, 422);
      assert.equal(
        (await request('POST', `/v1/pools/${poolId}/rounds/1/bids`, m1, 'member', { discountMinor: 100 })).status,
        409,
        'no bidding in a fixed-order pool',
      );

      const ledger = await request('GET', `/v1/pools/${poolId}/ledger`, m1, 'member');
      assert.equal(ledger.status, 200);
      assert.equal((ledger.body as { invariants: { balanced: boolean } }).invariants.balanced, true);

      const cancelled = await request('POST', `/v1/pools/${poolId}/cancel`, alice, 'manager', { reason: 'test over' });
      assert.equal((cancelled.body as PoolView).status, 'cancelled');
      assert.equal((await request('POST', `/v1/pools/${poolId}/resume`, alice, 'manager')).status, 409);
    });
  });

  describe('members/me', () => {
    test('only members have a profile; input is validated', async () => {
      assert.equal((await request('PUT', '/v1/members/me', alice, 'manager', { displayName: 'A', email: 'a@example.com' })).status, 403);
      assert.equal((await request('PUT', '/v1/members/me', uniqueId('m'), 'member', { displayName: 'A', email: 'not-an-email' })).status, 422);
      assert.equal((await request('POST', '/v1/members/me/payment-methods', uniqueId('m'), 'member', { paymentMethodId: 'card_123' })).status, 422);
      assert.equal(
        (await request('POST', '/v1/members/me/payment-methods', uniqueId('m'), 'member', { paymentMethodId: 'pm_card_visa' })).status,
        409,
        'profile first',
      );
      const me = uniqueId('m');
      const profile = await request('PUT', '/v1/members/me', me, 'member', { displayName: 'Meron', email: `${me}@example.com` });
      assert.equal(profile.status, 200);
      assert.match((profile.body as { stripeCustomerId: string }).stripeCustomerId, /^cus_/);
      assert.equal((await request('POST', '/v1/members/me/payment-methods', me, 'member', { paymentMethodId: 'pm_card_visa' })).status, 201);
    });
  });
});
