// Recognising why a signal to another workflow failed, from the failure Temporal's SDK core reports.
import { ApplicationFailure } from '@temporalio/workflow';

/**
 * The signalled workflow was not found: it has closed (or never ran). The SDK reports this as an
 * ApplicationFailure whose type names the server's cause.
 */
export function isClosedWorkflowSignalled(error: unknown): boolean {
  return error instanceof ApplicationFailure && error.type === 'ExternalWorkflowExecutionNotFound';
}
