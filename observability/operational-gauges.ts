// Gauges the worker computes when Prometheus scrapes: the webhook backlog (signals owed to workflows),
// rounds running far longer than any round should (stuck), schedule firings Temporal missed, and pools
// the reconciliation sweep has not checked for far too long.
import type { Client } from '@temporalio/client';
import { RECONCILE_OVERDUE_AFTER_MS } from '../activities/core/reconciliation-sweep';
import { countPoolsOverdueForReconciliation } from '../db/payments/reconciliation-checks';
import type { Db } from '../db/pool';
import { scrapedGauge } from './metrics';

/** A round lasting longer than this is stuck: grace period, dunning and the 14-day processing wait all fit well within it. */
export const ROUND_STUCK_AFTER_MS = 21 * 24 * 3_600_000;
/** Schedules looked at per scan; beyond this the gauge under-counts (and says so in its help). */
export const SCHEDULES_SCANNED_MAX = 1_000;
const SCHEDULE_SCAN_CACHE_MS = 60_000;
/** The overdue count scans every pool; a minute-old figure is plenty for an alert that waits 30 minutes. */
const OVERDUE_COUNT_CACHE_MS = 60_000;

export function registerOperationalGauges(deps: { db: Db; client: Client }): void {
  const { db, client } = deps;
  scrapedGauge('poolflow_webhook_backlog', 'Stripe events whose signal has not reached its workflow yet', async () => {
    const { rows } = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM stripe_webhook_events WHERE routed_at IS NULL AND signal_workflow_id IS NOT NULL',
    );
    return Number(rows[0]?.n ?? 0);
  });
  scrapedGauge('poolflow_webhook_backlog_oldest_seconds', 'Age of the oldest Stripe event whose signal is still owed (0 when none)', async () => {
    const { rows } = await db.query<{ age: string | null }>(
      'SELECT extract(epoch FROM now() - min(received_at)) AS age FROM stripe_webhook_events WHERE routed_at IS NULL AND signal_workflow_id IS NOT NULL',
    );
    return Number(rows[0]?.age ?? 0);
  });
  scrapedGauge('poolflow_rounds_stuck', `Round workflows running for more than ${ROUND_STUCK_AFTER_MS / 86_400_000} days`, async () => {
    const since = new Date(Date.now() - ROUND_STUCK_AFTER_MS).toISOString();
    const { count } = await client.workflow.count(`WorkflowType = 'contributionRound' AND ExecutionStatus = 'Running' AND StartTime < '${since}'`);
    return count;
  });
  scrapedGauge(
    'poolflow_schedule_firings_missed',
    `Firings of pool schedules missed beyond their catch-up window (first ${SCHEDULES_SCANNED_MAX} schedules)`,
    async () => {
      let missed = 0;
      let scanned = 0;
      for await (const schedule of client.schedule.list()) {
        if (++scanned > SCHEDULES_SCANNED_MAX) break;
        if (!schedule.scheduleId.startsWith('pool/')) continue;
        missed += (await client.schedule.getHandle(schedule.scheduleId).describe()).info.numActionsMissedCatchupWindow;
      }
      return missed;
    },
    SCHEDULE_SCAN_CACHE_MS,
  );
  scrapedGauge(
    'poolflow_reconciliation_overdue_pools',
    `Pools older than ${RECONCILE_OVERDUE_AFTER_MS / 3_600_000} hours that reconciliation has not checked for that long`,
    () => countPoolsOverdueForReconciliation(db, { overdueAfterMs: RECONCILE_OVERDUE_AFTER_MS }),
    OVERDUE_COUNT_CACHE_MS,
  );
}
