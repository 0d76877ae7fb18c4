// Assessment pass probability: a trader with a win rate, a reward-to-risk ratio, a fixed risk per trade
// and a number of trades a day, under a phase's rules → the probabilities of passing, failing and timing
// out, the days to pass and drawdown percentiles. "From here" starts from the account's current state
// and bootstraps the trader's own trade results instead of the win/loss model.
import { z } from 'zod';
import type { SimulationModel } from './model';
import { foldMoments, probability, quantile, type Grid, type Layout, type Summary } from './statistics';
import { closeDay, compileRules, PhaseNotSimulableError, tradingRulesSchema, verdictAfterTrade, type AccountState, type TradingRules } from './trading-rules';

export const TRADES_PER_DAY_MAX = 200;
export const TRADE_HISTORY_MAX = 10_000;
const safeMinor = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const signedMinor = z.int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

export const assessmentParams = z
  .strictObject({
    initialBalanceMinor: safeMinor.refine((v) => v > 0, 'must be greater than zero'),
    /** Explicit limits, or `{ rulePack, phase }`: a tier's rules read through the assessment domain. */
    rules: tradingRulesSchema,
    tradesPerDay: z.int().min(1).max(TRADES_PER_DAY_MAX),
    /** The win/loss model: used unless `fromHere` supplies the trader's own trades. */
    winRate: z.number().min(0).max(1).default(0.5),
    rewardToRisk: z.number().min(0).max(100).default(1),
    /** What one losing trade costs, in minor units (a winning one gains rewardToRisk times that). */
    riskPerTradeMinor: safeMinor.default(0),
    fromHere: z
      .strictObject({
        /** The trader's closed trades so far, P/L in minor units, drawn with replacement. */
        tradePnlMinor: z.array(signedMinor).min(1).max(TRADE_HISTORY_MAX),
        balanceMinor: safeMinor,
        endOfDayHighMinor: safeMinor,
        highMinor: safeMinor,
        bestDayMinor: signedMinor.default(0),
        /** Days of the phase already over, and those counted as trading days. */
        day: z.int().min(0).max(366),
        tradingDays: z.int().min(0).max(366),
      })
      .nullable()
      .default(null),
  })
  .superRefine((p, context) => {
    if (p.fromHere === null && p.riskPerTradeMinor === 0)
      context.addIssue({ code: 'custom', message: 'must be greater than zero without fromHere', path: ['riskPerTradeMinor'] });
    let rules: TradingRules;
    try {
      rules = compileRules(p.rules, p.initialBalanceMinor);
    } catch (error) {
      if (!(error instanceof PhaseNotSimulableError)) throw error;
      context.addIssue({ code: 'custom', message: error.message, path: ['rules'] });
      return;
    }
    if (p.fromHere !== null && p.fromHere.day >= rules.timeLimitDays)
      context.addIssue({ code: 'custom', message: 'the phase has already ended', path: ['fromHere', 'day'] });
  });
export type AssessmentParams = z.output<typeof assessmentParams>;

const TWO_32 = 4_294_967_296;
/** Outcome codes of the `outcome` scalar. */
export const OUTCOMES = { pass: 0, fail: 1, timeout: 2 } as const;

const timeLimit = (p: AssessmentParams) => compileRules(p.rules, p.initialBalanceMinor).timeLimitDays;

function layout(p: AssessmentParams): Layout {
  const days = timeLimit(p);
  const drawdownCeiling = p.initialBalanceMinor + 1;
  return {
    scalars: [
      // Passing paths record their day; the others record 0, below the grid, so the in-grid bins are the pass days.
      { name: 'passDay', grid: { lo: 0.5, hi: days + 0.5, bins: days } },
      { name: 'maxDrawdownMinor', grid: { lo: 0, hi: drawdownCeiling, bins: 1_000 } },
      { name: 'finalProfitMinor', grid: { lo: -drawdownCeiling, hi: drawdownCeiling, bins: 1_000 } },
    ],
    events: ['pass', 'fail', 'timeout'],
    fan: null,
  };
}

