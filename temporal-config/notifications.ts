// Activity policies of the notifications product (its workflow IDs are in workflow-ids.ts). Its
// workflows run on the pools task queue beside the workflows whose events they turn into notices.
import type { ActivityOptions } from '@temporalio/common';
import { TRANSIENT_RETRY } from './policies';

/** Database work of the notifications (feed rows, delivery records, queues). */
export const NOTIFICATION_DB_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '10m',
  retry: TRANSIENT_RETRY,
};

/** Attempts at one email before it is recorded as failed for operations to see. */
export const EMAIL_ATTEMPTS_MAX = 12;

/** One email over SMTP: retried with backoff (about two hours in all), then recorded as failed. */
export const EMAIL_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '30m', maximumAttempts: EMAIL_ATTEMPTS_MAX },
};

/** Attempts at one webhook delivery before its endpoint counts as persistently failing and is disabled. */
export const WEBHOOK_ATTEMPTS_MAX = 15;

/** One webhook POST: retried with backoff (1 s doubling to an hour, about 20 hours in all). */
export const WEBHOOK_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1h', maximumAttempts: WEBHOOK_ATTEMPTS_MAX },
};
