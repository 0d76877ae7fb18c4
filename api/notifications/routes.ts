// /v1/notifications, the notifications product's contract app: each caller's own feed (JSON and a live
// event stream) and preferences; pools' reminder lead times; managers' webhook endpoints with their
// delivery logs; operations' view of email deliveries. Access is decided from the database for the
// caller's subject and role: nobody reaches another's feed, and another manager's endpoint or pool does
// not exist for the caller (404).
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import { checkEndpointUrl, EndpointRefusedError } from '../../activities/notifications/endpoint-policy';
import { newWebhookSecret } from '../../activities/notifications/signature';
import { listDeliveries } from '../../db/notifications/deliveries';
import { listFeed, markRead } from '../../db/notifications/feed';
import { getPreferences, getReminderLeadHours, putPreferences, putReminderLeadHours } from '../../db/notifications/preferences';
import {
  countEndpoints,
  findEndpoint,
  insertEndpoint,
  listEndpointDeliveries,
  listEndpoints,
  rotateSecret,
  updateEndpoint,
  type WebhookEndpoint,
} from '../../db/notifications/webhooks';
import type { Recipient } from '../../domain/notifications/catalogue';
import { workflowIds } from '../../temporal-config/workflow-ids';
import type { Principal } from '../auth';
import type { AppEnv } from '../context';
import { contractApp, jsonRequest, jsonResponse, problemResponses } from '../contract';
import type { ApiDeps } from '../deps';
import { eventStreamsOf } from '../event-streams';
import { poolFor } from '../pools/pool-access';
import { ProblemError } from '../problem';
import * as s from './schemas';
import { feedEventsKey } from '../../cache/keys';

/** A manager registers at most this many endpoints. */
export const ENDPOINTS_PER_MANAGER_MAX = 20;
/** After a rotation the previous secret keeps signing this long, so receivers can switch over. */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const noSuchEndpoint = () => new ProblemError(404, 'Not Found', 'no such webhook endpoint');
const tags = (tag: string) => ({ tags: [tag] });

/** The caller as a recipient of notices; operations receive none. */
function recipientOf(principal: Principal): Recipient {
  if (principal.role !== 'member' && principal.role !== 'manager') throw new ProblemError(403, 'Forbidden', 'operations have no notification feed');
  return { id: principal.sub, role: principal.role };
}

function managerOnly(principal: Principal): string {
  if (principal.role !== 'manager') throw new ProblemError(403, 'Forbidden', 'only managers have webhook endpoints');
  return principal.sub;
}

const present = (endpoint: WebhookEndpoint) => ({
  endpointId: endpoint.endpointId,
  url: endpoint.url,
  eventTypes: endpoint.eventTypes,
  status: endpoint.status,
  disabledReason: endpoint.disabledReason,
  createdAt: endpoint.createdAt,
  updatedAt: endpoint.updatedAt,
});

const presentPreferences = (prefs: Awaited<ReturnType<typeof getPreferences>> extends Map<string, infer P> ? P : never) => ({
  language: prefs.language,
  channels: { email: prefs.emailEnabled },
  muteReminders: prefs.muteReminders,
  email: prefs.email,
});

