// What a pool run that did not start its round (it continued as new since) reads of that round through
// the Temporal client: how it ended, when it closed unheard; and its input, to run it again.
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { RoundStart } from '../../domain/pools/round-input';
import type { RoundReport } from '../../domain/pools/round-report';
import { workflowIds } from '../../temporal-config/workflow-ids';

/** gRPC's NOT_FOUND: no workflow of that ID. */
const NOT_FOUND = 5;

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

    /**
     * The input round `round` was started with, from the first event of its history: what a pool run
     * that did not begin the round needs to run it again under the same keys (runs do not carry it).
     * Null when the round has no workflow.
     */
    async startedRoundInput(input: { poolId: string; round: number }): Promise<RoundStart | null> {
      const { namespace, loadedDataConverter } = deps.client.options;
      let first;
      try {
        const page = await deps.client.workflowService.getWorkflowExecutionHistory({
          namespace,
          execution: { workflowId: workflowIds.round(input.poolId, input.round) },
          maximumPageSize: 1,
        });
        first = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
      } catch (error) {
        if ((error as { code?: number }).code === NOT_FOUND) return null;
        throw error;
      }
      if (!first?.input?.payloads) throw new Error(`round ${input.round} of pool ${input.poolId} has no start event with an input`);
      return decodeFromPayloadsAtIndex<RoundStart>(loadedDataConverter, 0, first.input.payloads);
    },
  };
}
