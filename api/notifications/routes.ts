// /v1/notifications: each caller's own feed (JSON and a live event stream) and preferences; managers'
// webhook endpoints with their delivery logs; operations' view of failed deliveries. Who may see what is
// decided from the database for the caller's subject: nobody reaches another subject's feed or endpoints,
// and another manager's endpoint does not exist for the caller (404).
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { feedEventsKey } from '../../activities/notifications';
import { checkEndpointUrl, EndpointRefusedError } from '../../activities/notifications/endpoint-policy';
import { newWebhookSecret } from '../../activities/notifications/signature';
import { createRedis } from '../../cache/redis';
import { listDeliveries } from '../../db/notifications/deliveries';
import { listFeed, markRead } from '../../db/notifications/feed';
import { getPreferences, putPreferences } from '../../db/notifications/preferences';
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
import { notificationWorkflowIds } from '../../temporal-config/notifications';
import type { AppEnv } from '../context';
import type { ApiDeps } from '../deps';
import { ProblemError } from '../problem';
import { jsonBody } from '../validation';
import { endpointBody, endpointChangeBody, preferencesBody } from './schemas';

/** A manager registers at most this many endpoints. */
export const ENDPOINTS_PER_MANAGER_MAX = 20;
/** After a rotation the previous secret keeps signing this long, so receivers can switch over. */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;
export const PAGE_LIMIT_MAX = 100;
const PAGE_LIMIT_DEFAULT = 50;
/** Open feed streams per API process, each with a Redis connection of its own. */
export const FEED_STREAMS_MAX = 200;
export const FEED_STREAM_MS = 10 * 60_000;
const BLOCK_MS = 1_500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STREAM_ID = /^\d{1,15}-\d{1,6}$/;

const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT),
  before: z.string().regex(UUID, 'must be a notification ID from the previous page').optional(),
  unread: z.enum(['true', 'false']).optional(),
});
const logQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT),
  beforeSeq: z.coerce.number().int().min(1).optional(),
});
const opsQuery = z.strictObject({
  status: z.enum(['sending', 'sent', 'failed', 'skipped']).default('failed'),
  poolId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT),
});

function query<S extends z.ZodType>(schema: S, values: Record<string, string>): z.output<S> {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({ field: issue.path.join('.') || '(query)', message: issue.message }));
  throw new ProblemError(422, 'Validation Failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
}

const noSuchEndpoint = () => new ProblemError(404, 'Not Found', 'no such webhook endpoint');