export const assessmentModel: SimulationModel<AssessmentParams> = {
  name: 'assessment',
  schema: assessmentParams,
  layout,
  stepsPerPath: (p) => (timeLimit(p) - (p.fromHere?.day ?? 0)) * p.tradesPerDay,
  pathFunction(p) {
    const rules = compileRules(p.rules, p.initialBalanceMinor);
    const winThreshold = p.winRate * TWO_32;
    const win = p.rewardToRisk * p.riskPerTradeMinor;
    const loss = -p.riskPerTradeMinor;
    const history = p.fromHere ? Float64Array.from(p.fromHere.tradePnlMinor) : null;
    const start = p.fromHere;
    const initial = p.initialBalanceMinor;
    const account: AccountState = { initialMinor: initial, balanceMinor: 0, endOfDayHighMinor: 0, highMinor: 0, bestDayMinor: 0, countedDays: 0 };
    return (stream, out) => {
      account.balanceMinor = start ? start.balanceMinor : initial;
      account.endOfDayHighMinor = start ? start.endOfDayHighMinor : initial;
      account.highMinor = start ? start.highMinor : initial;
      account.bestDayMinor = start ? start.bestDayMinor : 0;
      account.countedDays = start ? start.tradingDays : 0;
      let peak = account.highMinor;
      let drawdown = 0;
      let outcome: number = OUTCOMES.timeout;
      let passDay = 0;
      for (let day = (start?.day ?? 0) + 1; day <= rules.timeLimitDays && outcome === OUTCOMES.timeout; day++) {
        const dayStart = account.balanceMinor;
        for (let t = 0; t < p.tradesPerDay; t++) {
          const pnl = history ? history[stream.nextIndex(history.length)]! : stream.nextUint32() < winThreshold ? win : loss;
          account.balanceMinor += pnl;
          if (account.balanceMinor > account.highMinor) account.highMinor = account.balanceMinor;
          if (account.balanceMinor > peak) peak = account.balanceMinor;
          if (peak - account.balanceMinor > drawdown) drawdown = peak - account.balanceMinor;
          const verdict = verdictAfterTrade(rules, account, dayStart);
          if (verdict === 'continue') continue;
          // A soft breach pauses the account for the rest of the day.
          if (verdict === 'pause') break;
          outcome = verdict === 'pass' ? OUTCOMES.pass : OUTCOMES.fail;
          if (verdict === 'pass') passDay = day;
          break;
        }
        closeDay(account, dayStart);
      }
      out.scalars[0] = passDay;
      out.scalars[1] = drawdown;
      out.scalars[2] = account.balanceMinor - initial;
      out.eventFlags[0] = outcome === OUTCOMES.pass ? 1 : 0;
      out.eventFlags[1] = outcome === OUTCOMES.fail ? 1 : 0;
      out.eventFlags[2] = outcome === OUTCOMES.timeout ? 1 : 0;
    };
  },
  report(p, merged: Summary) {
    const grids = layout(p).scalars.map((s) => s.grid);
    const drawdown = foldMoments(merged.blockMoments[1]!, merged.minimum[1]!, merged.maximum[1]!);
    return {
      pass: probability(merged.events[0]!, merged.paths),
      fail: probability(merged.events[1]!, merged.paths),
      timeout: probability(merged.events[2]!, merged.paths),
      daysToPass: passDays(merged.histograms[0]!, grids[0]!),
      maxDrawdownMinor: {
        mean: drawdown.mean,
        percentiles: [0.5, 0.9, 0.95, 0.99].map((q) => quantile(merged.histograms[1]!, grids[1]!, merged.paths, q, merged.minimum[1]!, merged.maximum[1]!)),
      },
    };
  },
};

/** How many passing paths passed on each day (exact: one bin per day). */
function passDays(histogram: number[], grid: Grid): Array<{ day: number; paths: number }> {
  const days: Array<{ day: number; paths: number }> = [];
  for (let i = 0; i < histogram.length; i += 2) {
    const bin = histogram[i]!;
    if (bin >= 1 && bin <= grid.bins) days.push({ day: bin, paths: histogram[i + 1]! });
  }
  return days;
}
