// Every pools route (and the public health, docs and webhook routes) answers as GET /openapi.json says:
// each real response of a happy and an error path, through the whole app on the dev server, is
// checked against the generated document's schema for its route and status.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Role } from '../api/auth';
import { PRODUCT_PREFIXES } from '../api/products';
import type { PoolView } from '../domain/pools/pool-view';
import { payableMember, TEST_WEBHOOK_SECRET } from './support/payments-kit';
import { authHeaders } from './support/api';
import { startApiHarness, type ApiHarness } from './support/api-harness';
import { contractChecker, templateOf, type Document } from './support/contract';
import { uniqueId } from './support/env';

const WAIT_MS = 60_000;
const METHODS = ['get', 'post', 'put', 'delete'];

describe('pools API contract', () => {
  let h: ApiHarness;
  let document: Document;
  let check: ReturnType<typeof contractChecker>;
  /** `METHOD template` → the statuses whose responses were checked. */
  const checked = new Map<string, Set<number>>();

  before(async () => {
    h = await startApiHarness();
    document = (await (await h.app.request('/openapi.json')).json()) as Document;
    check = contractChecker(document);
  });
  after(async () => h.close());

  /** Sends a request, checks its response against the document, and returns its status and body. */
  async function send<T = unknown>(
    method: string,
    path: string,
    caller: [string, Role] | null,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const auth = caller ? await authHeaders(...caller) : {};
    const response = await h.app.request(path, {
      method,
      headers: { ...auth, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const template = templateOf(document, method.toLowerCase(), path);
    assert.ok(template, `${method} ${path} matches no documented route`);
    if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
      await response.body?.cancel();
      record(method, template, response.status);
      return { status: response.status, body: undefined as T };
    }
    const parsed = (await check(method.toLowerCase(), template, response)) as T;
    record(method, template, response.status);
    return { status: response.status, body: parsed };
  }
  const record = (method: string, template: string, status: number) => {
    const key = `${method.toUpperCase()} ${template}`;
    checked.set(key, (checked.get(key) ?? new Set()).add(status));
  };
  async function expect<T = unknown>(status: number, ...args: Parameters<typeof send>): Promise<T> {
    const response = await send<T>(...args);
    assert.equal(response.status, status, `${args[0]} ${args[1]} → ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }
  async function waitFor(poolId: string, manager: [string, Role], ready: (view: PoolView) => boolean): Promise<PoolView> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const view = await expect<PoolView>(200, 'GET', `/v1/pools/${poolId}`, manager);
      if (ready(view)) return view;
      assert.ok(Date.now() < deadline, `never reached: ${JSON.stringify(view).slice(0, 300)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  /** A member with a profile, a saved card and a payout account (not yet onboarded), made through the API itself. */
  async function memberThroughApi(): Promise<[string, Role]> {
    const member: [string, Role] = [uniqueId('member'), 'member'];
    await expect(409, 'POST', '/v1/members/me/payment-methods', member, { paymentMethodId: 'pm_card_visa' });
    await expect(200, 'PUT', '/v1/members/me', member, { displayName: 'Contract Member', email: `${member[0]}@example.com` });
    await expect(201, 'POST', '/v1/members/me/payment-methods', member, { paymentMethodId: 'pm_card_visa' });
    await expect(201, 'POST', '/v1/members/me/payout-account', member, {
      country: 'US',
      returnUrl: 'https://example.com/done',
      refreshUrl: 'https://example.com/again',
    });
    return member;
  }
  async function payingMember(): Promise<[string, Role]> {
    const { memberId } = await payableMember(h.kit);
    await h.kit.members.attachPaymentMethod(memberId, 'pm_card_visa');
    return [memberId, 'member'];
  }
  const rotating = {
    kind: 'rotating',
    name: 'Contract pool',
    currency: 'usd',
    cadence: { type: 'interval', every: 30, unit: 'days' },
    gracePeriodHours: 1,
    membersMin: 2,
    membersMax: 2,
    contributionMinor: 5_000,
  };

  test('public routes: health, readiness, the document, the docs page and the Stripe webhook', async () => {
    await expect(200, 'GET', '/healthz', null);
    await expect(200, 'GET', '/readyz', null);
    await expect(200, 'GET', '/openapi.json', null);
    await expect(200, 'GET', '/docs', null);
    await expect(400, 'POST', '/v1/webhooks/stripe', null, '{}', { 'content-type': 'application/json' });
    const event = JSON.stringify({
      id: `evt_${uniqueId('contract')}`,
      object: 'event',
      type: 'customer.created',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      data: { object: { id: 'cus_contract', object: 'customer' } },
    });
    const signature = h.kit.stripe.webhooks.generateTestHeaderString({ payload: event, secret: TEST_WEBHOOK_SECRET });
    await expect(200, 'POST', '/v1/webhooks/stripe', null, event, { 'content-type': 'application/json', 'stripe-signature': signature });
  });

  test('a rotating pool through every lifecycle, member and round route, and their refusals', async () => {
    const manager: [string, Role] = [uniqueId('mgr'), 'manager'];
    const stranger: [string, Role] = [uniqueId('mgr-other'), 'manager'];
    const ops: [string, Role] = [uniqueId('ops'), 'ops'];
    await expect(401, 'GET', '/v1/pools', null);
    await expect(403, 'POST', '/v1/pools', [uniqueId('m'), 'member'], rotating);
    await expect(422, 'POST', '/v1/pools', manager, { ...rotating, contributionMinor: '12.5' });
    await expect(415, 'POST', '/v1/pools', manager, JSON.stringify(rotating), { 'content-type': 'text/plain' });
    await expect(400, 'POST', '/v1/pools', manager, '{"kind":', {});
    const pool = await expect<PoolView>(201, 'POST', '/v1/pools', manager, rotating);
    const at = (suffix = '') => `/v1/pools/${pool.poolId}${suffix}`;
    await expect(200, 'GET', '/v1/pools?limit=5', manager);
    await expect(422, 'GET', '/v1/pools?limit=0', manager);
    await expect(200, 'GET', at(), manager);
    await expect(404, 'GET', at(), stranger);

    // Onboarded by the sandbox (payoutsEnabled), so that the round's payout goes through.
    const first = await payingMember();
    const second = await payingMember();
    await memberThroughApi();
    const invited = await payingMember();
    await expect(403, 'PUT', '/v1/members/me', manager, { displayName: 'x', email: 'x@example.com' });
    await expect(422, 'PUT', '/v1/members/me', first, { displayName: '', email: 'not an email' });
    await expect(422, 'POST', '/v1/members/me/payment-methods', first, { paymentMethodId: 'card' });
    await expect(403, 'POST', '/v1/members/me/payout-account', manager, { returnUrl: 'https://example.com/a', refreshUrl: 'https://example.com/b' });
    await expect(201, 'POST', at('/invitations'), manager, { memberId: invited[0] });
    await expect(422, 'POST', at('/invitations'), manager, { memberId: 'not valid' });
    await expect(403, 'POST', at('/invitations'), ops, { memberId: invited[0] });
    await expect(200, 'GET', '/v1/members/me/invitations', invited);
    await expect(403, 'GET', '/v1/members/me/invitations', manager);

    await expect(422, 'POST', at('/members'), first, {});
    await expect(403, 'POST', at('/members'), manager, { agreeToCharges: true });
    await expect(201, 'POST', at('/members'), invited, { agreeToCharges: true });
    await expect(200, 'DELETE', at(`/members/${invited[0]}`), invited);
    await expect(404, 'DELETE', at(`/members/${invited[0]}`), stranger);
    await expect(201, 'POST', at('/members'), first, { agreeToCharges: true });
    await expect(409, 'POST', at('/activate'), manager);
    await expect(201, 'POST', at('/members'), second, { agreeToCharges: true });
    await expect(403, 'POST', at('/activate'), first);
    await expect(200, 'POST', at('/activate'), manager);

    await expect(403, 'POST', at('/pause'), first, { reason: 'no' });
    await expect(422, 'POST', at('/pause'), manager, { reason: 1 });
    await expect(200, 'POST', at('/pause'), manager, { reason: 'a look at the books' });
    await expect(409, 'POST', at('/rounds'), manager);
    await expect(200, 'POST', at('/resume'), ops);
    await expect(409, 'POST', at('/resume'), ops);

    const replacement = await payingMember();
    await expect(409, 'POST', at(`/members/${first[0]}/replace`), manager, { incomingMemberId: second[0] });
    await expect(202, 'POST', at(`/members/${first[0]}/replace`), manager, { incomingMemberId: replacement[0] });

    await expect(422, 'POST', at('/rounds'), manager, { round: 0 });
    await expect(202, 'POST', at('/rounds'), manager, { round: 1 });
    await expect(409, 'POST', at('/rounds'), ops, { round: 1 });
    await expect(422, 'GET', at('/rounds/0'), manager);
    await expect(404, 'GET', at('/rounds/99'), manager);
    await expect(200, 'GET', at('/rounds/1'), first);
    await waitFor(pool.poolId, manager, (v) => v.roundsCompleted === 1);
    await expect(200, 'GET', at('/rounds/1'), manager);
    await expect(200, 'GET', at('/ledger'), ops);
    await expect(404, 'GET', at('/ledger'), stranger);
    await expect(200, 'GET', at('/events'), manager, undefined, { 'last-event-id': '1' });
    await expect(400, 'GET', at('/events'), manager, undefined, { 'last-event-id': 'x' });

    await expect(409, 'POST', at('/distributions'), manager, { amountMinor: '100' });
    await expect(422, 'POST', at('/rounds/1/bids'), first, { discountMinor: 'lots' });
    await expect(403, 'POST', at('/rounds/2/bids'), manager, { discountMinor: '100' });
    await expect(403, 'POST', at('/cancel'), ops);
    await expect(200, 'POST', at('/cancel'), manager);
    await expect(409, 'POST', at('/cancel'), manager, { reason: 'again' });
  });

  test('bids in a bid pool and a distribution from an investment pool', async () => {
    const manager: [string, Role] = [uniqueId('mgr'), 'manager'];
    const [m1, m2] = [await payingMember(), await payingMember()];
    const bidPool = await expect<PoolView>(201, 'POST', '/v1/pools', manager, { ...rotating, name: 'Chit', payoutOrder: 'bid' });
    for (const m of [m1, m2]) await expect(201, 'POST', `/v1/pools/${bidPool.poolId}/members`, m, { agreeToCharges: true });
    await expect(200, 'POST', `/v1/pools/${bidPool.poolId}/activate`, manager);
    await expect(202, 'POST', `/v1/pools/${bidPool.poolId}/rounds`, manager);
    await waitFor(bidPool.poolId, manager, (v) => v.bidding?.round === 1);
    await expect(201, 'POST', `/v1/pools/${bidPool.poolId}/rounds/1/bids`, m1, { discountMinor: '500' });
    await expect(200, 'POST', `/v1/pools/${bidPool.poolId}/cancel`, manager, { reason: 'done' });

    const fund = await expect<PoolView>(201, 'POST', '/v1/pools', manager, {
      ...rotating,
      kind: 'investment',
      name: 'Fund',
      contributionMinor: undefined,
      capitalCallBps: 5_000,
    });
    for (const m of [m1, m2]) await expect(201, 'POST', `/v1/pools/${fund.poolId}/members`, m, { agreeToCharges: true, commitmentMinor: '10000' });
    await expect(200, 'POST', `/v1/pools/${fund.poolId}/activate`, manager);
    await expect(202, 'POST', `/v1/pools/${fund.poolId}/rounds`, manager);
    await waitFor(fund.poolId, manager, (v) => v.roundsCompleted === 1);
    await expect(422, 'POST', `/v1/pools/${fund.poolId}/distributions`, manager, { amountMinor: '0' });
    await expect(202, 'POST', `/v1/pools/${fund.poolId}/distributions`, manager, { amountMinor: '1000' });
  });

  test('probes and the audit trail, for operations only', async () => {
    const ops: [string, Role] = [uniqueId('ops'), 'ops'];
    await expect(201, 'POST', '/v1/probes', ops, { message: 'contract' });
    await expect(422, 'POST', '/v1/probes', ops, { message: '' });
    await expect(403, 'POST', '/v1/probes', [uniqueId('mgr'), 'manager'], { message: 'no' });
    await expect(200, 'GET', '/v1/audit?limit=5', ops);
    await expect(422, 'GET', '/v1/audit?limit=0', ops);
    await expect(403, 'GET', '/v1/audit', [uniqueId('mgr'), 'manager']);
  });

  test('every pools route was answered in success and in refusal, each checked against the document', () => {
    const product = (path: string) => PRODUCT_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
    const routes = Object.entries(document.paths).flatMap(([path, item]) =>
      product(path) ? [] : METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const missing = routes.flatMap((route) => {
      const statuses = [...(checked.get(route) ?? [])];
      const public_ = ['GET /healthz', 'GET /readyz', 'GET /openapi.json', 'GET /docs'].includes(route);
      return [
        ...(statuses.some((s) => s < 300) ? [] : [`${route}: no success`]),
        ...(public_ || statuses.some((s) => s >= 400) ? [] : [`${route}: no refusal`]),
      ];
    });
    assert.deepEqual(missing, []);
  });
});
