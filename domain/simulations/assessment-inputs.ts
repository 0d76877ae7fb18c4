// "Simulate this assessment from here": the assessment model's parameters from a running assessment's
// live account and its rule pack, drawing future trades from the trader's own closed trades of the phase.
// The simulated phase starts at the account's balance, highs, best day and trading days, at the start of
// the next trading day (today's remaining trades are not modelled apart from the days that follow).
import type { AccountState } from '../assessments/account-state';
import type { RulePack } from '../assessments/rule-pack';
import { TRADE_HISTORY_MAX, TRADES_PER_DAY_MAX, type AssessmentParams } from './assessment';

/** Thrown when the assessment's state cannot be simulated from here (no trades yet, amounts too large). */
export class AssessmentNotSimulableError extends Error {}

export interface AssessmentSimulationOptions {
  /** Trades a simulated day; by default the trader's own pace so far in the phase. */
  tradesPerDay?: number;
}

const safe = (text: string, what: string): number => {
  const value = BigInt(text);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER))
    throw new AssessmentNotSimulableError(`the ${what} is too large to simulate exactly`);
  return Number(value);
};

/**
 * The model's input (validated by the caller against `assessmentParams`): the phase's rules from the pack,
 * the account as it stands, and the net results of the phase's closed trades (oldest first, at most
 * TRADE_HISTORY_MAX) to draw from.
 */
export function assessmentParamsFromHere(
  account: AccountState,
  pack: RulePack,
  tradeNetPnlMinor: readonly string[],
  options: AssessmentSimulationOptions = {},
): AssessmentParams {
  if (tradeNetPnlMinor.length === 0) throw new AssessmentNotSimulableError('the phase has no closed trades yet to draw future trades from');
  const trades = tradeNetPnlMinor.slice(0, TRADE_HISTORY_MAX).map((pnl) => safe(pnl, 'trade result'));
  const day = account.closedDays.count;
  const ownPace = Math.round(tradeNetPnlMinor.length / (day + 1));
  return {
    initialBalanceMinor: safe(account.initialBalanceMinor, 'initial balance'),
    rules: { rulePack: pack, phase: account.phaseIndex },
    tradesPerDay: options.tradesPerDay ?? Math.min(TRADES_PER_DAY_MAX, Math.max(1, ownPace)),
    winRate: 0.5,
    rewardToRisk: 1,
    riskPerTradeMinor: 0,
    fromHere: {
      tradePnlMinor: trades,
      balanceMinor: safe(account.balanceMinor, 'balance'),
      endOfDayHighMinor: safe(account.endOfDayHighMinor, 'end-of-day high'),
      highMinor: safe(account.equityHighMinor, 'equity high'),
      bestDayMinor: safe(account.closedDays.bestDayPnlMinor, 'best day'),
      day,
      tradingDays: account.closedDays.countedTradingDays,
    },
  };
}
