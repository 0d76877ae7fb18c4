// The rules of an assessment phase in the form the trading model checks after every simulated trade:
// plain numbers in minor units, so a path allocates nothing. Built from explicit limits here; a tier's
// rule pack is translated into the same shape where the pack is available.
import { z } from 'zod';

const safeMinor = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

export const tradingRulesSchema = z.strictObject({
  /** Profit over the initial balance that passes the phase. */
  profitTargetMinor: safeMinor.refine((v) => v > 0, 'must be greater than zero'),
  /** A day's loss from the previous close beyond this fails the phase. */
  dailyLossMinor: safeMinor.nullable().default(null),
  /** A loss from the reference (initial, or highest end-of-day balance) beyond this fails the phase. */
  maxLossMinor: safeMinor.nullable().default(null),
  maxLossMode: z.enum(['static', 'trailing-end-of-day']).default('static'),
  minTradingDays: z.int().min(0).max(366).default(0),
  /** Days the phase may last; reaching the end without passing or failing is a timeout. */
  timeLimitDays: z.int().min(1).max(366),
});
export type TradingRules = z.output<typeof tradingRulesSchema>;

/** Where the account stands: at the start, or now for "from here". */
export interface AccountState {
  initialMinor: number;
  balanceMinor: number;
  /** Highest end-of-day balance so far (the trailing floor's reference). */
  peakEndOfDayMinor: number;
  /** Days already used, and those counted as trading days. */
  day: number;
  tradingDays: number;
}

export type TradeVerdict = 'continue' | 'pass' | 'fail';

/** After a trade: a breach fails at once; the target passes once enough trading days are counted. */
export function verdictAfterTrade(rules: TradingRules, account: AccountState, dayStartMinor: number, tradingDaysToday: number): TradeVerdict {
  const { balanceMinor, initialMinor } = account;
  if (rules.dailyLossMinor !== null && dayStartMinor - balanceMinor > rules.dailyLossMinor) return 'fail';
  if (rules.maxLossMinor !== null) {
    const reference = rules.maxLossMode === 'static' ? initialMinor : Math.max(initialMinor, account.peakEndOfDayMinor);
    if (reference - balanceMinor > rules.maxLossMinor) return 'fail';
  }
  if (balanceMinor - initialMinor >= rules.profitTargetMinor && tradingDaysToday >= rules.minTradingDays) return 'pass';
  return 'continue';
}
