// Request bodies of the notification routes, as zod schemas shared by the handlers and the OpenAPI document.
import { z } from 'zod';
import { isNoticeType, isWebhookEventType, LANGUAGES, NOTICE_TYPES, type NoticeType } from '../../domain/notifications/catalogue';
import { REMINDER_LEAD_HOURS_MAX, REMINDER_LEADS_MAX } from '../../domain/notifications/reminders';
import { URL_LENGTH_MAX } from '../../activities/notifications/endpoint-policy';

const WEBHOOK_TYPES = NOTICE_TYPES.filter(isWebhookEventType);

export const preferencesBody = z.strictObject({
  language: z.enum(LANGUAGES),
  channels: z.strictObject({ email: z.boolean() }),
  /** Mutes reminders only: notices with legal weight (failed payments, fees, standing) are always sent. */
  muteReminders: z.boolean(),
  /** Managers' address for notices; members are written to at their profile's address. */
  email: z.email().max(254).nullable().optional(),
});

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

export const poolSettingsBody = z.strictObject({
  reminderLeadHours: z
    .array(z.int().min(1).max(REMINDER_LEAD_HOURS_MAX))
    .max(REMINDER_LEADS_MAX)
    .refine((hours) => new Set(hours).size === hours.length, 'lead times must differ'),
});
