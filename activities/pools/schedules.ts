// Activities that manage each active pool's Temporal Schedule — the calendar that drives its rounds —
// so that ops see and steer it in the Web UI. All are idempotent: creating an existing schedule,
// pausing a paused one or deleting a deleted one succeeds quietly.
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Cadence } from '../../domain/pools/pool-config';
import { scheduleSpecFor } from '../../temporal-config/schedule-spec';
import { workflowIds } from '../../temporal-config/workflow-ids';

export interface ScheduleActivityDeps {
  client: Client;
  /** The task queue the pool workers (and so the round-trigger workflow) listen on. */
  taskQueue: string;
}

/** The workflow type each schedule firing starts; it only signals the pool that a round is due. */
export const ROUND_TRIGGER_WORKFLOW = 'poolRoundTrigger';

export function createScheduleActivities(deps: ScheduleActivityDeps) {
  const handle = (poolId: string) => deps.client.schedule.getHandle(workflowIds.poolSchedule(poolId));

  const ignoreMissing = async (action: () => Promise<void>) => {
    try {
      await action();
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
  };

  return {
    async ensurePoolSchedule(input: { poolId: string; cadence: Cadence; poolName: string }): Promise<void> {
      try {
        await deps.client.schedule.create({
          scheduleId: workflowIds.poolSchedule(input.poolId),
          spec: scheduleSpecFor(input.cadence, input.poolId),
          action: {
            type: 'startWorkflow',
            workflowType: ROUND_TRIGGER_WORKFLOW,
            workflowId: workflowIds.roundTrigger(input.poolId),
            taskQueue: deps.taskQueue,
            args: [{ poolId: input.poolId }],
            workflowExecutionTimeout: '5m',
            staticSummary: `Round due for pool ${input.poolId}`,
          },
          // A firing while the previous trigger still runs is skipped; the pool itself buffers one round.
          policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day', pauseOnFailure: false },
          state: { note: `Rounds of pool "${input.poolName}"` },
          memo: { poolId: input.poolId },
        });
      } catch (error) {
        if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      }
    },

    async pausePoolSchedule(input: { poolId: string; note: string }): Promise<void> {
      await handle(input.poolId).pause(input.note);
    },

    async unpausePoolSchedule(input: { poolId: string; note: string }): Promise<void> {
      await handle(input.poolId).unpause(input.note);
    },

    async deletePoolSchedule(input: { poolId: string }): Promise<void> {
      await ignoreMissing(() => handle(input.poolId).delete());
    },
  };
}
