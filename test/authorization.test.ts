// Who may do what, decided from the database: every /v1 route × role × relation to the pool (own,
// another tenant's, a former member), on the dev server with a real worker. Also the attacks around it:
// a view forged in Redis grants nothing, a member who leaves loses an open event stream, and only the
// member themselves (and ops) see their Stripe object IDs and failure codes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Role } from '../api/auth';
import { LOCAL_VIEW_TTL_MS } from '../api/pools/pool-access';
import { PRODUCT_PREFIXES } from '../api/products';
import type { PoolView } from '../domain/pools/pool-view';
import { payableMember } from './support/payments-kit';
import { authHeaders } from './support/api';
import { startApiHarness, type ApiHarness } from './support/api-harness';
import { uniqueId } from './support/env';
import { eventually } from './support/eventually';
import { poolCacheKey } from '../cache/keys';

type Outcome = 'allowed' | 'forbidden' | 'hidden';
type Caller = 'managerOwn' | 'managerOther' | 'memberOwn' | 'memberOther' | 'formerMember' | 'ops';
type Rule = 'read' | 'manage' | 'steer' | 'accept' | 'bid' | 'anyone' | 'managers' | 'members' | 'ops' | 'recipients';

const CALLERS: Caller[] = ['managerOwn', 'managerOther', 'memberOwn', 'memberOther', 'formerMember', 'ops'];
const ROLE_OF: Record<Caller, Role> = {
  managerOwn: 'manager',
  managerOther: 'manager',
  memberOwn: 'member',
  memberOther: 'member',
  formerMember: 'member',
  ops: 'ops',
};

/** What each rule lets each caller do with the pool under test (own = the caller's own pool or membership). */
function expected(rule: Rule, caller: Caller): Outcome {
  const outsider = caller === 'managerOther' || caller === 'memberOther' || caller === 'formerMember';
  switch (rule) {
    case 'anyone':
      return 'allowed';
    case 'managers':
      return ROLE_OF[caller] === 'manager' ? 'allowed' : 'forbidden';
    case 'members':
      return ROLE_OF[caller] === 'member' ? 'allowed' : 'forbidden';
    case 'ops':
      return caller === 'ops' ? 'allowed' : 'forbidden';
    case 'recipients':
      return caller === 'ops' ? 'forbidden' : 'allowed';
    case 'read':
      return outsider ? 'hidden' : 'allowed';
    case 'manage':
      return outsider ? 'hidden' : caller === 'managerOwn' ? 'allowed' : 'forbidden';
    case 'steer':
      return outsider ? 'hidden' : caller === 'managerOwn' || caller === 'ops' ? 'allowed' : 'forbidden';
    case 'accept':
    case 'bid':
      return outsider ? 'hidden' : caller === 'memberOwn' ? 'allowed' : 'forbidden';
  }
}

