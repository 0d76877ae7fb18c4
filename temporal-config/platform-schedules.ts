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
