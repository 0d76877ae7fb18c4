// The notification routes against a real worker on the dev server: feeds and preferences that belong to
// their subject alone, webhook endpoints that only their manager can see or change, refusals of bad
// endpoints (non-https in production, private addresses, unknown event types, oversized bodies), and a
// receiver that was down for a while getting every event afterwards, in order of creation, each once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Role } from '../auth';
import type { PoolView } from '../../domain/pools/pool-view';
import { insertFeedItem } from '../../db/notifications/feed';
import { payableMember } from '../../test/support/payments-kit';
import { authHeaders } from '../../test/support/api';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness';
import { uniqueId } from '../../test/support/env';
import { createNotificationActivities } from '../../activities/notifications';
import { createMailer } from '../../activities/notifications/mailer';
import { testConfig } from '../../test/support/env';
import { eventually } from '../../test/support/eventually';
import { startNoticeReceiver, type NoticeReceiver } from '../../test/support/notice-receiver';
import { BODY_BYTES_MAX, createApp } from '../app';
import { openApiDocument } from '../openapi';
import { productContracts } from '../products';
import { contractChecker } from '../../test/support/contract';

interface Response<T> {
  status: number;
  body: T;
}
type Problem = { title: string; detail?: string; errors?: Array<{ field: string; message: string }> };

