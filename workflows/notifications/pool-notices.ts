// The notices of one pool (`pool/{poolId}/notices`): fed by signals that the worker sends whenever the
// pool or one of its rounds reports something (activities/notifications/tap.ts), it derives notices,
// keeps the reminders' timers, and delivers every notice in order — each email an activity of its own,
// keyed by (notice, channel, recipient), so retries and crashes never send one twice.
import { condition, continueAsNew, defineQuery, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { NotificationActivities } from '../../activities/notifications';
import type { Notice } from '../../domain/notifications/catalogue';
import {
  contributionDueSoon,
  noticesFromRound,
  noticesFromViewChange,
  paymentFailed,
  paymentSucceeded,
  type ChargeFailure,
} from '../../domain/notifications/derive';
import { nextDueAtMs, remindersAhead } from '../../domain/notifications/reminders';
import { isFinal } from '../../domain/pools/pool-lifecycle';
import { roundResultOf, type RoundReport } from '../../domain/pools/round-report';
import { applyPoolChange, type PoolChange } from '../../domain/pools/state';
import type { PoolView } from '../../domain/pools/pool-view';
import { NOTIFICATION_DB_ACTIVITY } from '../../temporal-config/notifications';
import { deliverNotice } from './deliver';

const db = proxyActivities<NotificationActivities>(NOTIFICATION_DB_ACTIVITY);
/** Notice keys remembered to drop a notice derived twice; the database's unique keys catch the rest. */
export const SEEN_KEYS_MAX = 2_000;
/** Rounds whose start time is remembered, for the "what happens next" of a failed payment. */
export const ROUND_STARTS_MAX = 24;
/** A pool that has ended keeps delivering late notices (refunds of a cancelled pool) until idle this long. */
export const IDLE_AFTER_END_MS = 7 * 24 * 3_600_000;

export interface PoolNoticesInput {
  poolId: string;
  carried?: PoolNoticesState;
}

export interface PoolNoticesState {
  view: PoolView | null;
  queue: Notice[];
  seenKeys: string[];
  roundStartedAtMs: Record<string, number>;
  delivered: number;
}

export interface ChargeReport {
  round: number;
  memberId: string;
  purpose: string;
  amountMinor: string;
  outcome: 'succeeded' | 'failed';
  failureCode: string | null;
}

/** Every new version of the pool's view, as its projection activity wrote it (pools projecting whole views). */
export const poolViewReportedSignal = defineSignal<[PoolView]>('poolViewReported');
/** Every change of the pool, as its projection activity wrote it: the summary and the member rows changed. */
export const poolChangeReportedSignal = defineSignal<[PoolChange]>('poolChangeReported');
/** A finished round, as its projection activity wrote it. */
export const roundReportedSignal = defineSignal<[{ kind: 'contribution' | 'distribution'; result: RoundReport }]>('roundReported');
/** A contribution charge's definite outcome (a decline, or an immediate success). */
export const chargeReportedSignal = defineSignal<[ChargeReport]>('chargeReported');
/** The definite outcomes of a batch of a round's charges, in one signal rather than one per member. */
export const chargesReportedSignal = defineSignal<[ChargeReport[]]>('chargesReported');
export const poolNoticesQuery = defineQuery<{ queued: number; delivered: number; version: number | null }>('poolNotices');

export async function poolNotices(input: PoolNoticesInput): Promise<void> {
  const s: PoolNoticesState = input.carried ?? { view: null, queue: [], seenKeys: [], roundStartedAtMs: {}, delivered: 0 };
  const seen = new Set(s.seenKeys);
  /** Bumped on every change of the pool's status, so a waiting reminder wakes and looks again. */
  let statusChanges = 0;
  let digestWanted = false;

  const enqueue = (notices: Notice[]) => {
    for (const notice of notices) {
      if (seen.has(notice.key) || notice.recipients.length === 0) continue;
      seen.add(notice.key);
      s.seenKeys.push(notice.key);
      s.queue.push(notice);
    }
    if (s.seenKeys.length > SEEN_KEYS_MAX) {
      for (const key of s.seenKeys.splice(0, s.seenKeys.length - SEEN_KEYS_MAX)) seen.delete(key);
    }
  };
  const nowIso = () => new Date(Date.now()).toISOString();
  const roundStarted = (round: number) => {
    s.roundStartedAtMs[String(round)] ??= Date.now();
    const rounds = Object.keys(s.roundStartedAtMs)
      .map(Number)
      .sort((a, b) => a - b);
    for (const old of rounds.slice(0, Math.max(0, rounds.length - ROUND_STARTS_MAX))) delete s.roundStartedAtMs[String(old)];
    return s.roundStartedAtMs[String(round)]!;
  };

  setHandler(poolNoticesQuery, () => ({ queued: s.queue.length, delivered: s.delivered, version: s.view?.version ?? null }));

  const viewReported = (view: PoolView) => {
    // Projections are retried and signals are not de-duplicated: only a newer version counts.
    if (s.view && view.version <= s.view.version) return;
    if (view.roundInProgress !== null) roundStarted(view.roundInProgress);
    enqueue(noticesFromViewChange(s.view, view, nowIso()));
    if (s.view?.status !== view.status) {
      statusChanges++;
      // The manager's daily digest runs while any of their pools is active.
      if (view.status === 'active') digestWanted = true;
    }
    s.view = view;
  };
  setHandler(poolViewReportedSignal, viewReported);
  setHandler(poolChangeReportedSignal, (change) => {
    // A change older than the view still adds member rows the view lacks (joins projected out of order).
    if (s.view && change.summary.version <= s.view.version) s.view = applyPoolChange(s.view, change);
    else viewReported(applyPoolChange(s.view, change));
  });

  setHandler(roundReportedSignal, ({ kind, result }) => {
    if (s.view) enqueue(noticesFromRound(s.view, kind, roundResultOf(result), Date.now()));
  });

  const chargeReported = (charge: ChargeReport) => {
    if (!s.view) return;
    const startedAtMs = roundStarted(charge.round);
    if (charge.outcome === 'succeeded') {
      enqueue([paymentSucceeded(s.view, charge, nowIso())]);
      return;
    }
    const failure: ChargeFailure = { ...charge, failureCode: charge.failureCode ?? 'declined' };
    enqueue([paymentFailed(s.view, failure, startedAtMs, Date.now())]);
  };
  setHandler(chargeReportedSignal, chargeReported);
  setHandler(chargesReportedSignal, (charges) => charges.forEach(chargeReported));

  /** Sends the reminders of each coming round at the pool's lead times while the pool is active. */
  const reminders = async () => {
    for (;;) {
      await condition(() => s.view !== null && (s.view.status === 'active' || isFinal(s.view.status)));
      if (isFinal(s.view!.status)) return;
      const epoch = statusChanges;
      const dueAtMs = nextDueAtMs(s.view!.config.cadence, Date.now());
      const leadHours = await db.reminderLeadHours(s.view!.poolId);
      for (const reminder of remindersAhead(dueAtMs, leadHours, Date.now())) {
        // A pause (or any change of status) wakes the wait, and the plan is made again from scratch.
        if (await condition(() => statusChanges !== epoch, Math.max(reminder.atMs - Date.now(), 1))) break;
        enqueue([contributionDueSoon(s.view!, dueAtMs, reminder.leadHours, Date.now())]);
      }
      if (statusChanges === epoch) await condition(() => statusChanges !== epoch, Math.max(dueAtMs - Date.now(), 1));
    }
  };

  const remindersDone = reminders();
  for (;;) {
    const ready = () => s.queue.length > 0 || digestWanted || workflowInfo().continueAsNewSuggested;
    if (s.view !== null && isFinal(s.view.status)) {
      if (!(await condition(ready, IDLE_AFTER_END_MS))) break;
    } else {
      await condition(ready);
    }
    if (digestWanted && s.view) {
      digestWanted = false;
      await db.ensureManagerDigest(s.view.managerId);
    }
    // One notice at a time, so every recipient hears of events in the order they happened.
    while (s.queue.length > 0) {
      await deliverNotice(s.queue[0]!);
      s.queue.shift();
      s.delivered++;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof poolNotices>({ poolId: input.poolId, carried: s });
    }
  }
  await remindersDone;
}
