// Who may do what with an assessment, decided from the database on every request: a trader reads and
// trades only their own assessments, ops read every one and steer it, nobody else sees any. An
// assessment the caller may not see does not exist for them (404), so IDs cannot be probed.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { findAssessment, type AssessmentRow } from '../../db/assessments/assessments';
import { AssessmentRejection } from '../../workflows/assessments/assessment';
import type { Principal } from '../auth';
import type { ApiDeps } from '../deps';
import { ProblemError } from '../problem';

export const ASSESSMENT_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** read: the owner or ops. trade: the owner only (the trader consents to every trade). steer: ops only. */
export type AssessmentAction = 'read' | 'trade' | 'steer';

export function requireRole(principal: Principal, ...roles: Principal['role'][]): void {
  if (!roles.includes(principal.role)) throw new ProblemError(403, 'Forbidden', `this needs the ${roles.join(' or ')} role`);
}

export async function assessmentFor(deps: Pick<ApiDeps, 'db'>, principal: Principal, assessmentId: string, action: AssessmentAction): Promise<AssessmentRow> {
  requireRole(principal, ...(action === 'trade' ? (['trader'] as const) : action === 'steer' ? (['ops'] as const) : (['trader', 'ops'] as const)));
  const row = ASSESSMENT_ID_PATTERN.test(assessmentId) ? await findAssessment(deps.db, assessmentId) : null;
  if (!row || (principal.role === 'trader' && row.traderId !== principal.sub)) throw new ProblemError(404, 'Not Found', 'no such assessment');
  return row;
}

/** An assessment must be running for trading and steering; before and after, the answer is a 409. */
export function requireActive(row: AssessmentRow): void {
  if (row.status !== 'active') throw new ProblemError(409, 'Assessment Not Active', `the assessment is ${row.status.replace('_', ' ')}`);
}

const STATUS_BY_REJECTION: Record<string, ContentfulStatusCode> = {
  [AssessmentRejection.invalidRequest]: 422,
  [AssessmentRejection.invalidState]: 409,
  [AssessmentRejection.orderRefused]: 422,
  [AssessmentRejection.noPrice]: 409,
};

/** Runs a workflow call and turns its refusals into problems naming the workflow's reason. */
export async function workflowCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new ProblemError(409, 'Assessment Not Running', 'the assessment workflow is not running');
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type && STATUS_BY_REJECTION[error.cause.type]) {
      throw new ProblemError(STATUS_BY_REJECTION[error.cause.type]!, error.cause.type, error.cause.message);
    }
    throw error;
  }
}
