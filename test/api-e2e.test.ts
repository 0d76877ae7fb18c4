// A whole rotating pool driven through the HTTP API alone, on the dev server in real time: a manager
// creates it, five members register cards and payout accounts and join, it is activated, rounds run by
// trigger through its Temporal Schedule, the Stripe sandbox settles charges with signed webhooks, every
// member is paid once, the ledger route shows balanced books, and the event stream delivered every
// change in order.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { serve, type ServerType } from '@hono/node-server';
import type { Role } from '../api/auth';
import type { PoolView } from '../domain/pools/pool-view';
import type { PaymentsTestKit } from './support/payments-kit';
import { tokenFor } from './support/api';
import { startApiHarness, type ApiHarness } from './support/api-harness';
import { uniqueId } from './support/env';

const MEMBERS = 5;
const WAIT_MS = 60_000;

describe('a rotating pool through the API alone', () => {
  let h: ApiHarness;
  let kit: PaymentsTestKit;
  let server: ServerType;
  let baseUrl: string;

  before(async () => {
    // Processing charges settle 300 ms later, by webhook, like bank debits do over days.
    h = await startApiHarness({ settlementDelayMs: 300 });
    kit = h.kit;
    server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await kit.control.addWebhookEndpoint({ url: `${baseUrl}/v1/webhooks/stripe`, secretKey: kit.secretKey });
  });

  after(async () => {
    server.close();
    await h.close();
  });

  async function call<T>(method: string, path: string, sub: string, role: Role, body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { authorization: `Bearer ${await tokenFor(sub, role)}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method === 'POST') headers['idempotency-key'] = uniqueId('idem');
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as T };
  }

  async function expectOk<T>(method: string, path: string, sub: string, role: Role, body?: unknown): Promise<T> {
    const response = await call<T>(method, path, sub, role, body);
    assert.ok(response.status < 300, `${method} ${path} → ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  async function waitForPool(poolId: string, manager: string, ready: (view: PoolView) => boolean): Promise<PoolView> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const view = await expectOk<PoolView>('GET', `/v1/pools/${poolId}`, manager, 'manager');
      if (ready(view)) return view;
      assert.ok(Date.now() < deadline, `pool never reached the awaited state: ${JSON.stringify(view).slice(0, 400)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Reads the pool's event stream until the pool completes; returns the versions and statuses seen. */
  async function collectEvents(poolId: string, manager: string): Promise<Array<{ id: number; status: string }>> {
    const response = await fetch(`${baseUrl}/v1/pools/${poolId}/events`, { headers: { authorization: `Bearer ${await tokenFor(manager, 'manager')}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const events: Array<{ id: number; status: string }> = [];
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: ?(\d+)$/m.exec(block)?.[1];
        const data = /^data: ?(.*)$/m.exec(block)?.[1];
        if (!id || !data) continue;
        const view = JSON.parse(data) as PoolView;
        events.push({ id: Number(id), status: view.status });
        if (view.status === 'completed') {
          await reader.cancel();
          return events;
        }
      }
    }
    return events;
  }

  test('manager creates, members join and pay, rounds run by trigger, everyone is paid once', async () => {
    const manager = uniqueId('manager');
    const members = Array.from({ length: MEMBERS }, () => uniqueId('member'));

    for (const [index, member] of members.entries()) {
      await expectOk('PUT', '/v1/members/me', member, 'member', { displayName: `Member ${index + 1}`, email: `${member}@example.com` });
      // Two members pay by a method that settles later, so their rounds wait for Stripe's webhook.
      const card = index < 2 ? 'pm_card_sandbox_processing' : 'pm_card_visa';
      await expectOk('POST', '/v1/members/me/payment-methods', member, 'member', { paymentMethodId: card });
      const account = await expectOk<{ onboardingUrl: string }>('POST', '/v1/members/me/payout-account', member, 'member', {
        returnUrl: `${baseUrl}/healthz`,
        refreshUrl: `${baseUrl}/healthz`,
      });
      // Visiting the onboarding link finishes onboarding, as a member would in a browser.
      assert.equal((await fetch(account.onboardingUrl)).ok, true);
    }

    const created = await call<PoolView>('POST', '/v1/pools', manager, 'manager', {
      kind: 'rotating',
      name: 'API neighbours',
      currency: 'usd',
      cadence: { type: 'interval', every: 30, unit: 'days' },
      membersMin: MEMBERS,
      membersMax: MEMBERS,
      contributionMinor: 2_500,
      gracePeriodHours: 24,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const poolId = created.body.poolId;
    assert.equal(created.body.status, 'open');
    const events = collectEvents(poolId, manager);

    for (const member of members) await expectOk('POST', `/v1/pools/${poolId}/members`, member, 'member', { agreeToCharges: true });
    const active = await expectOk<PoolView>('POST', `/v1/pools/${poolId}/activate`, manager, 'manager');
    assert.equal(active.status, 'active');

    for (let round = 1; round <= MEMBERS; round++) {
      const triggered = await call('POST', `/v1/pools/${poolId}/rounds`, manager, 'manager');
      assert.equal(triggered.status, 202);
      await waitForPool(poolId, manager, (view) => view.roundsCompleted >= round);
    }
    const final = await waitForPool(poolId, manager, (view) => view.status === 'completed');
    assert.ok(final.members.every((m) => m.received && m.paidInMinor === String(2_500 * MEMBERS)));

    // Each round: every member's contribution with its PaymentIntent, and one payout.
    const winners = new Set<string>();
    for (let round = 1; round <= MEMBERS; round++) {
      const detail = await expectOk<{
        contributions: Array<{ outcome: string; paymentIntentId: string | null }>;
        payouts: Array<{ memberId: string; amountMinor: string }>;
      }>('GET', `/v1/pools/${poolId}/rounds/${round}`, manager, 'manager');
      assert.deepEqual(
        detail.contributions.map((c) => c.outcome),
        Array(MEMBERS).fill('paid'),
      );
      // The manager sees each member's outcome; their PaymentIntents are for them and operations.
      assert.ok(detail.contributions.every((c) => c.paymentIntentId === null));
      const asOps = await expectOk<{ contributions: Array<{ paymentIntentId: string }> }>('GET', `/v1/pools/${poolId}/rounds/${round}`, 'ops-e2e', 'ops');
      assert.ok(asOps.contributions.every((c) => c.paymentIntentId.startsWith('pi_')));
      assert.equal(detail.payouts.length, 1);
      assert.equal(detail.payouts[0]!.amountMinor, String(2_500 * MEMBERS));
      winners.add(detail.payouts[0]!.memberId);
    }
    assert.equal(winners.size, MEMBERS, 'every member was paid once');
    const transfers = await kit.control.objects({ type: 'transfer', secretKey: kit.secretKey });
    assert.equal(transfers.length, MEMBERS, 'one Stripe transfer per member, no more');
    const intents = await kit.control.objects({ type: 'payment_intent', secretKey: kit.secretKey });
    assert.equal(intents.length, MEMBERS * MEMBERS, 'one PaymentIntent per member per round, no more');

    const ledger = await expectOk<{ invariants: { balanced: boolean }; balances: Array<{ account: string; balanceMinor: string }> }>(
      'GET',
      `/v1/pools/${poolId}/ledger`,
      manager,
      'manager',
    );
    assert.equal(ledger.invariants.balanced, true);
    assert.equal(ledger.balances.find((b) => b.account === `pool:${poolId}:pot`)?.balanceMinor, '0');

    const seen = await events;
    assert.ok(seen.length >= 3, `events: ${JSON.stringify(seen)}`);
    assert.ok(
      seen.every((e, i) => i === 0 || e.id > seen[i - 1]!.id),
      'versions arrive in order',
    );
    const statuses = seen.map((e) => e.status).filter((s, i, all) => i === 0 || s !== all[i - 1]);
    assert.deepEqual(statuses, ['open', 'active', 'completed']);
    // The stream stops reading at the first completed view; the pool's last tidy-up may follow it.
    assert.ok(seen.at(-1)!.id <= final.version);
  });
});
