// The Temporal Schedule that sweeps the pools' platform-fee accounts into the platform's revenue account.
// Created idempotently by every worker at start, so a fresh deployment has it without a setup step.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

export const PLATFORM_FEE_SWEEP_SCHEDULE_ID = 'platform/fee-sweep';
export const PLATFORM_FEE_SWEEP_WORKFLOW = 'platformFeeSweep';
/** How often fee income reaches the platform's revenue account. */
export const PLATFORM_FEE_SWEEP_INTERVAL = '15 minutes';

export async function ensurePlatformFeeSweepSchedule(client: Client, taskQueue: string): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: PLATFORM_FEE_SWEEP_SCHEDULE_ID,
      spec: { intervals: [{ every: PLATFORM_FEE_SWEEP_INTERVAL }] },
      action: {
        type: 'startWorkflow',
        workflowType: PLATFORM_FEE_SWEEP_WORKFLOW,
        workflowId: 'platform/fee-sweep/run',
        taskQueue,
        args: [],
        workflowExecutionTimeout: '10m',
        staticSummary: "Sweep the pools' platform fees into the platform's revenue",
      },
      // One sweep at a time: a firing while the last still runs is skipped.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour', pauseOnFailure: false },
      state: { note: "Moves each pool's platform-fee balance into platform:fee_revenue" },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
}
