// Turns what the Temporal client throws into problem responses: an update refused by the pool
// workflow's validator becomes a 409 or 422 carrying its reason, a missing workflow a 404.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { PoolRejection } from '../workflows/pools/pool';
import { ProblemError } from './problem';

const STATUS_BY_REJECTION: Record<string, ContentfulStatusCode> = {
  [PoolRejection.invalidRequest]: 422,
  [PoolRejection.invalidState]: 409,
  [PoolRejection.full]: 409,
  [PoolRejection.alreadyMember]: 409,
  [PoolRejection.notMember]: 404,
  [PoolRejection.notEligible]: 422,
  [PoolRejection.roundInProgress]: 409,
  // Only when the pool kept handing over through every retry (api/pools/pool-commands.ts): try again shortly.
  [PoolRejection.handingOver]: 503,
};

/** The pool's reason for refusing an update (a PoolRejection type), or undefined when it gave none. */
export function rejectionType(error: WorkflowUpdateFailedError): string | undefined {
  return error.cause instanceof ApplicationFailure ? (error.cause.type ?? undefined) : undefined;
}

/** The problem for a Temporal client error, or undefined when it is not one this API explains. */
export function temporalProblem(error: unknown): ProblemError | undefined {
  if (error instanceof WorkflowNotFoundError) return new ProblemError(404, 'Not Found', 'no such pool');
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause;
    if (cause instanceof ApplicationFailure && cause.type && STATUS_BY_REJECTION[cause.type]) {
      return new ProblemError(STATUS_BY_REJECTION[cause.type]!, cause.type, cause.message);
    }
  }
  return undefined;
}
