// Reads a phase's report: the one stored when the phase ended, or — for the phase still running — one
// built now from the workflow's current account and the phase's closed trades.
import { buildPhaseReport } from '../../activities/assessments/reports';
import type { AssessmentRow } from '../../db/assessments/assessments';
import { findReport } from '../../db/assessments/events';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { assessmentAccountQuery } from '../../workflows/assessments/assessment';
import type { ApiDeps } from '../deps';
import { ProblemError } from '../problem';

export async function reportFor(deps: ApiDeps, row: AssessmentRow, phase: number | undefined): Promise<{ report: unknown; svg: string }> {
  const phaseIndex = phase ?? row.phaseIndex;
  const stored = await findReport(deps.db, row.assessmentId, phaseIndex);
  if (stored) return stored;
  if (row.status !== 'active' || phaseIndex !== row.phaseIndex) throw new ProblemError(404, 'Not Found', `no report for phase ${phaseIndex}`);
  const account = await deps.temporal.workflow
    .getHandle(workflowIds.assessment(row.assessmentId))
    .query(assessmentAccountQuery)
    .catch(() => null);
  if (!account || account.phaseIndex !== phaseIndex) throw new ProblemError(404, 'Not Found', 'the phase has no standing yet; try again shortly');
  return buildPhaseReport(deps.db, row.assessmentId, row.packId, account, 'in-progress');
}
