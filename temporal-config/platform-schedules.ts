// The platform's own periodic sweeps (not any one pool's) as Temporal Schedules, created idempotently by
// every worker at start so that a fresh deployment has them without a setup step.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

export interface PlatformSweep {
  scheduleId: string;
  workflowType: string;
  /** How often it fires, as a Temporal duration ('15 minutes'). */
  every: string;
  /** A run still going after this long is stopped; the next firing starts afresh. */
  executionTimeout: string;
  /** What the Web UI shows for each run. */
  summary: string;
  /** What the Web UI shows on the schedule: where to look for its effects. */
  note: string;
}

/** Every platform sweep; each pools worker ensures them all at start (ensurePlatformSweepSchedules). */
export const PLATFORM_SWEEPS = {
  /** Sweeps the pools' platform-fee accounts into the platform's revenue account. */
  feeSweep: {
    scheduleId: 'platform/fee-sweep',
    workflowType: 'platformFeeSweep',
    // How often fee income reaches the platform's revenue account.
    every: '15 minutes',
    executionTimeout: '10m',
    summary: "Sweep the pools' platform fees into the platform's revenue",
    note: "Moves each pool's platform-fee balance into platform:fee_revenue",
  },
  /** Reconciles the pools' records and ledger with Stripe, a bounded batch of due pools per firing. */
  reconciliationSweep: {
    scheduleId: 'platform/reconciliation-sweep',
    workflowType: 'reconciliationSweep',
    // Inside the mismatch alert's one-hour window.
    every: '20 minutes',
    executionTimeout: '1h',
    summary: "Reconcile the due pools' records and ledger with Stripe",
    note: 'Mismatches: poolflow_reconciliation_mismatches_total and table reconciliation_checks',
  },
} as const satisfies Record<string, PlatformSweep>;

/** Creates every platform sweep's schedule that does not exist yet, starting its runs on `taskQueue`. */
export async function ensurePlatformSweepSchedules(client: Client, taskQueue: string): Promise<void> {
  for (const sweep of Object.values(PLATFORM_SWEEPS)) await ensurePlatformSweepSchedule(client, taskQueue, sweep);
}

export async function ensurePlatformSweepSchedule(client: Client, taskQueue: string, sweep: PlatformSweep): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: sweep.scheduleId,
      spec: { intervals: [{ every: sweep.every }] },
      action: {
        type: 'startWorkflow',
        workflowType: sweep.workflowType,
        workflowId: `${sweep.scheduleId}/run`,
        taskQueue,
        args: [],
        workflowExecutionTimeout: sweep.executionTimeout,
        staticSummary: sweep.summary,
      },
      // One sweep at a time: a firing while the last still runs is skipped.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour', pauseOnFailure: false },
      state: { note: sweep.note },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
}
