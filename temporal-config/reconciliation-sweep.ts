// The Temporal Schedule that reconciles the pools' records and ledger with Stripe, a bounded batch of due
// pools per firing.
import type { Client } from '@temporalio/client';
import { ensurePlatformSweepSchedule, type PlatformSweep } from './platform-schedules';

export const RECONCILIATION_SWEEP_SCHEDULE_ID = 'platform/reconciliation-sweep';

const reconciliationSweep: PlatformSweep = {
  scheduleId: RECONCILIATION_SWEEP_SCHEDULE_ID,
  workflowType: 'reconciliationSweep',
  // Inside the mismatch alert's one-hour window.
  every: '20 minutes',
  executionTimeout: '1h',
  summary: "Reconcile the due pools' records and ledger with Stripe",
  note: 'Mismatches: poolflow_reconciliation_mismatches_total and table reconciliation_checks',
};

export const ensureReconciliationSweepSchedule = (client: Client, taskQueue: string) => ensurePlatformSweepSchedule(client, taskQueue, reconciliationSweep);
