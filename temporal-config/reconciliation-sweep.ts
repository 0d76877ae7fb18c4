// The Temporal Schedule that reconciles the pools' records and ledger with Stripe, a bounded batch of due
// pools per firing. Created idempotently by every worker at start, so a fresh deployment has it.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

export const RECONCILIATION_SWEEP_SCHEDULE_ID = 'platform/reconciliation-sweep';
export const RECONCILIATION_SWEEP_WORKFLOW = 'reconciliationSweep';
/** How often due pools are reconciled; inside the mismatch alert's one-hour window. */
export const RECONCILIATION_SWEEP_INTERVAL = '20 minutes';

export async function ensureReconciliationSweepSchedule(client: Client, taskQueue: string): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: RECONCILIATION_SWEEP_SCHEDULE_ID,
      spec: { intervals: [{ every: RECONCILIATION_SWEEP_INTERVAL }] },
      action: {
        type: 'startWorkflow',
        workflowType: RECONCILIATION_SWEEP_WORKFLOW,
        workflowId: 'platform/reconciliation-sweep/run',
        taskQueue,
        args: [],
        workflowExecutionTimeout: '1h',
        staticSummary: "Reconcile the due pools' records and ledger with Stripe",
      },
      // One sweep at a time: a firing while the last still runs is skipped.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour', pauseOnFailure: false },
      state: { note: 'Mismatches: poolflow_reconciliation_mismatches_total and table reconciliation_checks' },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
}
