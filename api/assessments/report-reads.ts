// Reads a phase's report: the one stored when the phase ended, or — for the phase still running — one
// built now from its closed trades and the workflow's current evaluation.
import type { AssessmentView } from '../../activities/assessments/assessments';
import { buildPhaseReport } from '../../activities/assessments/reports';
import type { AssessmentRow } from '../../db/assessments/assessments';
import { findReport } from '../../db/assessments/events';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { assessmentViewQuery } from '../../workflows/assessments/assessment';
import type { ApiDeps } from '../deps';
import { ProblemError } from '../problem';

export async function reportFor(deps: ApiDeps, row: AssessmentRow, phase: number | undefined): Promise<{ report: unknown; svg: string }> {
  const phaseIndex = phase ?? row.phaseIndex;
  const stored = await findReport(deps.db, row.assessmentId, phaseIndex);
  if (stored) return stored;
  if (row.status !== 'active' || phaseIndex !== row.phaseIndex) throw new ProblemError(404, 'Not Found', `no report for phase ${phaseIndex}`);
  const live = await deps.temporal.workflow
    .getHandle(workflowIds.assessment(row.assessmentId))
    .query(assessmentViewQuery)
    .catch(() => null);
  const view = (live ?? row.summary) as AssessmentView | null;
  if (!view) throw new ProblemError(404, 'Not Found', 'the assessment has no standing yet');
  return buildPhaseReport(deps.db, row.assessmentId, view.evaluation.phase.index, 'in-progress', view.evaluation);
}
