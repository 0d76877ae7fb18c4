// The assessment report: where the phase stands, its statistics, every violation explained with its
// numbers, and the equity curve with its floors. Built on demand and at every phase end, from the
// account state and the closed trades the database holds.
import { type AccountState, type ClosedTrade } from './account';
import { curveFromState, equityCurveSvg, violationMarkers } from './equity-curve';
import { evaluate, type Evaluation } from './evaluate';
import { type RulePack } from './rule-pack';
import { tradeStatistics, type EquityPoint, type TradeStatistics } from './statistics';

export interface AssessmentReport {
  tierId: string;
  packVersion: number;
  currency: string;
  evaluation: Evaluation;
  statistics: TradeStatistics;
  trades: readonly ClosedTrade[];
  equityCurveSvg: string;
}

/**
 * The equity series the drawdown is measured on: each recorded day's start, its lowest equity and its
 * close. Intraday highs are left out because their time within the day is not kept, so the drawdown
 * never counts a fall that might have come before the rise.
 */
export function drawdownSeries(state: AccountState): EquityPoint[] {
  return [...state.days, state.today].flatMap((day, index) => [
    { atMs: index * 3, equityMinor: day.startEquityMinor },
    { atMs: index * 3 + 1, equityMinor: day.lowEquityMinor },
    { atMs: index * 3 + 2, equityMinor: day.equityMinor },
  ]);
}

export function buildReport(state: AccountState, pack: RulePack, trades: readonly ClosedTrade[]): AssessmentReport {
  const phase = pack.phases[state.phaseIndex];
  return {
    tierId: pack.tierId,
    packVersion: pack.version,
    currency: pack.currency,
    evaluation: evaluate(state, pack),
    statistics: tradeStatistics(trades, drawdownSeries(state), pack.tradingDay),
    trades,
    equityCurveSvg: equityCurveSvg(curveFromState(state, pack), {
      currency: pack.currency,
      title: `${pack.name} — ${phase?.name ?? ''}: equity and loss floors`,
      markers: violationMarkers(state),
    }),
  };
}
