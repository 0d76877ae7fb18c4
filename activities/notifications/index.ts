// The side effects of notifications: the feed (database, and a Redis stream per recipient for live
// events), email over SMTP keyed by (notice, channel, recipient), and the managers' webhook queues.
// Built from the worker's dependencies; the workflows in workflows/notifications/ call these.
import { feedEventsKey } from '../../cache/keys';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Redis } from '../../cache/redis';
import { claimDelivery, finishDelivery, noteAttemptError } from '../../db/notifications/deliveries';
import { noticeKeys } from '../../domain/core/idempotency-keys';
import { insertFeedItem } from '../../db/notifications/feed';
import { getPreferences, getReminderLeadHours, memberEmails } from '../../db/notifications/preferences';
import {
  disableEndpoint,
  enqueueDelivery,
  failDelivery,
  findDelivery,
  findEndpoint,
  nextPendingDelivery,
  recordAttempt,
  subscribedEndpoints,
} from '../../db/notifications/webhooks';
import type { Db } from '../../db/pool';
import { isMutable, isWebhookEventType, type Notice, type Recipient } from '../../domain/notifications/catalogue';
import { managerDigest, type PoolStanding } from '../../domain/notifications/digest';
import { renderNotice } from '../../domain/notifications/templates';
import { runningPoolViews } from '../../db/notifications/digest';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { roundProgressQuery } from '../../workflows/pools/round';
import { errorMessage } from '../../observability/log';
import { checkEndpointUrl, EndpointRefusedError, type EndpointPolicy } from './endpoint-policy';
import type { Mailer } from './mailer';
import { signedHeaders } from './signature';

/** Sending one webhook delivery. */
export const WEBHOOK_DELIVERY = {
  /** Bodies above this are refused (recorded in the delivery log) rather than sent. */
  payloadBytesMax: 64 * 1024,
  /** A receiver has this long to answer. */
  timeoutMs: 10_000,
} as const;
/** A digest covers at most this many of a manager's pools. */
export const DIGEST_POOLS_MAX = 200;
/** Live feed events kept per recipient in Redis; the database holds the whole feed. */
export const FEED_EVENTS_KEPT_MAX = 500;

export interface NotificationDeps {
  db: Db;
  redis: Redis;
  mailer: Mailer;
  webhookPolicy: EndpointPolicy;
}

/** The body a webhook receiver gets for a notice. */
export function webhookPayload(notice: Notice): string {
  return JSON.stringify({ id: notice.key, type: notice.type, createdAt: notice.occurredAt, poolId: notice.poolId, data: notice.data });
}

/** Signals a notifications workflow, starting it on this worker's task queue when it is not running. */
async function signalWithStart(workflowType: string, workflowId: string, input: object, signal: string): Promise<void> {
  const { client, info } = Context.current();
  await client.workflow.signalWithStart(workflowType, { workflowId, taskQueue: info.taskQueue, args: [input], signal, signalArgs: [] });
}

