// Delivers one notice from a workflow: feed and webhook queues in one activity, then each email as an
// activity of its own keyed by (notice, email, recipient). An email whose every attempt failed is
// recorded as failed for operations, and delivery goes on with the next notice.
import { ActivityFailure, log, proxyActivities } from '@temporalio/workflow';
import type { NotificationActivities } from '../../activities/notifications';
import type { Notice, Recipient } from '../../domain/notifications/catalogue';
import { EMAIL_ACTIVITY, NOTIFICATION_DB_ACTIVITY } from '../../temporal-config/notifications';

const db = proxyActivities<NotificationActivities>(NOTIFICATION_DB_ACTIVITY);
const mail = proxyActivities<NotificationActivities>(EMAIL_ACTIVITY);

/** Emails sent at once for one notice; bounds pending activities (a pool has up to 1,000 members). */
export const EMAILS_IN_FLIGHT_MAX = 20;

export async function deliverNotice(notice: Notice): Promise<void> {
  const { emails } = await db.recordNotice(notice);
  for (let start = 0; start < emails.length; start += EMAILS_IN_FLIGHT_MAX) {
    await Promise.all(emails.slice(start, start + EMAILS_IN_FLIGHT_MAX).map((recipient) => sendEmail(notice, recipient)));
  }
}

async function sendEmail(notice: Notice, recipient: Recipient): Promise<void> {
  try {
    await mail.sendNoticeEmail({ notice, recipient });
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    log.warn('email delivery failed after every attempt', { key: notice.key, recipient: recipient.id });
    await db.recordEmailFailure({ notice, recipient, error: error.cause?.message ?? error.message });
  }
}
