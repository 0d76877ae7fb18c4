// What "simulate this assessment" reads: the assessment's row (access is decided from it, as on every
// assessment route: its trader or ops, nobody else), its live account from the running workflow, its rule
// pack and the phase's closed trades from the database; then the model's parameters, or a 409 naming why
// the assessment cannot be simulated from where it stands.
import { findPack } from '../../db/assessments/rule-packs';
import { listTrades } from '../../db/assessments/events';
import type { ClosedTrade } from '../../domain/assessments/account-state';
import { assessmentParams, type AssessmentParams } from '../../domain/simulations/assessment';
import { AssessmentNotSimulableError, assessmentParamsFromHere, type AssessmentSimulationOptions } from '../../domain/simulations/assessment-inputs';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { assessmentAccountQuery } from '../../workflows/assessments/assessment';
import { assessmentFor } from '../assessments/access';
import type { Principal } from '../auth';
import type { ApiDeps } from '../deps';
import { ProblemError } from '../problem';

const notSimulable = (reason: string) => new ProblemError(409, 'Conflict', `the assessment cannot be simulated from here: ${reason}`);

export async function assessmentParamsFor(
  deps: ApiDeps,
  principal: Principal,
  assessmentId: string,
  options: AssessmentSimulationOptions,
): Promise<AssessmentParams> {
  // Any other role is told what another trader is told: there is no such assessment.
  if (principal.role !== 'trader' && principal.role !== 'ops') throw new ProblemError(404, 'Not Found', 'no such assessment');
  const row = await assessmentFor(deps, principal, assessmentId, 'read');
  if (row.status !== 'active') throw notSimulable(`it is ${row.status.replace('_', ' ')}`);
  const account = await deps.temporal.workflow
    .getHandle(workflowIds.assessment(assessmentId))
    .query(assessmentAccountQuery)
    .catch(() => null);
  if (!account) throw new ProblemError(409, 'Conflict', 'the assessment has no standing yet; try again shortly');
  const pack = await findPack(deps.db, row.packId);
  if (!pack) throw notSimulable(`its rule pack ${row.packId} is missing`);
  const trades = await listTrades<ClosedTrade>(deps.db, assessmentId, account.phaseIndex);
  let input: AssessmentParams;
  try {
    input = assessmentParamsFromHere(
      account,
      pack.pack,
      trades.map((t) => t.netPnlMinor),
      options,
    );
  } catch (error) {
    if (error instanceof AssessmentNotSimulableError) throw notSimulable(error.message);
    throw error;
  }
  // The account's state, not the caller's request, is what fails here (a funded phase, a phase at its end).
  const parsed = assessmentParams.safeParse(input);
  if (!parsed.success) throw notSimulable(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'params'}: ${issue.message}`).join('; '));
  return parsed.data;
}
