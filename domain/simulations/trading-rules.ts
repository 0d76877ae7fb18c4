// The rules of an assessment phase as the trading model checks them after every simulated trade: plain
// numbers, so a path allocates nothing. They come from a tier's rule pack through the assessment
// domain's own definitions (ruleOf, limitMinor), or from explicit limits; `verdictAfterTrade` follows the
// live evaluator's order and thresholds (domain/assessments/account.ts): loss limits first (a breach is
// a value below floor − tolerance; hard fails, soft pauses until the next day), then the objectives
// (profit target, minimum trading days counting today, consistency). trading-rules.test.ts replays
// random trade sequences through both and requires the same verdicts.
import { z } from 'zod';
import { limitMinor, ruleOf, rulePackSchema, type RulePack } from '../assessments/rule-pack';

const safeMinor = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const severity = z.enum(['hard', 'soft']).default('hard');

/** Explicit limits, for a phase that is not (yet) a rule pack. */
export const explicitRulesSchema = z.strictObject({
  /** Profit over the initial balance that passes the phase. */
  profitTargetMinor: safeMinor.refine((v) => v > 0, 'must be greater than zero'),
  /** A day's loss from the day's starting balance beyond this breaches. */
  dailyLossMinor: safeMinor.nullable().default(null),
  dailyLossSeverity: severity,
  /** A loss from the reference (initial, or the trailed high) beyond this breaches. */
  maxLossMinor: safeMinor.nullable().default(null),
  maxLossMode: z.enum(['static', 'trailing-end-of-day', 'trailing-intraday-equity']).default('static'),
  maxLossSeverity: severity,
  minTradingDays: z.int().min(0).max(366).default(0),
  /** The best day must stay strictly below this share of the total profit (basis points). */
  consistencyBelowBps: z.int().min(1).max(10_000).nullable().default(null),
  /** Days the phase may last; reaching the end without passing or failing is a timeout. */
  timeLimitDays: z.int().min(1).max(366),
});

/** A tier's pack and which phase of it to simulate. */
export const packRulesSchema = z.strictObject({ rulePack: rulePackSchema, phase: z.int().min(0).max(3).default(0) });

export const tradingRulesSchema = z.union([explicitRulesSchema, packRulesSchema]);
export type TradingRulesInput = z.output<typeof tradingRulesSchema>;

/** The compiled rules: every amount in minor units as a number. */
export interface TradingRules {
  profitTargetMinor: number;
  daily: { limitMinor: number; dayStartBps: number; toleranceMinor: number; hard: boolean } | null;
  maxLoss: {
    limitMinor: number;
    mode: 'static' | 'trailing-end-of-day' | 'trailing-intraday-equity';
    lockMinor: number;
    toleranceMinor: number;
    hard: boolean;
  } | null;
  minTradingDays: number;
  consistencyBelowBps: number;
  timeLimitDays: number;
}

/** Thrown when a phase cannot be simulated by the trade model (funded phase, no time limit, a rule it cannot represent). */
export class PhaseNotSimulableError extends Error {}

const NO_LOCK = Number.POSITIVE_INFINITY;

export function compileRules(input: TradingRulesInput, initialMinor: number): TradingRules {
  if (!('rulePack' in input)) {
    return {
      profitTargetMinor: input.profitTargetMinor,
      daily:
        input.dailyLossMinor === null
          ? null
          : { limitMinor: input.dailyLossMinor, dayStartBps: 0, toleranceMinor: 0, hard: input.dailyLossSeverity === 'hard' },
      maxLoss:
        input.maxLossMinor === null
          ? null
          : { limitMinor: input.maxLossMinor, mode: input.maxLossMode, lockMinor: NO_LOCK, toleranceMinor: 0, hard: input.maxLossSeverity === 'hard' },
      minTradingDays: input.minTradingDays,
      consistencyBelowBps: input.consistencyBelowBps ?? 0,
      timeLimitDays: input.timeLimitDays,
    };
  }
  return compilePack(input.rulePack, input.phase, initialMinor);
}

