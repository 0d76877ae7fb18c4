// Sends a command (a workflow update) to a pool, and sends it again while the pool's run is handing
// over to its next run (continue-as-new): the run refuses new commands then, unapplied, so that the
// handlers under way can finish, and the same command lands on the next run a moment later. Used by
// the API and by every client that drives pools (tests, benchmarks, scripts).
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { PoolRejection } from '../../domain/pools/requests';

/** How many times a command refused during a handover is sent again; a handover takes well under a second. */
export const HANDOVER_RETRIES_MAX = 100;
/** The pause before sending a command again; it grows by this much per attempt, up to HANDOVER_RETRY_DELAY_MAX_MS. */
export const HANDOVER_RETRY_DELAY_MS = 25;
export const HANDOVER_RETRY_DELAY_MAX_MS = 500;

export function isHandingOver(error: unknown): boolean {
  return error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === PoolRejection.handingOver;
}

/**
 * Executes `definition` on the pool's current run, under `updateId` if given (so that Temporal drops a
 * repeat), retrying while the pool hands over. Any other refusal or failure is the caller's.
 */
export async function executePoolUpdate<Ret, Args extends unknown[]>(
  handle: WorkflowHandle,
  definition: UpdateDefinition<Ret, Args>,
  options: { args: Args; updateId?: string },
): Promise<Ret> {
  for (let attempt = 1; ; attempt++) {
    try {
      // The SDK's overloads split updates with and without arguments; one cast covers both here.
      return await handle.executeUpdate(
        definition as unknown as UpdateDefinition<Ret, [unknown]>,
        options as unknown as { args: [unknown]; updateId?: string },
      );
    } catch (error) {
      if (!isHandingOver(error) || attempt >= HANDOVER_RETRIES_MAX) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(HANDOVER_RETRY_DELAY_MS * attempt, HANDOVER_RETRY_DELAY_MAX_MS)));
    }
  }
}
