// How a round that closed unheard ended: read through the Temporal client for a pool run that did not
// start the round (it continued as new since) and found it closed when it asked the round to report.
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { RoundReport } from '../../domain/pools/round-report';
import { workflowIds } from '../../temporal-config/workflow-ids';

/** A closed round's result, or why it ended without one (failed, terminated, timed out, never started). */
export type ClosedRoundOutcome = { ended: 'completed'; result: RoundReport } | { ended: 'unreported'; reason: string };

export function createRoundOutcomeActivities(deps: { client: Client }) {
  return {
    /**
     * The outcome of the pool's round `round`, which has closed. A round still running is an error that
     * Temporal retries: the pool asks only after the round's workflow refused its signal as closed.
     */
    async closedRoundOutcome(input: { poolId: string; round: number }): Promise<ClosedRoundOutcome> {
      const handle = deps.client.workflow.getHandle<(input: unknown) => Promise<RoundReport>>(workflowIds.round(input.poolId, input.round));
      let status: string;
      try {
        status = (await handle.describe()).status.name;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return { ended: 'unreported', reason: `round ${input.round} has no workflow` };
        throw error;
      }
      if (status === 'RUNNING') throw new Error(`round ${input.round} of pool ${input.poolId} is still running`);
      try {
        return { ended: 'completed', result: await handle.result() };
      } catch (error) {
        if (!(error instanceof WorkflowFailedError)) throw error;
        // How it ended (failed, terminated, timed out, canceled) and the message of what ended it.
        const why = error.cause?.message ?? error.message;
        return { ended: 'unreported', reason: `round ${input.round} ${status.toLowerCase().replace('_', ' ')}: ${why}` };
      }
    },
  };
}