export function notificationRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const policy = deps.webhookPolicy ?? { httpsOnly: false, blockPrivateAddresses: false };
  let streams = 0;

  const managerOnly = (role: string) => {
    if (role !== 'manager') throw new ProblemError(403, 'Forbidden', 'only managers register webhook endpoints');
  };
  const ownEndpoint = async (endpointId: string, managerId: string) => {
    if (!UUID.test(endpointId)) throw noSuchEndpoint();
    const endpoint = await findEndpoint(deps.db, endpointId, managerId);
    if (!endpoint) throw noSuchEndpoint();
    return endpoint;
  };
  const checkUrl = async (url: string) => {
    try {
      return (await checkEndpointUrl(url, policy)).toString();
    } catch (error) {
      if (error instanceof EndpointRefusedError) throw new ProblemError(422, 'Endpoint Refused', `url: ${error.message}`, [{ field: 'url', message: error.message }]);
      throw error;
    }
  };
  /** Wakes the endpoint's delivery workflow (starting it if need be), e.g. after it was enabled again. */
  const wake = (endpointId: string) =>
    deps.temporal.workflow.signalWithStart('webhookEndpoint', {
      workflowId: notificationWorkflowIds.webhookEndpoint(endpointId),
      taskQueue: deps.poolsTaskQueue,
      args: [{ endpointId }],
      signal: 'deliveriesQueued',
      signalArgs: [],
    });
  const present = (endpoint: WebhookEndpoint) => ({
    endpointId: endpoint.endpointId,
    url: endpoint.url,
    eventTypes: endpoint.eventTypes,
    status: endpoint.status,
    disabledReason: endpoint.disabledReason,
    createdAt: endpoint.createdAt,
    updatedAt: endpoint.updatedAt,
  });

  /** The caller as a recipient of notices; operations receive none. */
  const recipient = (principal: { sub: string; role: string }): Recipient => {
    if (principal.role !== 'member' && principal.role !== 'manager') throw new ProblemError(403, 'Forbidden', 'operations have no notification feed');
    return { id: principal.sub, role: principal.role };
  };

  // The feed and preferences belong to the caller alone: members and managers each have their own.
  app.get('/', async (c) => {
    const page = query(pageQuery, c.req.query());
    const items = await listFeed(deps.db, recipient(c.get('principal')), { limit: page.limit, ...(page.before ? { before: page.before } : {}), unreadOnly: page.unread === 'true' });
    return c.json({ items, next: items.length === page.limit ? items.at(-1)!.notificationId : null });
  });

  app.post('/:notificationId/read', async (c) => {
    const id = c.req.param('notificationId');
    const item = UUID.test(id) ? await markRead(deps.db, recipient(c.get('principal')), id) : null;
    if (!item) throw new ProblemError(404, 'Not Found', 'no such notification');
    return c.json(item);
  });

  app.get('/events', async (c) => {
    const subject = c.get('principal').sub;
    const resumeFrom = c.req.header('last-event-id') ?? c.req.query('lastEventId');
    if (resumeFrom !== undefined && !STREAM_ID.test(resumeFrom)) throw new ProblemError(400, 'Invalid Last-Event-ID', 'Last-Event-ID is the id of a feed event you received');
    if (streams >= FEED_STREAMS_MAX) throw new ProblemError(503, 'Service Unavailable', 'too many open event streams; retry shortly');
    streams++;
    const reader = createRedis(deps.redisUrl, deps.redisKeyPrefix);
    return streamSSE(c, async (stream) => {
      let closed = false;
      stream.onAbort(() => {
        closed = true;
      });
      try {
        // A fresh subscriber gets what arrives from now on; the JSON feed has the past.
        let lastId = resumeFrom ?? '$';
        const endsAt = Date.now() + FEED_STREAM_MS;
        while (!closed && Date.now() < endsAt) {
          const result = (await reader.xread('COUNT', 100, 'BLOCK', BLOCK_MS, 'STREAMS', feedEventsKey(subject), lastId)) as Array<[string, Array<[string, string[]]>]> | null;
          for (const [, entries] of result ?? []) {
            for (const [entryId, fields] of entries) {
              await stream.writeSSE({ id: entryId, event: 'notification', data: fields[1]! });
              lastId = entryId;
            }
          }
        }
      } finally {
        streams--;
        reader.disconnect();
      }
    });
  });

  app.get('/preferences', async (c) => {
    const subject = c.get('principal').sub;
    const prefs = (await getPreferences(deps.db, [subject])).get(subject)!;
    return c.json({ language: prefs.language, channels: { email: prefs.emailEnabled }, muteReminders: prefs.muteReminders, email: prefs.email });
  });

  app.put('/preferences', async (c) => {
    const body = await jsonBody(c, preferencesBody);
    const { sub, role } = c.get('principal');
    if (role === 'member' && body.email) throw new ProblemError(422, 'Validation Failed', 'email: members receive notices at their profile’s address (PUT /v1/members/me)', [{ field: 'email', message: 'not for members' }]);
    const prefs = await putPreferences(deps.db, { subjectId: sub, language: body.language, emailEnabled: body.channels.email, muteReminders: body.muteReminders, email: body.email ?? null });
    return c.json({ language: prefs.language, channels: { email: prefs.emailEnabled }, muteReminders: prefs.muteReminders, email: prefs.email });
  });

  // Operations: deliveries by status (failed by default), to see what did not reach people.
  app.get('/deliveries', async (c) => {
    if (c.get('principal').role !== 'ops') throw new ProblemError(403, 'Forbidden', 'only operations read the delivery records');
    const filter = query(opsQuery, c.req.query());
    return c.json({ items: await listDeliveries(deps.db, filter) });
  });

  app.post('/webhook-endpoints', async (c) => {
    const { sub, role } = c.get('principal');
    managerOnly(role);
    const body = await jsonBody(c, endpointBody);
    const url = await checkUrl(body.url);
    if ((await countEndpoints(deps.db, sub)) >= ENDPOINTS_PER_MANAGER_MAX) throw new ProblemError(409, 'Too Many Endpoints', `a manager has at most ${ENDPOINTS_PER_MANAGER_MAX} webhook endpoints`);
    const secret = newWebhookSecret();
    const endpoint = await insertEndpoint(deps.db, { managerId: sub, url, eventTypes: body.eventTypes, secret });
    // The secret is shown once, here and at each rotation.
    return c.json({ ...present(endpoint), secret }, 201);
  });

  app.get('/webhook-endpoints', async (c) => {
    const { sub, role } = c.get('principal');
    managerOnly(role);
    return c.json({ items: (await listEndpoints(deps.db, sub, ENDPOINTS_PER_MANAGER_MAX)).map(present) });
  });

  app.get('/webhook-endpoints/:endpointId', async (c) => {
    const { sub, role } = c.get('principal');
    managerOnly(role);
    return c.json(present(await ownEndpoint(c.req.param('endpointId'), sub)));
  });

  app.put('/webhook-endpoints/:endpointId', async (c) => {
    const { sub, role } = c.get('principal');
    managerOnly(role);
    const endpoint = await ownEndpoint(c.req.param('endpointId'), sub);
    const body = await jsonBody(c, endpointChangeBody);
    const url = body.url === undefined ? undefined : await checkUrl(body.url);
    const status = body.enabled === undefined ? undefined : body.enabled ? 'enabled' : 'disabled';
    const updated = await updateEndpoint(deps.db, endpoint.endpointId, sub, { ...(url ? { url } : {}), ...(body.eventTypes ? { eventTypes: body.eventTypes } : {}), ...(status ? { status } : {}) });
    if (!updated) throw noSuchEndpoint();
    if (status === 'enabled') await wake(updated.endpointId);
    return c.json(present(updated));
  });

  app.post('/webhook-endpoints/:endpointId/rotate-secret', async (c) => {
    const { sub, role } = c.get('principal');
    managerOnly(role);
    const endpoint = await ownEndpoint(c.req.param('endpointId'), sub);
    const secret = newWebhookSecret();
    const previousSecretExpiresAt = new Date(Date.now() + SECRET_OVERLAP_MS);
    const rotated = await rotateSecret(deps.db, endpoint.endpointId, sub, secret, previousSecretExpiresAt);
    if (!rotated) throw noSuchEndpoint();
    return c.json({ ...present(rotated), secret, previousSecretExpiresAt: previousSecretExpiresAt.toISOString() });
  });

  app.get('/webhook-endpoints/:endpointId/deliveries', async (c) => {
    const { sub, role } = c.get('principal');
    managerOnly(role);
    const endpoint = await ownEndpoint(c.req.param('endpointId'), sub);
    const page = query(logQuery, c.req.query());
    const items = await listEndpointDeliveries(deps.db, endpoint.endpointId, { limit: page.limit, ...(page.beforeSeq ? { beforeSeq: page.beforeSeq } : {}) });
    return c.json({ items, next: items.length === page.limit ? items.at(-1)!.seq : null });
  });

  return app;
}