function compilePack(pack: RulePack, phaseIndex: number, initialMinor: number): TradingRules {
  const phase = pack.phases[phaseIndex];
  if (!phase) throw new PhaseNotSimulableError(`the pack has no phase ${phaseIndex}`);
  const initial = BigInt(initialMinor);
  const target = ruleOf(phase, 'profit-target');
  const time = ruleOf(phase, 'time-limit');
  if (!target || !time) throw new PhaseNotSimulableError(`phase ${phaseIndex} (${phase.kind}) has no profit target and time limit to pass or time out`);
  const daily = ruleOf(phase, 'daily-loss');
  const max = ruleOf(phase, 'max-loss');
  const minDays = ruleOf(phase, 'min-trading-days');
  if (minDays?.countsWhen.kind === 'min-profit') throw new PhaseNotSimulableError('days counted by a minimum profit are not simulated');
  return {
    profitTargetMinor: Number(limitMinor(target.target, initial)),
    daily: daily
      ? {
          // A share of the day's starting balance is computed per day from dayStartBps; otherwise the limit is fixed.
          limitMinor: daily.limit.kind === 'percent-of-day-start-balance' ? 0 : Number(limitMinor(daily.limit, initial)),
          dayStartBps: daily.limit.kind === 'percent-of-day-start-balance' ? daily.limit.bps : 0,
          toleranceMinor: Number(daily.toleranceMinor),
          hard: daily.severity === 'hard',
        }
      : null,
    maxLoss: max
      ? {
          limitMinor: Number(limitMinor(max.limit, initial)),
          mode: max.mode,
          lockMinor: max.mode !== 'static' && max.lockAtInitialBalance ? initialMinor + Number(max.lockOffsetMinor) : NO_LOCK,
          toleranceMinor: Number(max.toleranceMinor),
          hard: max.severity === 'hard',
        }
      : null,
    minTradingDays: minDays?.days ?? 0,
    consistencyBelowBps: ruleOf(phase, 'consistency')?.bestDayShareBelowBps ?? 0,
    timeLimitDays: time.days,
  };
}

/** Where a simulated account stands; trades close at once, so balance and equity are the same. */
export interface AccountState {
  initialMinor: number;
  balanceMinor: number;
  /** Highest end-of-day balance (the trailing-end-of-day reference) and highest balance seen (intraday). */
  endOfDayHighMinor: number;
  highMinor: number;
  /** Best closed day's profit in the phase. */
  bestDayMinor: number;
  /** Trading days counted before today. */
  countedDays: number;
}

export type TradeVerdict = 'continue' | 'pass' | 'fail' | 'pause';

/** The verdict after a trade on a day that started at `dayStartMinor` (today counts as a trading day). */
export function verdictAfterTrade(rules: TradingRules, account: AccountState, dayStartMinor: number): TradeVerdict {
  const balance = account.balanceMinor;
  // The live evaluator checks the maximum loss before the daily loss; a hard breach of either fails.
  let paused = false;
  const max = rules.maxLoss;
  if (max !== null) {
    const reference = max.mode === 'static' ? account.initialMinor : max.mode === 'trailing-end-of-day' ? account.endOfDayHighMinor : account.highMinor;
    const floor = Math.min(reference - max.limitMinor, max.lockMinor);
    if (balance < floor - max.toleranceMinor) {
      if (max.hard) return 'fail';
      paused = true;
    }
  }
  const daily = rules.daily;
  if (daily !== null) {
    const limit = daily.dayStartBps > 0 ? Math.floor((dayStartMinor * daily.dayStartBps) / 10_000) : daily.limitMinor;
    if (balance < dayStartMinor - limit - daily.toleranceMinor) {
      if (daily.hard) return 'fail';
      paused = true;
    }
  }
  if (paused) return 'pause';
  const profit = balance - account.initialMinor;
  if (profit < rules.profitTargetMinor || account.countedDays + 1 < rules.minTradingDays) return 'continue';
  if (rules.consistencyBelowBps > 0) {
    const best = Math.max(account.bestDayMinor, balance - dayStartMinor);
    if (!(profit > 0 && best * 10_000 < profit * rules.consistencyBelowBps)) return 'continue';
  }
  return 'pass';
}

/** Closes a simulated day: the trailed high, the best day, and today counted as a trading day. */
export function closeDay(account: AccountState, dayStartMinor: number): void {
  if (account.balanceMinor > account.endOfDayHighMinor) account.endOfDayHighMinor = account.balanceMinor;
  if (account.balanceMinor - dayStartMinor > account.bestDayMinor) account.bestDayMinor = account.balanceMinor - dayStartMinor;
  account.countedDays++;
}