/** Every /v1 route (Hono's path syntax), the rule it follows, and a body refused only after authorization. */
const MATRIX: Array<{ method: string; path: string; rule: Rule; body?: string }> = [
  { method: 'POST', path: '/v1/pools', rule: 'managers', body: '{"unexpected":1}' },
  { method: 'GET', path: '/v1/pools', rule: 'anyone' },
  { method: 'GET', path: '/v1/pools/:poolId', rule: 'read' },
  { method: 'POST', path: '/v1/pools/:poolId/members', rule: 'accept', body: '{"unexpected":1}' },
  { method: 'POST', path: '/v1/pools/:poolId/invitations', rule: 'manage', body: '{"unexpected":1}' },
  { method: 'DELETE', path: '/v1/pools/:poolId/members/:memberId', rule: 'manage' },
  { method: 'POST', path: '/v1/pools/:poolId/members/:memberId/replace', rule: 'manage', body: '{"unexpected":1}' },
  { method: 'POST', path: '/v1/pools/:poolId/activate', rule: 'manage' },
  { method: 'POST', path: '/v1/pools/:poolId/pause', rule: 'steer', body: '{"unexpected":1}' },
  { method: 'POST', path: '/v1/pools/:poolId/resume', rule: 'steer' },
  { method: 'POST', path: '/v1/pools/:poolId/cancel', rule: 'manage', body: '{"unexpected":1}' },
  { method: 'POST', path: '/v1/pools/:poolId/distributions', rule: 'manage', body: '{"unexpected":1}' },
  { method: 'POST', path: '/v1/pools/:poolId/rounds', rule: 'steer' },
  { method: 'GET', path: '/v1/pools/:poolId/rounds/:round', rule: 'read' },
  { method: 'POST', path: '/v1/pools/:poolId/rounds/:round/bids', rule: 'bid', body: '{"unexpected":1}' },
  { method: 'GET', path: '/v1/pools/:poolId/ledger', rule: 'read' },
  { method: 'GET', path: '/v1/pools/:poolId/events', rule: 'read' },
  { method: 'PUT', path: '/v1/members/me', rule: 'members', body: '{"unexpected":1}' },
  { method: 'POST', path: '/v1/members/me/payment-methods', rule: 'members', body: '{"unexpected":1}' },
  { method: 'POST', path: '/v1/members/me/payout-account', rule: 'members', body: '{"unexpected":1}' },
  { method: 'GET', path: '/v1/members/me/invitations', rule: 'members' },
  { method: 'POST', path: '/v1/probes', rule: 'ops', body: '{"unexpected":1}' },
  { method: 'GET', path: '/v1/audit', rule: 'ops' },
  // Notifications: validated before authorization (contract routes), so the bodies are valid ones.
  { method: 'GET', path: '/v1/notifications', rule: 'recipients' },
  { method: 'POST', path: '/v1/notifications/:notificationId/read', rule: 'recipients' },
  { method: 'GET', path: '/v1/notifications/events', rule: 'recipients' },
  { method: 'GET', path: '/v1/notifications/preferences', rule: 'anyone' },
  { method: 'PUT', path: '/v1/notifications/preferences', rule: 'anyone', body: '{"language":"en","channels":{"email":true},"muteReminders":false}' },
  { method: 'GET', path: '/v1/notifications/deliveries', rule: 'ops' },
  { method: 'GET', path: '/v1/notifications/pools/:poolId/settings', rule: 'read' },
  { method: 'PUT', path: '/v1/notifications/pools/:poolId/settings', rule: 'manage', body: '{"reminderLeadHours":[24]}' },
  { method: 'POST', path: '/v1/notifications/webhook-endpoints', rule: 'managers', body: '{"url":"https://hooks.example.com/m","eventTypes":["pool.paused"]}' },
  { method: 'GET', path: '/v1/notifications/webhook-endpoints', rule: 'managers' },
  { method: 'GET', path: '/v1/notifications/webhook-endpoints/:endpointId', rule: 'managers' },
  { method: 'PUT', path: '/v1/notifications/webhook-endpoints/:endpointId', rule: 'managers', body: '{"enabled":false}' },
  { method: 'POST', path: '/v1/notifications/webhook-endpoints/:endpointId/rotate-secret', rule: 'managers' },
  { method: 'GET', path: '/v1/notifications/webhook-endpoints/:endpointId/deliveries', rule: 'managers' },
];

