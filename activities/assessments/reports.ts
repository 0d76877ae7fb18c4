// Phase reports: written once per phase when it ends (and built on demand while it runs) by the domain's
// buildReport from the phase's final account and its closed trades: the evaluation, the statistics,
// every violation explained, and the equity curve with its daily-loss and maximum-loss floors as SVG.
import { insertReport, listTrades } from '../../db/assessments/events';
import { findPack } from '../../db/assessments/rule-packs';
import type { Queryable } from '../../db/pool';
import { buildReport, type AccountState, type ClosedTrade } from '../../domain/assessments/index';
import type { PhaseEnded } from '../../workflows/assessments/state';

export type ReportResult = PhaseEnded['result'] | 'in-progress';

export async function buildPhaseReport(
  db: Queryable,
  assessmentId: string,
  packId: string,
  account: AccountState,
  result: ReportResult,
): Promise<{ report: unknown; svg: string }> {
  const pack = await findPack(db, packId);
  if (!pack) throw new Error(`rule pack ${packId} does not exist`);
  const trades = await listTrades<ClosedTrade>(db, assessmentId, account.phaseIndex);
  const { equityCurveSvg, ...report } = buildReport(account, pack.pack, trades);
  return { report: { assessmentId, phaseIndex: account.phaseIndex, result, ...report }, svg: equityCurveSvg };
}

export async function writePhaseReports(db: Queryable, assessmentId: string, packId: string, phasesEnded: readonly PhaseEnded[]): Promise<void> {
  for (const ended of phasesEnded) {
    const { report, svg } = await buildPhaseReport(db, assessmentId, packId, ended.account, ended.result);
    await insertReport(db, assessmentId, ended.phaseIndex, report, svg);
  }
}
