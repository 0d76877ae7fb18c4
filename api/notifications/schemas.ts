// Request and response schemas of the notification routes: the routes validate with them and
// GET /openapi.json documents them from the same definitions (api/contract.ts).
import { z } from 'zod';
import { URL_LENGTH_MAX } from '../../activities/notifications/endpoint-policy';
import { isNoticeType, isWebhookEventType, LANGUAGES, NOTICE_TYPES, type NoticeType } from '../../domain/notifications/catalogue';
import { REMINDER_LEAD_HOURS_MAX, REMINDER_LEADS_MAX } from '../../domain/notifications/reminders';

const WEBHOOK_TYPES = NOTICE_TYPES.filter(isWebhookEventType);
export const PAGE_LIMIT_MAX = 100;
const PAGE_LIMIT_DEFAULT = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const preferencesBody = z.strictObject({
  language: z.enum(LANGUAGES),
  channels: z.strictObject({ email: z.boolean() }),
  /** Mutes reminders only: notices with legal weight (failed payments, fees, standing) are always sent. */
  muteReminders: z.boolean(),
  /** Managers' address for notices; members are written to at their profile's address. */
  email: z.email().max(254).nullable().optional(),
});

export const preferencesResponse = z
  .object({ language: z.enum(LANGUAGES), channels: z.object({ email: z.boolean() }), muteReminders: z.boolean(), email: z.string().nullable() })
  .meta({ id: 'NotificationPreferences' });

const eventTypes = z
  .array(z.string().max(64))
  .min(1)
  .max(NOTICE_TYPES.length)
  .superRefine((types, context) => {
    for (const [index, type] of types.entries()) {
      if (!isNoticeType(type) || !isWebhookEventType(type)) {
        context.addIssue({ code: 'custom', path: [index], message: `unknown event type "${type}"; known: ${WEBHOOK_TYPES.join(', ')}` });
      }
    }
  })
  .transform((types) => [...new Set(types)] as NoticeType[]);

export const endpointBody = z.strictObject({ url: z.string().min(1).max(URL_LENGTH_MAX), eventTypes });
export const endpointChangeBody = z
  .strictObject({ url: z.string().min(1).max(URL_LENGTH_MAX).optional(), eventTypes: eventTypes.optional(), enabled: z.boolean().optional() })
  .refine((body) => Object.keys(body).length > 0, 'give at least one of url, eventTypes, enabled');

export const endpointResponse = z
  .object({
    endpointId: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    status: z.enum(['enabled', 'disabled']),
    disabledReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WebhookEndpoint' });
/** The secret is shown when an endpoint is created and at each rotation, never again. */
export const endpointWithSecret = endpointResponse
  .extend({ secret: z.string(), previousSecretExpiresAt: z.string().optional() })
  .meta({ id: 'WebhookEndpointWithSecret' });
export const endpointList = z.object({ items: z.array(endpointResponse) });

export const webhookDelivery = z
  .object({
    deliveryId: z.string(),
    endpointId: z.string(),
    seq: z.number().int(),
    eventId: z.string(),
    type: z.string(),
    poolId: z.string(),
    status: z.enum(['pending', 'delivered', 'failed', 'refused']),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
  })
  .meta({ id: 'WebhookDelivery' });
export const deliveryLog = z.object({ items: z.array(webhookDelivery), next: z.number().int().nullable() });

export const feedItem = z
  .object({
    notificationId: z.string(),
    noticeKey: z.string(),
    type: z.string(),
    poolId: z.string(),
    title: z.string(),
    body: z.string(),
    data: z.record(z.string(), z.unknown()),
    occurredAt: z.string(),
    createdAt: z.string(),
    readAt: z.string().nullable(),
  })
  .meta({ id: 'Notification' });
export const feedPage = z.object({ items: z.array(feedItem), next: z.string().nullable() });

export const emailDelivery = z
  .object({
    deliveryKey: z.string(),
    noticeKey: z.string(),
    recipientId: z.string(),
    poolId: z.string(),
    type: z.string(),
    status: z.enum(['sending', 'sent', 'failed', 'skipped']),
    attempts: z.number().int(),
    address: z.string().nullable(),
    language: z.string().nullable(),
    lastError: z.string().nullable(),
    occurredAt: z.string(),
    sentAt: z.string().nullable(),
  })
  .meta({ id: 'EmailDelivery' });

export const poolSettingsBody = z.strictObject({
  reminderLeadHours: z
    .array(z.int().min(1).max(REMINDER_LEAD_HOURS_MAX))
    .max(REMINDER_LEADS_MAX)
    .refine((hours) => new Set(hours).size === hours.length, 'lead times must differ'),
});
export const poolSettingsResponse = z.object({ reminderLeadHours: z.array(z.int()) }).meta({ id: 'PoolNotificationSettings' });

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT),
  before: z.string().regex(UUID, 'must be a notification ID from the previous page').optional(),
  unread: z.enum(['true', 'false']).optional(),
});
export const logQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT),
  beforeSeq: z.coerce.number().int().min(1).optional(),
});
export const opsQuery = z.strictObject({
  status: z.enum(['sending', 'sent', 'failed', 'skipped']).default('failed'),
  poolId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT),
});
/** Path IDs are checked by the handlers: a malformed one is a 404 like any other unknown ID. */
export const endpointParams = z.object({ endpointId: z.string().max(64) });
export const notificationParams = z.object({ notificationId: z.string().max(64) });
export const poolParams = z.object({ poolId: z.string().max(64) });
export const streamHeaders = z.object({
  'last-event-id': z
    .string()
    .regex(/^\d{1,15}-\d{1,6}$/, 'is the id of a feed event you received')
    .optional(),
});
