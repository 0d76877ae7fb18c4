// Retry and timeout policies, written out rather than left to Temporal's defaults, so that every
// activity's behaviour under failure can be read in one place.
import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/common';

/**
 * Transient faults (database, Redis, network) are retried with backoff until the activity's
 * schedule-to-close timeout; leaving maximumAttempts unset means no attempt cap of its own.
 */
export const TRANSIENT_RETRY: RetryPolicy = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval: '30s',
};

/** Short database and cache activities. */
export const DB_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '10m',
  retry: TRANSIENT_RETRY,
};

/**
 * Calls to Stripe: slower, and rate limits need a longer backoff ceiling. Each attempt heartbeats while
 * it runs (workers/heartbeat.ts), so an attempt lost with its worker is retried after the heartbeat
 * timeout; a hung request ends with the SDK's own timeout (STRIPE_REQUEST_TIMEOUT_MS, 20 s), and the
 * start-to-close timeout only bounds an attempt that makes several such requests.
 */
export const STRIPE_ACTIVITY: ActivityOptions = {
  heartbeatTimeout: '8s',
  startToCloseTimeout: '45s',
  scheduleToCloseTimeout: '30m',
  retry: { ...TRANSIENT_RETRY, maximumInterval: '2m' },
};

/**
 * One pool reconciled against Stripe (activities/core/reconciliation-sweep.ts): Stripe reads as in
 * STRIPE_ACTIVITY, heartbeating, but a pool with many objects may take minutes to read.
 */
export const RECONCILE_POOL_ACTIVITY: ActivityOptions = {
  ...STRIPE_ACTIVITY,
  startToCloseTimeout: '10m',
};

/**
 * A batch of a round's charges (activities/pools/contribution-batch.ts): as STRIPE_ACTIVITY, heartbeating
 * while it runs, but an attempt may take minutes when the shared Stripe rate limit spaces its requests.
 */
export const STRIPE_BATCH_ACTIVITY: ActivityOptions = {
  ...STRIPE_ACTIVITY,
  startToCloseTimeout: '5m',
};

/**
 * The same short database steps run as local activities, in the worker that runs the workflow: one
 * marker event in the history instead of an activity's three events and a workflow task of its own, and
 * no round trip through the server. Their inputs are not written to the history at all. Used for steps
 * that are idempotent under their business keys, since a workflow task retried after a crash runs them
 * again. Backoff past a minute waits on a server timer rather than in the worker.
 */
export const DB_LOCAL_ACTIVITY: LocalActivityOptions = {
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '10m',
  retry: TRANSIENT_RETRY,
  localRetryThreshold: '1m',
};

/** A single Stripe request (a payout transfer, a refund) as a local activity; see STRIPE_ACTIVITY and DB_LOCAL_ACTIVITY. */
export const STRIPE_LOCAL_ACTIVITY: LocalActivityOptions = {
  startToCloseTimeout: '45s',
  scheduleToCloseTimeout: '30m',
  retry: { ...TRANSIENT_RETRY, maximumInterval: '2m' },
  localRetryThreshold: '1m',
};
