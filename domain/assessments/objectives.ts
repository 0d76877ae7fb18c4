// The phase's objectives and how far along each is: profit target, minimum trading days, consistency.
// A challenge or verification phase passes when every objective is met; a funded phase never passes.
import { ceilDiv } from './decimal';
import { type AccountState } from './account-state';
import { countsAsTradingDay, currentPhase } from './limits';
import { limitMinor, ruleOf, type RulePack, type RuleOf } from './rule-pack';

const BPS = 10_000n;

export interface ObjectiveProgress {
  rule: 'profit-target' | 'min-trading-days' | 'consistency';
  met: boolean;
  /** Where the account stands and what is required, in `unit`. */
  current: string;
  required: string;
  unit: 'minor' | 'days' | 'bps';
}

/** Trading days counted so far in the phase, today included when it already qualifies. */
export function countedTradingDays(state: AccountState, rule: RuleOf<'min-trading-days'>): number {
  return state.closedDays.countedTradingDays + (countsAsTradingDay(state.today, rule) ? 1 : 0);
}

/** The best single day's profit in the phase, today included. */
export function bestDayPnlMinor(state: AccountState): bigint {
  const today = BigInt(state.today.balanceMinor) - BigInt(state.today.startBalanceMinor);
  const best = BigInt(state.closedDays.bestDayPnlMinor);
  return today > best ? today : best;
}

export function objectiveProgress(state: AccountState, pack: RulePack): ObjectiveProgress[] {
  const phase = currentPhase(state, pack);
  const progress: ObjectiveProgress[] = [];
  const initial = BigInt(state.initialBalanceMinor);
  const profit = BigInt(state.balanceMinor) - initial;
  const target = ruleOf(phase, 'profit-target');
  if (target !== undefined) {
    const required = limitMinor(target.target, initial);
    const measured = target.requireFlat ? profit : BigInt(state.equityMinor) - initial;
    const flatEnough = !target.requireFlat || state.positions.length === 0;
    progress.push({
      rule: 'profit-target',
      met: measured >= required && flatEnough,
      current: measured.toString(),
      required: required.toString(),
      unit: 'minor',
    });
  }
  const minDays = ruleOf(phase, 'min-trading-days');
  if (minDays !== undefined) {
    const counted = countedTradingDays(state, minDays);
    progress.push({ rule: 'min-trading-days', met: counted >= minDays.days, current: String(counted), required: String(minDays.days), unit: 'days' });
  }
  const consistency = ruleOf(phase, 'consistency');
  if (consistency !== undefined) {
    // The best day's share of total profit, in basis points; no profit yet means not met.
    const best = bestDayPnlMinor(state);
    const shareBps = profit > 0n ? ceilDiv(best * BPS, profit) : BPS;
    progress.push({
      rule: 'consistency',
      met: profit > 0n && best * BPS < profit * BigInt(consistency.bestDayShareBelowBps),
      current: shareBps.toString(),
      required: String(consistency.bestDayShareBelowBps),
      unit: 'bps',
    });
  }
  return progress;
}

/** Whether the phase is passed: a phase with objectives, every one met. A funded phase never passes. */
export function objectivesMet(state: AccountState, pack: RulePack): boolean {
  if (currentPhase(state, pack).kind === 'funded') return false;
  return objectiveProgress(state, pack).every((objective) => objective.met);
}
