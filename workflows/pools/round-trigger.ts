// What each firing of a pool's Temporal Schedule runs: a one-step workflow that tells the pool a round
// is due. The pool decides what that means (run it, buffer it, or ignore it while paused).
import { getExternalWorkflowHandle } from '@temporalio/workflow';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { roundDueSignal } from './pool';

export async function poolRoundTrigger(input: { poolId: string }): Promise<void> {
  await getExternalWorkflowHandle(workflowIds.pool(input.poolId)).signal(roundDueSignal);
}