export function notificationRoutes(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const app = contractApp();
  const policy = deps.webhookPolicy ?? { httpsOnly: false, blockPrivateAddresses: false };

  const ownEndpoint = async (endpointId: string, managerId: string) => {
    const endpoint = UUID.test(endpointId) ? await findEndpoint(deps.db, endpointId, managerId) : null;
    if (!endpoint) throw noSuchEndpoint();
    return endpoint;
  };
  const checkUrl = async (url: string) => {
    try {
      return (await checkEndpointUrl(url, policy)).toString();
    } catch (error) {
      if (error instanceof EndpointRefusedError)
        throw new ProblemError(422, 'Endpoint Refused', `url: ${error.message}`, [{ field: 'url', message: error.message }]);
      throw error;
    }
  };
  /** Wakes the endpoint's delivery workflow (starting it if need be), e.g. after it was enabled again. */
  const wake = (endpointId: string) =>
    deps.temporal.workflow.signalWithStart('webhookEndpoint', {
      workflowId: workflowIds.webhookEndpoint(endpointId),
      taskQueue: deps.poolsTaskQueue,
      args: [{ endpointId }],
      signal: 'deliveriesQueued',
      signalArgs: [],
    });

  // --- The caller's own feed ------------------------------------------------------------------------

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'Your own notification feed, newest first (paging: limit, before; filter: unread)',
      ...tags('Notifications'),
      request: { query: s.pageQuery },
      responses: { 200: jsonResponse('A page of your notifications', s.feedPage), ...problemResponses(403, 422) },
    }),
    async (c) => {
      const page = c.req.valid('query');
      const items = await listFeed(deps.db, recipientOf(c.get('principal')), {
        limit: page.limit,
        ...(page.before ? { before: page.before } : {}),
        unreadOnly: page.unread === 'true',
      });
      return c.json({ items, next: items.length === page.limit ? items.at(-1)!.notificationId : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{notificationId}/read',
      summary: 'Mark one of your notifications read',
      ...tags('Notifications'),
      request: { params: s.notificationParams },
      responses: { 200: jsonResponse('The notification', s.feedItem), ...problemResponses(403, 404, 422) },
    }),
    async (c) => {
      const { notificationId } = c.req.valid('param');
      const recipient = recipientOf(c.get('principal'));
      const item = UUID.test(notificationId) ? await markRead(deps.db, recipient, notificationId) : null;
      if (!item) throw new ProblemError(404, 'Not Found', 'no such notification');
      return c.json(item, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/events',
      summary: 'Server-sent events of your new notifications (resumable with Last-Event-ID)',
      ...tags('Notifications'),
      request: { headers: s.streamHeaders },
      responses: {
        200: { description: 'An event stream: one `notification` event per new notice', content: { 'text/event-stream': { schema: z.string() } } },
        ...problemResponses(403, 422, 503),
      },
    }),
    // The handler answers with a stream, which the route's typed responses cannot describe.
    (async (c: Context<AppEnv>) => {
      const subject = recipientOf(c.get('principal')).id;
      // Validated by the route's header schema before the handler runs.
      const resumeFrom = c.req.header('last-event-id');
      // A fresh subscriber gets what arrives from now on; the JSON feed has the past.
      return eventStreamsOf(deps).respond(c, {
        key: feedEventsKey(subject),
        after: resumeFrom ?? '$',
        toMessage: ({ id, fields }) => ({ id, event: 'notification', data: fields[1]! }),
      });
    }) as never,
  );

  // --- Preferences ----------------------------------------------------------------------------------

  app.openapi(
    createRoute({
      method: 'get',
      path: '/preferences',
      summary: 'Your notification preferences',
      ...tags('Notifications'),
      responses: { 200: jsonResponse('Your preferences', s.preferencesResponse) },
    }),
    async (c) => {
      const subject = c.get('principal').sub;
      return c.json(presentPreferences((await getPreferences(deps.db, [subject])).get(subject)!), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/preferences',
      summary: 'Set your language, channels and reminder muting (legally required notices are always sent)',
      ...tags('Notifications'),
      request: { body: jsonRequest(s.preferencesBody) },
      responses: { 200: jsonResponse('Your preferences', s.preferencesResponse), ...problemResponses(400, 415, 422) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { sub, role } = c.get('principal');
      if (role === 'member' && body.email) {
        throw new ProblemError(422, 'Validation Failed', 'email: members receive notices at their profile’s address (PUT /v1/members/me)', [
          { field: 'email', message: 'not for members' },
        ]);
      }
      const prefs = await putPreferences(deps.db, {
        subjectId: sub,
        language: body.language,
        emailEnabled: body.channels.email,
        muteReminders: body.muteReminders,
        email: body.email ?? null,
      });
      return c.json(presentPreferences(prefs), 200);
    },
  );

  // --- A pool's reminder lead times -----------------------------------------------------------------

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{poolId}/settings',
      summary: 'A pool’s reminder lead times (whoever may read the pool)',
      ...tags('Notifications'),
      request: { params: s.poolParams },
      responses: { 200: jsonResponse('The pool’s settings', s.poolSettingsResponse), ...problemResponses(404, 422) },
    }),
    async (c) => {
      const view = await poolFor(deps, c.get('principal'), c.req.valid('param').poolId, 'read');
      return c.json({ reminderLeadHours: await getReminderLeadHours(deps.db, view.poolId) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/pools/{poolId}/settings',
      summary: 'Set the pool’s reminder lead times in hours before each round (its manager)',
      ...tags('Notifications'),
      request: { params: s.poolParams, body: jsonRequest(s.poolSettingsBody) },
      responses: { 200: jsonResponse('The pool’s settings', s.poolSettingsResponse), ...problemResponses(400, 403, 404, 415, 422) },
    }),
    async (c) => {
      const view = await poolFor(deps, c.get('principal'), c.req.valid('param').poolId, 'manage');
      // Longest lead first: the order reminders go out in.
      const sorted = [...c.req.valid('json').reminderLeadHours].sort((a, b) => b - a);
      await putReminderLeadHours(deps.db, view.poolId, sorted);
      return c.json({ reminderLeadHours: sorted }, 200);
    },
  );

  // --- Operations -----------------------------------------------------------------------------------

  app.openapi(
    createRoute({
      method: 'get',
      path: '/deliveries',
      summary: 'Email deliveries by status, failed by default (ops)',
      ...tags('Notifications'),
      request: { query: s.opsQuery },
      responses: { 200: jsonResponse('Deliveries, oldest first', z.object({ items: z.array(s.emailDelivery) })), ...problemResponses(403, 422) },
    }),
    async (c) => {
      if (c.get('principal').role !== 'ops') throw new ProblemError(403, 'Forbidden', 'only operations read the delivery records');
      const filter = c.req.valid('query');
      return c.json(
        { items: await listDeliveries(deps.db, { status: filter.status, limit: filter.limit, ...(filter.poolId ? { poolId: filter.poolId } : {}) }) },
        200,
      );
    },
  );

  // --- Managers' webhook endpoints ------------------------------------------------------------------

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhook-endpoints',
      summary: 'Register a webhook endpoint for your pools’ events; the signing secret is returned once (manager)',
      ...tags('Webhooks'),
      request: { body: jsonRequest(s.endpointBody) },
      responses: { 201: jsonResponse('The endpoint with its secret', s.endpointWithSecret), ...problemResponses(403, 409, 415, 422) },
    }),
    async (c) => {
      const managerId = managerOnly(c.get('principal'));
      const body = c.req.valid('json');
      const url = await checkUrl(body.url);
      if ((await countEndpoints(deps.db, managerId)) >= ENDPOINTS_PER_MANAGER_MAX)
        throw new ProblemError(409, 'Too Many Endpoints', `a manager has at most ${ENDPOINTS_PER_MANAGER_MAX} webhook endpoints`);
      const secret = newWebhookSecret();
      const endpoint = await insertEndpoint(deps.db, { managerId, url, eventTypes: body.eventTypes, secret });
      return c.json({ ...present(endpoint), secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhook-endpoints',
      summary: 'Your webhook endpoints (manager)',
      ...tags('Webhooks'),
      responses: { 200: jsonResponse('Your endpoints', s.endpointList), ...problemResponses(403) },
    }),
    async (c) => c.json({ items: (await listEndpoints(deps.db, managerOnly(c.get('principal')), ENDPOINTS_PER_MANAGER_MAX)).map(present) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhook-endpoints/{endpointId}',
      summary: 'One of your webhook endpoints (manager)',
      ...tags('Webhooks'),
      request: { params: s.endpointParams },
      responses: { 200: jsonResponse('The endpoint', s.endpointResponse), ...problemResponses(403, 404, 422) },
    }),
    async (c) => c.json(present(await ownEndpoint(c.req.valid('param').endpointId, managerOnly(c.get('principal')))), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/webhook-endpoints/{endpointId}',
      summary: 'Change an endpoint’s URL or event types, or enable it again after it was disabled (manager)',
      ...tags('Webhooks'),
      request: { params: s.endpointParams, body: jsonRequest(s.endpointChangeBody) },
      responses: { 200: jsonResponse('The endpoint', s.endpointResponse), ...problemResponses(400, 403, 404, 415, 422) },
    }),
    async (c) => {
      const managerId = managerOnly(c.get('principal'));
      const endpoint = await ownEndpoint(c.req.valid('param').endpointId, managerId);
      const body = c.req.valid('json');
      const url = body.url === undefined ? undefined : await checkUrl(body.url);
      const status = body.enabled === undefined ? undefined : body.enabled ? 'enabled' : 'disabled';
      const updated = await updateEndpoint(deps.db, endpoint.endpointId, managerId, {
        ...(url ? { url } : {}),
        ...(body.eventTypes ? { eventTypes: body.eventTypes } : {}),
        ...(status ? { status } : {}),
      });
      if (!updated) throw noSuchEndpoint();
      if (status === 'enabled') await wake(updated.endpointId);
      return c.json(present(updated), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhook-endpoints/{endpointId}/rotate-secret',
      summary: 'Rotate the signing secret; the previous one keeps signing for 24 hours (manager)',
      ...tags('Webhooks'),
      request: { params: s.endpointParams },
      responses: { 200: jsonResponse('The endpoint with its new secret', s.endpointWithSecret), ...problemResponses(403, 404, 422) },
    }),
    async (c) => {
      const managerId = managerOnly(c.get('principal'));
      const endpoint = await ownEndpoint(c.req.valid('param').endpointId, managerId);
      const secret = newWebhookSecret();
      const previousSecretExpiresAt = new Date(Date.now() + SECRET_OVERLAP_MS);
      const rotated = await rotateSecret(deps.db, endpoint.endpointId, managerId, secret, previousSecretExpiresAt);
      if (!rotated) throw noSuchEndpoint();
      return c.json({ ...present(rotated), secret, previousSecretExpiresAt: previousSecretExpiresAt.toISOString() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhook-endpoints/{endpointId}/deliveries',
      summary: 'The endpoint’s delivery log, newest first (paging: limit, beforeSeq) (manager)',
      ...tags('Webhooks'),
      request: { params: s.endpointParams, query: s.logQuery },
      responses: { 200: jsonResponse('A page of the log', s.deliveryLog), ...problemResponses(403, 404, 422) },
    }),
    async (c) => {
      const endpoint = await ownEndpoint(c.req.valid('param').endpointId, managerOnly(c.get('principal')));
      const page = c.req.valid('query');
      const items = await listEndpointDeliveries(deps.db, endpoint.endpointId, { limit: page.limit, ...(page.beforeSeq ? { beforeSeq: page.beforeSeq } : {}) });
      return c.json({ items, next: items.length === page.limit ? items.at(-1)!.seq : null }, 200);
    },
  );

  return app;
}