export function createNotificationActivities(deps: NotificationDeps) {
  const { db, redis, mailer } = deps;

  /** Names and addresses of the recipients, with their preferences. */
  const contacts = async (recipients: Recipient[]) => {
    const ids = recipients.map((r) => r.id);
    const [preferences, profiles] = await Promise.all([
      getPreferences(db, ids),
      memberEmails(
        db,
        recipients.filter((r) => r.role === 'member').map((r) => r.id),
      ),
    ]);
    return recipients.map((recipient) => {
      const prefs = preferences.get(recipient.id)!;
      const profile = recipient.role === 'member' ? profiles.get(recipient.id) : undefined;
      return { recipient, prefs, address: recipient.role === 'member' ? (profile?.email ?? null) : prefs.email, name: profile?.displayName ?? recipient.id };
    });
  };

  const queueWebhooks = async (notice: Notice) => {
    if (!isWebhookEventType(notice.type)) return;
    const endpointIds = await subscribedEndpoints(db, notice.managerId, notice.type);
    if (endpointIds.length === 0) return;
    const payload = webhookPayload(notice);
    const bytes = Buffer.byteLength(payload);
    const refusal = bytes > WEBHOOK_DELIVERY.payloadBytesMax ? `payload of ${bytes} bytes exceeds the limit of ${WEBHOOK_DELIVERY.payloadBytesMax}` : undefined;
    for (const endpointId of endpointIds) {
      await enqueueDelivery(db, { endpointId, eventId: notice.key, type: notice.type, poolId: notice.poolId, payload, ...(refusal ? { refusal } : {}) });
      await signalWithStart('webhookEndpoint', workflowIds.webhookEndpoint(endpointId), { endpointId }, 'deliveriesQueued');
    }
  };

  return {
    /**
     * Writes the notice into each recipient's feed (once, whatever the retries), publishes it on their
     * live stream, queues it for the manager's subscribed webhooks, and returns who gets an email.
     */
    async recordNotice(notice: Notice): Promise<{ emails: Recipient[] }> {
      const emails: Recipient[] = [];
      for (const { recipient, prefs, address, name } of await contacts(notice.recipients)) {
        const rendered = renderNotice(notice, recipient, prefs.language, name);
        const item = await insertFeedItem(db, notice, recipient, rendered.subject, rendered.text);
        if (item) {
          // The live stream is a convenience: the feed in the database is what the API reads.
          await redis.xadd(feedEventsKey(recipient.id), 'MAXLEN', '~', FEED_EVENTS_KEPT_MAX, '*', 'item', JSON.stringify(item)).catch(() => {});
        }
        const muted = prefs.muteReminders && isMutable(notice.type);
        if (prefs.emailEnabled && !muted && address) emails.push(recipient);
      }
      await queueWebhooks(notice);
      return { emails };
    },

    /** Sends one email, keyed by (notice, email, recipient): a delivery already sent is never sent again. */
    async sendNoticeEmail(input: { notice: Notice; recipient: Recipient }): Promise<'sent' | 'already-sent' | 'skipped'> {
      const { notice, recipient } = input;
      const key = noticeKeys.delivery('email', recipient.id, notice.key);
      const claimed = await claimDelivery(db, {
        deliveryKey: key,
        noticeKey: notice.key,
        recipientId: recipient.id,
        poolId: notice.poolId,
        type: notice.type,
        occurredAt: notice.occurredAt,
      });
      if (!claimed) return 'already-sent';
      const [contact] = await contacts([recipient]);
      const { prefs, address, name } = contact!;
      if (!address || !prefs.emailEnabled) {
        await finishDelivery(db, key, { status: 'skipped', error: address ? 'email turned off' : 'no email address' });
        return 'skipped';
      }
      const rendered = renderNotice(notice, recipient, prefs.language, name);
      try {
        const { messageId } = await mailer.send({ to: address, ...rendered, language: prefs.language, deliveryKey: key });
        await finishDelivery(db, key, { status: 'sent', address, language: prefs.language, messageId });
        return 'sent';
      } catch (error) {
        await noteAttemptError(db, key, errorMessage(error));
        throw error;
      }
    },

    /** Records an email whose every attempt failed, for operations (GET /v1/notifications/deliveries). */
    async recordEmailFailure(input: { notice: Notice; recipient: Recipient; error: string }): Promise<void> {
      await finishDelivery(db, noticeKeys.delivery('email', input.recipient.id, input.notice.key), { status: 'failed', error: input.error });
    },

    async reminderLeadHours(poolId: string): Promise<number[]> {
      return getReminderLeadHours(db, poolId);
    },

    /** Starts the manager's daily digest unless it runs already. */
    async ensureManagerDigest(managerId: string): Promise<void> {
      await signalWithStart('managerDigest', workflowIds.managerDigest(managerId), { managerId }, 'managerPoolActive');
    },

    /** The manager's digest for the day of `atMs` (workflow time), from their pools' projections. */
    async prepareManagerDigest(input: { managerId: string; atMs: number }): Promise<{ activePools: number; notice: Notice | null }> {
      const { client } = Context.current();
      const views = await runningPoolViews(db, input.managerId, DIGEST_POOLS_MAX);
      const standings: PoolStanding[] = [];
      for (const view of views) {
        let escalatedRound: number | null = null;
        if (view.roundInProgress !== null) {
          // Only the round itself knows that its payout waits for operations.
          const progress = await client.workflow
            .getHandle(workflowIds.round(view.poolId, view.roundInProgress))
            .query(roundProgressQuery)
            .catch(() => null);
          if (progress?.phase === 'payout-escalated') escalatedRound = progress.round;
        }
        standings.push({
          poolId: view.poolId,
          poolName: view.config.name,
          currency: view.config.currency,
          inArrears: view.members
            .filter((m) => m.arrearsMinor !== '0' && m.status !== 'left')
            .map((m) => ({ memberId: m.memberId, arrearsMinor: m.arrearsMinor })),
          suspended: view.members.filter((m) => m.status === 'suspended').map((m) => m.memberId),
          expelled: view.members.filter((m) => m.status === 'expelled').map((m) => m.memberId),
          escalatedRound,
        });
      }
      const at = new Date(input.atMs).toISOString();
      const notice = managerDigest(input.managerId, at.slice(0, 10), standings, at);
      return { activePools: views.filter((v) => v.status === 'active').length, notice };
    },

    /** The oldest event still to deliver to the endpoint, or null when its queue is empty or it is disabled. */
    async nextWebhookDelivery(endpointId: string): Promise<{ deliveryId: string; eventId: string } | null> {
      const endpoint = await findEndpoint(db, endpointId);
      if (!endpoint || endpoint.status !== 'enabled') return null;
      const next = await nextPendingDelivery(db, endpointId);
      return next ? { deliveryId: next.deliveryId, eventId: next.eventId } : null;
    },

    /** One signed POST of a queued event; anything but a 2xx answer throws, and Temporal retries with backoff. */
    async sendWebhookDelivery(input: { deliveryId: string }): Promise<'delivered' | 'skipped'> {
      const delivery = await findDelivery(db, input.deliveryId);
      if (!delivery || delivery.status !== 'pending') return 'skipped';
      const endpoint = await findEndpoint(db, delivery.endpointId);
      if (!endpoint || endpoint.status !== 'enabled') return 'skipped';
      try {
        await checkEndpointUrl(endpoint.url, deps.webhookPolicy);
      } catch (error) {
        if (!(error instanceof EndpointRefusedError)) throw error;
        await recordAttempt(db, delivery.deliveryId, { delivered: false, statusCode: null, error: error.message });
        throw ApplicationFailure.nonRetryable(error.message, 'EndpointRefused');
      }
      const secrets = [endpoint.secret];
      if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt.getTime() > Date.now())
        secrets.push(endpoint.previousSecret);
      const headers = signedHeaders(secrets, delivery.eventId, Math.floor(Date.now() / 1000), delivery.payload);
      let statusCode: number | null = null;
      try {
        // Redirects are not followed: a receiver could otherwise steer a signed request anywhere.
        const response = await fetch(endpoint.url, {
          method: 'POST',
          headers,
          body: delivery.payload,
          redirect: 'manual',
          signal: AbortSignal.timeout(WEBHOOK_DELIVERY.timeoutMs),
        });
        statusCode = response.status;
        await response.body?.cancel();
      } catch (error) {
        await recordAttempt(db, delivery.deliveryId, { delivered: false, statusCode: null, error: errorMessage(error) });
        throw new Error(`webhook delivery to endpoint ${endpoint.endpointId} failed: ${errorMessage(error)}`);
      }
      const delivered = statusCode >= 200 && statusCode < 300;
      await recordAttempt(db, delivery.deliveryId, { delivered, statusCode, error: delivered ? null : `HTTP ${statusCode}` });
      if (!delivered) throw new Error(`webhook endpoint ${endpoint.endpointId} answered HTTP ${statusCode}`);
      return 'delivered';
    },

    /** After every attempt failed: the delivery is failed and the endpoint disabled until its manager enables it. */
    async disableWebhookEndpoint(input: { endpointId: string; deliveryId: string; reason: string }): Promise<void> {
      await failDelivery(db, input.deliveryId, input.reason);
      await disableEndpoint(db, input.endpointId, `disabled after persistent delivery failure: ${input.reason}`);
    },
  };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;