describe('notification routes', () => {
  let h: ApiHarness;
  let receiver: NoticeReceiver;
  before(async () => {
    h = await startApiHarness({}, { notifications: {} });
    receiver = await startNoticeReceiver();
  });
  after(async () => {
    await receiver.close();
    await h.close();
  });

  async function request<T = unknown>(method: string, path: string, sub: string, role: Role, body?: unknown, app = h.app): Promise<Response<T>> {
    const response = await app.request(path, {
      method,
      headers: await authHeaders(sub, role),
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }
  async function ok<T>(method: string, path: string, sub: string, role: Role, body?: unknown): Promise<T> {
    const response = await request<T>(method, path, sub, role, body);
    assert.ok(response.status < 300, `${method} ${path} → ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  test('preferences are the caller’s own; bad ones are refused and change nothing', async () => {
    const member = uniqueId('m');
    assert.deepEqual(await ok('GET', '/v1/notifications/preferences', member, 'member'), {
      language: 'en',
      channels: { email: true },
      muteReminders: false,
      email: null,
    });
    const set = { language: 'es', channels: { email: true }, muteReminders: true };
    assert.deepEqual(await ok('PUT', '/v1/notifications/preferences', member, 'member', set), { ...set, email: null });

    const french = await request<Problem>('PUT', '/v1/notifications/preferences', member, 'member', { ...set, language: 'fr' });
    assert.equal(french.status, 422);
    assert.equal(french.body.errors?.[0]?.field, 'language');
    const address = await request<Problem>('PUT', '/v1/notifications/preferences', member, 'member', { ...set, email: 'elsewhere@example.com' });
    assert.equal(address.status, 422, 'members are written to at their profile’s address');
    assert.equal((await request('PUT', '/v1/notifications/preferences', member, 'member', 'not json')).status, 400);
    assert.deepEqual(await ok('GET', '/v1/notifications/preferences', member, 'member'), { ...set, email: null }, 'the refusals changed nothing');

    const manager = uniqueId('mgr');
    assert.deepEqual(await ok('PUT', '/v1/notifications/preferences', manager, 'manager', { ...set, email: 'treasurer@example.com' }), {
      ...set,
      email: 'treasurer@example.com',
    });
    assert.equal((await h.app.request('/v1/notifications/preferences')).status, 401);
  });

  test('a feed is its recipient’s alone: nobody lists or marks another’s notifications', async () => {
    const [alice, bob] = [uniqueId('alice'), uniqueId('bob')];
    const notice = {
      key: uniqueId('test-notice'),
      type: 'pool.paused' as const,
      poolId: 'p1',
      managerId: 'x',
      occurredAt: new Date().toISOString(),
      recipients: [],
      data: { poolName: 'P' },
    };
    const item = await insertFeedItem(h.db, notice, { role: 'member', id: alice }, 'P is paused', 'P is paused.');
    assert.ok(item);
    assert.equal(await insertFeedItem(h.db, notice, { role: 'member', id: alice }, 'P is paused', 'P is paused.'), null, 'written once');

    const own = await ok<{ items: Array<{ notificationId: string }> }>('GET', '/v1/notifications', alice, 'member');
    assert.deepEqual(
      own.items.map((i) => i.notificationId),
      [item.notificationId],
    );
    assert.deepEqual((await ok<{ items: unknown[] }>('GET', '/v1/notifications', bob, 'member')).items, []);
    assert.equal((await request('POST', `/v1/notifications/${item.notificationId}/read`, bob, 'member')).status, 404, 'another’s item does not exist for bob');
    assert.equal(
      (await request('POST', `/v1/notifications/${item.notificationId}/read`, alice, 'manager')).status,
      404,
      'nor for a manager with the same name',
    );
    const read = await ok<{ readAt: string | null }>('POST', `/v1/notifications/${item.notificationId}/read`, alice, 'member');
    assert.ok(read.readAt);
    assert.deepEqual((await ok<{ items: unknown[] }>('GET', '/v1/notifications?unread=true', alice, 'member')).items, []);
    assert.equal((await request('GET', '/v1/notifications?limit=1000', alice, 'member')).status, 422);
    assert.equal((await request('GET', '/v1/notifications?before=1%27%20OR%201=1', alice, 'member')).status, 422);
    assert.equal((await request('GET', '/v1/notifications/deliveries', alice, 'member')).status, 403, 'delivery records are for operations');
    assert.equal((await request('GET', '/v1/notifications/deliveries?status=failed', 'ops-1', 'ops')).status, 200);
  });

  test('a new notice reaches its recipient’s live stream, and nobody else’s', async () => {
    const [member, other] = [uniqueId('m'), uniqueId('m')];
    // Both subjects are new, so their feeds are empty: resuming from 0-0 is what a fresh stream pins
    // itself to, but it holds however late the stream starts reading (no wait for it to begin).
    const open = async (sub: string) => {
      const response = await h.app.request('/v1/notifications/events', { headers: { ...(await authHeaders(sub, 'member')), 'last-event-id': '0-0' } });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
      return response.body!.getReader();
    };
    const [mine, theirs] = [await open(member), await open(other)];
    const activities = createNotificationActivities({
      db: h.db,
      redis: h.redis,
      mailer: createMailer({ smtpUrl: testConfig.smtpUrl, from: 'unused@poolflow.test' }),
      webhookPolicy: { httpsOnly: false, blockPrivateAddresses: false },
    });
    const noticeTo = (recipientId: string) => ({
      key: uniqueId('live'),
      type: 'pool.resumed' as const,
      poolId: 'p-live',
      managerId: uniqueId('mgr'),
      occurredAt: new Date().toISOString(),
      recipients: [{ role: 'member' as const, id: recipientId }],
      data: { poolName: 'Live pool' },
    });
    /** The next event a stream sends: its type and the notice it carries. */
    const nextEvent = async (reader: ReadableStreamDefaultReader<Uint8Array>) => {
      const decoder = new TextDecoder();
      let text = '';
      while (!text.includes('\n\n')) text += decoder.decode((await reader.read()).value);
      return { event: /event: (.*)/.exec(text)?.[1], data: JSON.parse(/data: (.*)/.exec(text)![1]!) as { noticeKey: string; title: string } };
    };
    const notice = noticeTo(member);
    assert.deepEqual(await activities.recordNotice(notice), { emails: [] }, 'no profile, so no address: feed only');

    const received = await nextEvent(mine);
    assert.equal(received.event, 'notification');
    assert.deepEqual([received.data.noticeKey, received.data.title], [notice.key, 'Live pool has resumed']);
    // A stream sends its subject's notices in the order they were recorded: when the first thing the
    // other member's stream sends is a notice recorded for them afterwards, it never sent the first one.
    const theirNotice = noticeTo(other);
    await activities.recordNotice(theirNotice);
    assert.equal((await nextEvent(theirs)).data.noticeKey, theirNotice.key, 'another member’s stream did not carry the notice');
    await mine.cancel();
    await theirs.cancel();
  });

  test('webhook endpoints: refused when unknown types, bad URLs or oversized; invisible to other managers', async () => {
    const [alice, bob] = [uniqueId('alice'), uniqueId('bob')];
    const unknown = await request<Problem>('POST', '/v1/notifications/webhook-endpoints', alice, 'manager', {
      url: 'https://hooks.example.com/x',
      eventTypes: ['pool.paused', 'pool.exploded'],
    });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.errors?.[0]?.field, 'eventTypes.1');
    assert.match(unknown.body.detail ?? '', /unknown event type "pool\.exploded"/);
    assert.equal(
      (await request('POST', '/v1/notifications/webhook-endpoints', alice, 'manager', { url: 'https://hooks.example.com/x', eventTypes: ['manager.digest'] }))
        .status,
      422,
      'the digest is not a webhook event',
    );
    assert.equal(
      (await request('POST', '/v1/notifications/webhook-endpoints', alice, 'manager', { url: 'ftp://hooks.example.com/x', eventTypes: ['pool.paused'] }))
        .status,
      422,
    );
    assert.equal(
      (
        await request('POST', '/v1/notifications/webhook-endpoints', alice, 'manager', {
          url: 'https://user:pw@hooks.example.com/x',
          eventTypes: ['pool.paused'],
        })
      ).status,
      422,
    );
    const oversized = await request<Problem>('POST', '/v1/notifications/webhook-endpoints', alice, 'manager', {
      url: `https://hooks.example.com/${'a'.repeat(BODY_BYTES_MAX)}`,
      eventTypes: ['pool.paused'],
    });
    assert.equal(oversized.status, 413);
    assert.equal(
      (
        await request('POST', '/v1/notifications/webhook-endpoints', uniqueId('m'), 'member', {
          url: 'https://hooks.example.com/x',
          eventTypes: ['pool.paused'],
        })
      ).status,
      403,
    );

    // Production: https only, and no private, loopback or link-local address, by name or number.
    const production = createApp({ ...h.deps, webhookPolicy: { httpsOnly: true, blockPrivateAddresses: true } });
    for (const url of [
      'http://hooks.example.com/x',
      'https://10.1.2.3/x',
      'https://127.0.0.1/x',
      'https://localhost/x',
      'https://169.254.169.254/latest',
      'https://[::1]/x',
      'https://[fd00::1]/x',
    ]) {
      const refused = await request<Problem>('POST', '/v1/notifications/webhook-endpoints', alice, 'manager', { url, eventTypes: ['pool.paused'] }, production);
      assert.equal(refused.status, 422, url);
      assert.equal(refused.body.title, 'Endpoint Refused', url);
    }
    assert.equal(
      (
        await request(
          'POST',
          '/v1/notifications/webhook-endpoints',
          alice,
          'manager',
          { url: 'https://93.184.215.14/hooks', eventTypes: ['pool.paused'] },
          production,
        )
      ).status,
      201,
    );

    const created = await ok<{ endpointId: string; secret: string }>('POST', '/v1/notifications/webhook-endpoints', alice, 'manager', {
      url: 'https://hooks.example.com/x',
      eventTypes: ['pool.paused'],
    });
    assert.match(created.secret, /^whsec_/);
    const path = `/v1/notifications/webhook-endpoints/${created.endpointId}`;
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['PUT', '', { url: 'https://bob.example.com/steal' }],
      ['POST', '/rotate-secret', undefined],
      ['GET', '/deliveries', undefined],
    ] as const) {
      assert.equal((await request(method, `${path}${suffix}`, bob, 'manager', body)).status, 404, `${method} ${suffix} by another manager`);
    }
    assert.deepEqual((await ok<{ items: unknown[] }>('GET', '/v1/notifications/webhook-endpoints', bob, 'manager')).items, []);
    assert.equal((await ok<{ url: string }>('GET', path, alice, 'manager')).url, 'https://hooks.example.com/x', 'bob changed nothing');
    assert.equal((await request('GET', '/v1/notifications/webhook-endpoints/not-a-uuid', alice, 'manager')).status, 404);
  });

  test('pool reminder settings: the manager sets them, members read them, other managers cannot see them', async () => {
    const [manager, other] = [uniqueId('mgr'), uniqueId('mgr')];
    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', poolInput());
    const path = `/v1/notifications/pools/${pool.poolId}/settings`;
    assert.deepEqual(await ok('GET', path, manager, 'manager'), { reminderLeadHours: [72, 24] });
    assert.deepEqual(await ok('PUT', path, manager, 'manager', { reminderLeadHours: [24, 168, 2] }), { reminderLeadHours: [168, 24, 2] });
    assert.equal((await request('PUT', path, manager, 'manager', { reminderLeadHours: [24, 24] })).status, 422);
    assert.equal((await request('PUT', path, manager, 'manager', { reminderLeadHours: [0] })).status, 422);
    assert.equal((await request('PUT', path, manager, 'manager', { reminderLeadHours: [1, 2, 3, 4, 5, 6] })).status, 422);
    assert.equal((await request('PUT', path, other, 'manager', { reminderLeadHours: [1] })).status, 404);
    assert.equal((await request('GET', path, other, 'manager')).status, 404);
    assert.deepEqual(await ok('GET', path, manager, 'manager'), { reminderLeadHours: [168, 24, 2] });
  });

  test('responses match the published contract, problems included', async () => {
    const check = contractChecker(openApiDocument(productContracts(h.deps)) as unknown as Parameters<typeof contractChecker>[0]);
    const call = async (method: string, path: string, sub: string, role: Role, body?: unknown) =>
      h.app.request(path, { method, headers: await authHeaders(sub, role), body: body === undefined ? undefined : JSON.stringify(body) });
    const manager = uniqueId('mgr');
    await check('get', '/v1/notifications', await call('GET', '/v1/notifications', manager, 'manager'));
    await check('get', '/v1/notifications/preferences', await call('GET', '/v1/notifications/preferences', manager, 'manager'));
    const created = (await check(
      'post',
      '/v1/notifications/webhook-endpoints',
      await call('POST', '/v1/notifications/webhook-endpoints', manager, 'manager', { url: 'https://hooks.example.com/c', eventTypes: ['pool.paused'] }),
    )) as { endpointId: string };
    await check('get', '/v1/notifications/webhook-endpoints', await call('GET', '/v1/notifications/webhook-endpoints', manager, 'manager'));
    await check(
      'get',
      '/v1/notifications/webhook-endpoints/{endpointId}/deliveries',
      await call('GET', `/v1/notifications/webhook-endpoints/${created.endpointId}/deliveries`, manager, 'manager'),
    );
    await check(
      'post',
      '/v1/notifications/webhook-endpoints/{endpointId}/rotate-secret',
      await call('POST', `/v1/notifications/webhook-endpoints/${created.endpointId}/rotate-secret`, manager, 'manager'),
    );
    await check(
      'put',
      '/v1/notifications/webhook-endpoints/{endpointId}',
      await call('PUT', `/v1/notifications/webhook-endpoints/${created.endpointId}`, uniqueId('mgr'), 'manager', { enabled: false }),
    );
    await check(
      'post',
      '/v1/notifications/webhook-endpoints',
      await call('POST', '/v1/notifications/webhook-endpoints', manager, 'manager', { url: 'https://hooks.example.com/c', eventTypes: ['nope'] }),
    );
    await check('get', '/v1/notifications/deliveries', await call('GET', '/v1/notifications/deliveries?status=sent&limit=5', 'ops-1', 'ops'));
  });

  test('a receiver that is down for a while gets every event afterwards, in order of creation, each once', async () => {
    const manager = uniqueId('mgr');
    const types = ['pool.activated', 'pool.paused', 'pool.resumed', 'pool.cancelled'];
    const endpoint = await ok<{ endpointId: string; secret: string }>('POST', '/v1/notifications/webhook-endpoints', manager, 'manager', {
      url: receiver.url,
      eventTypes: types,
    });
    receiver.secret = endpoint.secret;
    receiver.down = true;

    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', poolInput());
    for (let i = 0; i < 2; i++) {
      const { memberId } = await payableMember(h.kit);
      await h.kit.members.attachPaymentMethod(memberId, 'pm_card_visa');
      await ok('POST', `/v1/pools/${pool.poolId}/members`, memberId, 'member', { agreeToCharges: true });
    }
    await ok('POST', `/v1/pools/${pool.poolId}/activate`, manager, 'manager');
    for (let i = 0; i < 2; i++) {
      await ok('POST', `/v1/pools/${pool.poolId}/pause`, manager, 'manager', {});
      await ok('POST', `/v1/pools/${pool.poolId}/resume`, manager, 'manager');
    }
    await eventually('the receiver tried while down', async () => (receiver.attemptsWhileDown >= 3 ? true : undefined), 60_000);

    // A rotation while deliveries wait: later attempts are signed with both secrets, so either verifies.
    const rotated = await ok<{ secret: string }>('POST', `/v1/notifications/webhook-endpoints/${endpoint.endpointId}/rotate-secret`, manager, 'manager');
    receiver.secret = rotated.secret;
    await ok('POST', `/v1/pools/${pool.poolId}/cancel`, manager, 'manager', {});
    receiver.down = false;

    const ofPool = () => receiver.accepted.filter((event) => event.poolId === pool.poolId);
    await eventually('every event delivered', async () => (ofPool().length === 6 ? true : undefined), 90_000);
    assert.deepEqual(
      ofPool().map((event) => event.type),
      ['pool.activated', 'pool.paused', 'pool.resumed', 'pool.paused', 'pool.resumed', 'pool.cancelled'],
    );
    assert.equal(receiver.repeats, 0, 'no event delivered twice');
    assert.equal(receiver.refused, 0, 'every signature verified with the README snippet');

    const log = await ok<{ items: Array<{ seq: number; eventId: string; status: string; attempts: number; lastStatusCode: number }> }>(
      'GET',
      `/v1/notifications/webhook-endpoints/${endpoint.endpointId}/deliveries`,
      manager,
      'manager',
    );
    assert.deepEqual(
      log.items.map((d) => d.eventId).reverse(),
      ofPool().map((event) => event.id),
      'delivered in the log’s order of creation',
    );
    assert.ok(log.items.every((d) => d.status === 'delivered' && d.lastStatusCode === 204));
    assert.ok(log.items.at(-1)!.attempts > 1, 'the first event was retried while the receiver was down');
  });

  const poolInput = () => ({
    kind: 'rotating',
    name: 'Notice pool',
    currency: 'usd',
    cadence: { type: 'interval', every: 30, unit: 'days' },
    membersMin: 2,
    membersMax: 2,
    contributionMinor: 10_000,
  });
});