describe('authorization', () => {
  let h: ApiHarness;
  before(async () => (h = await startApiHarness()));
  after(async () => h.close());

  async function send(method: string, path: string, sub: string, role: Role, body?: string) {
    const response = await h.app.request(path, { method, headers: await authHeaders(sub, role), body });
    // An event stream the caller may read stays open: its status is all this needs.
    const text = response.headers.get('content-type')?.startsWith('text/event-stream') ? (await response.body?.cancel(), '') : await response.text();
    return { status: response.status, text };
  }
  async function ok<T>(method: string, path: string, sub: string, role: Role, body?: unknown): Promise<T> {
    const response = await send(method, path, sub, role, body === undefined ? undefined : JSON.stringify(body));
    assert.ok(response.status < 300, `${method} ${path} → ${response.status} ${response.text}`);
    return JSON.parse(response.text) as T;
  }
  const outcome = (status: number, text: string): Outcome =>
    status === 403 ? 'forbidden' : status === 404 && text.includes('no such pool') ? 'hidden' : status === 401 ? ('unauthenticated' as Outcome) : 'allowed';
  async function cardHolder(): Promise<string> {
    const { memberId } = await payableMember(h.kit);
    await h.kit.members.attachPaymentMethod(memberId, 'pm_card_visa');
    return memberId;
  }
  const rotating = (name: string, size = 3) => ({
    kind: 'rotating',
    name,
    currency: 'usd',
    cadence: { type: 'interval', every: 30, unit: 'days' },
    gracePeriodHours: 1,
    membersMin: 2,
    membersMax: size,
    contributionMinor: 5_000,
  });

  test("every route × role × own pool / another tenant's / former member", async () => {
    // Every pools route, and only routes the app has; the products' routes (assessments, simulations, …)
    // have access tests of their own, and may be in the matrix too.
    const product = (path: string) => PRODUCT_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
    const routes = new Set(
      h.app.routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/v1/') && !r.path.startsWith('/v1/webhooks/')).map((r) => `${r.method} ${r.path}`),
    );
    const listed = new Set(MATRIX.map((r) => `${r.method} ${r.path}`));
    assert.deepEqual(
      { unlisted: [...routes].filter((r) => !listed.has(r) && !product(r.split(' ')[1]!)).sort(), missing: [...listed].filter((r) => !routes.has(r)).sort() },
      { unlisted: [], missing: [] },
      'the matrix covers every pools route, and only routes the app has',
    );

    const subjects: Record<Caller, string> = {
      managerOwn: uniqueId('mgr'),
      managerOther: uniqueId('mgr-other'),
      memberOwn: await cardHolder(),
      memberOther: await cardHolder(),
      formerMember: await cardHolder(),
      ops: uniqueId('ops'),
    };
    const bystander = await cardHolder();
    const pool = await ok<PoolView>('POST', '/v1/pools', subjects.managerOwn, 'manager', rotating('Own'));
    for (const m of [subjects.memberOwn, bystander, subjects.formerMember])
      await ok('POST', `/v1/pools/${pool.poolId}/members`, m, 'member', { agreeToCharges: true });
    await ok('DELETE', `/v1/pools/${pool.poolId}/members/${subjects.formerMember}`, subjects.formerMember, 'member');
    const other = await ok<PoolView>('POST', '/v1/pools', subjects.managerOther, 'manager', rotating('Other'));
    await ok('POST', `/v1/pools/${other.poolId}/members`, subjects.memberOther, 'member', { agreeToCharges: true });
    // Ended, so that every command the caller may give is refused by the pool after authorization.
    await ok('POST', `/v1/pools/${pool.poolId}/cancel`, subjects.managerOwn, 'manager');
    await eventually('the cancelled pool to be projected', async () =>
      (await ok<PoolView>('GET', `/v1/pools/${pool.poolId}`, subjects.managerOwn, 'manager')).status === 'cancelled' ? true : undefined,
    );

    const wrong: string[] = [];
    for (const route of MATRIX) {
      const path = route.path.replace(':poolId', pool.poolId).replace(':memberId', bystander).replace(':round', '1');
      for (const caller of CALLERS) {
        const { status, text } = await send(route.method, path, subjects[caller], ROLE_OF[caller], route.body);
        const want = expected(route.rule, caller);
        if (outcome(status, text) !== want) wrong.push(`${route.method} ${route.path} as ${caller}: expected ${want}, got ${status} ${text.slice(0, 160)}`);
      }
    }
    assert.deepEqual(wrong, []);

    // Lists show a pool to those who may read it, and to nobody else.
    for (const caller of CALLERS) {
      const { pools } = await ok<{ pools: PoolView[] }>('GET', '/v1/pools?limit=100', subjects[caller], ROLE_OF[caller]);
      assert.equal(
        pools.some((p) => p.poolId === pool.poolId),
        expected('read', caller) === 'allowed',
        `GET /v1/pools as ${caller}`,
      );
    }
    assert.equal(
      (await send('DELETE', `/v1/pools/${pool.poolId}/members/${subjects.formerMember}`, subjects.formerMember, 'member')).status,
      404,
      'a former member cannot even leave again',
    );
  });

  test('a view forged in the Redis cache grants nothing: access comes from the database', async () => {
    const manager = uniqueId('mgr');
    const intruder = uniqueId('intruder');
    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', rotating('Forged'));
    const forged: PoolView = {
      ...pool,
      managerId: intruder,
      members: [
        {
          memberId: intruder,
          status: 'active',
          joinSeq: 1,
          commitmentMinor: null,
          paidInMinor: '0',
          arrearsMinor: '0',
          received: false,
          replacedMemberId: null,
        },
      ],
    };
    await h.redis.set(poolCacheKey(pool.poolId), JSON.stringify(forged), 'EX', 60);
    // Past the process's own short-lived copy, so the forged view is what a read finds.
    await new Promise((resolve) => setTimeout(resolve, LOCAL_VIEW_TTL_MS + 50));
    assert.equal((await ok<PoolView>('GET', `/v1/pools/${pool.poolId}`, manager, 'manager')).managerId, intruder, 'the cache does serve the forged view');
    assert.equal((await send('GET', `/v1/pools/${pool.poolId}`, intruder, 'member')).status, 404);
    assert.equal((await send('GET', `/v1/pools/${pool.poolId}/ledger`, intruder, 'manager')).status, 404);
    assert.equal((await send('POST', `/v1/pools/${pool.poolId}/cancel`, intruder, 'manager', '{}')).status, 404);
  });

  test('a member who leaves loses an open event stream', async () => {
    const manager = uniqueId('mgr');
    const [leaver, stays] = [await cardHolder(), await cardHolder()];
    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', rotating('Stream'));
    for (const m of [leaver, stays]) await ok('POST', `/v1/pools/${pool.poolId}/members`, m, 'member', { agreeToCharges: true });
    const stream = await h.app.request(`/v1/pools/${pool.poolId}/events`, { headers: await authHeaders(leaver, 'member') });
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    await reader.read(); // the current view
    const leftAt = Date.now();
    await ok('DELETE', `/v1/pools/${pool.poolId}/members/${leaver}`, leaver, 'member');
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return Date.now() - leftAt;
    })();
    const timeout = new Promise<number>((_, reject) => setTimeout(() => reject(new Error('the stream stayed open after the member left')), 15_000));
    const afterMs = await Promise.race([ended, timeout]);
    assert.ok(afterMs < 15_000);
  });

  test("only the member and ops see a member's PaymentIntent ID and failure code; others see the outcome", async () => {
    const manager = uniqueId('mgr');
    const [m1, m2] = [await cardHolder(), await cardHolder()];
    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', rotating('Private', 2));
    for (const m of [m1, m2]) await ok('POST', `/v1/pools/${pool.poolId}/members`, m, 'member', { agreeToCharges: true });
    await ok('POST', `/v1/pools/${pool.poolId}/activate`, manager, 'manager');
    await ok('POST', `/v1/pools/${pool.poolId}/rounds`, manager, 'manager');
    await eventually(
      'the round to finish',
      async () => ((await ok<PoolView>('GET', `/v1/pools/${pool.poolId}`, manager, 'manager')).roundsCompleted === 1 ? true : undefined),
      60_000,
    );
    type Round = { contributions: Array<{ memberId: string; outcome: string; paymentIntentId: string | null }> };
    const seenBy = async (sub: string, role: Role) => (await ok<Round>('GET', `/v1/pools/${pool.poolId}/rounds/1`, sub, role)).contributions;
    const asOps = await seenBy(uniqueId('ops'), 'ops');
    assert.ok(
      asOps.every((c) => c.paymentIntentId?.startsWith('pi_')),
      JSON.stringify(asOps),
    );
    const asM1 = await seenBy(m1, 'member');
    assert.ok(asM1.find((c) => c.memberId === m1)!.paymentIntentId?.startsWith('pi_'));
    assert.equal(asM1.find((c) => c.memberId === m2)!.paymentIntentId, null);
    const asManager = await seenBy(manager, 'manager');
    assert.deepEqual(
      asManager.map((c) => [c.outcome, c.paymentIntentId]),
      [
        ['paid', null],
        ['paid', null],
      ],
    );
  });
});
