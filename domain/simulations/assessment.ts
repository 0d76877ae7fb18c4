// Assessment pass probability: a trader with a win rate, a reward-to-risk ratio, a fixed risk per trade
// and a number of trades a day, under a phase's rules → the probabilities of passing, failing and timing
// out, the days to pass and drawdown percentiles. "From here" starts from the account's current state
// and bootstraps the trader's own trade results instead of the win/loss model.
import { z } from 'zod';
import type { SimulationModel } from './model';
import { foldMoments, probability, quantile, type Grid, type Layout, type Summary } from './statistics';
import { tradingRulesSchema, verdictAfterTrade, type AccountState } from './trading-rules';

export const TRADES_PER_DAY_MAX = 200;
export const TRADE_HISTORY_MAX = 10_000;
const safeMinor = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const signedMinor = z.int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

export const assessmentParams = z.strictObject({
  initialBalanceMinor: safeMinor.refine((v) => v > 0, 'must be greater than zero'),
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
      peakEndOfDayMinor: safeMinor,
      day: z.int().min(0).max(366),
      tradingDays: z.int().min(0).max(366),
    })
    .nullable()
    .default(null),
}).refine((p) => p.fromHere !== null || p.riskPerTradeMinor > 0, { message: 'must be greater than zero without fromHere', path: ['riskPerTradeMinor'] })
  .refine((p) => p.fromHere === null || p.fromHere.day < p.rules.timeLimitDays, { message: 'the phase has already ended', path: ['fromHere', 'day'] });
export type AssessmentParams = z.output<typeof assessmentParams>;

const TWO_32 = 4_294_967_296;
/** Outcome codes of the `outcome` scalar. */
export const OUTCOMES = { pass: 0, fail: 1, timeout: 2 } as const;

function layout(p: AssessmentParams): Layout {
  const days = p.rules.timeLimitDays;
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
  stepsPerPath: (p) => (p.rules.timeLimitDays - (p.fromHere?.day ?? 0)) * p.tradesPerDay,
  pathFunction(p) {
    const { rules } = p;
    const winThreshold = p.winRate * TWO_32;
    const win = p.rewardToRisk * p.riskPerTradeMinor;
    const loss = -p.riskPerTradeMinor;
    const history = p.fromHere ? Float64Array.from(p.fromHere.tradePnlMinor) : null;
    const start = p.fromHere;
    const account: AccountState = { initialMinor: p.initialBalanceMinor, balanceMinor: 0, peakEndOfDayMinor: 0, day: 0, tradingDays: 0 };
    return (stream, out) => {
      account.balanceMinor = start ? start.balanceMinor : p.initialBalanceMinor;
      account.peakEndOfDayMinor = start ? start.peakEndOfDayMinor : p.initialBalanceMinor;
      account.tradingDays = start ? start.tradingDays : 0;
      let peak = Math.max(account.balanceMinor, account.peakEndOfDayMinor);
      let drawdown = 0;
      let outcome: number = OUTCOMES.timeout;
      let passDay = 0;
      for (let day = (start?.day ?? 0) + 1; day <= rules.timeLimitDays && outcome === OUTCOMES.timeout; day++) {
        account.day = day;
        const dayStart = account.balanceMinor;
        account.tradingDays++;
        for (let t = 0; t < p.tradesPerDay; t++) {
          const pnl = history ? history[stream.nextIndex(history.length)]! : stream.nextUint32() < winThreshold ? win : loss;
          account.balanceMinor += pnl;
          if (account.balanceMinor > peak) peak = account.balanceMinor;
          if (peak - account.balanceMinor > drawdown) drawdown = peak - account.balanceMinor;
          const verdict = verdictAfterTrade(rules, account, dayStart, account.tradingDays);
          if (verdict === 'continue') continue;
          outcome = verdict === 'pass' ? OUTCOMES.pass : OUTCOMES.fail;
          if (verdict === 'pass') passDay = day;
          break;
        }
        if (account.balanceMinor > account.peakEndOfDayMinor) account.peakEndOfDayMinor = account.balanceMinor;
      }
      out.scalars[0] = passDay;
      out.scalars[1] = drawdown;
      out.scalars[2] = account.balanceMinor - p.initialBalanceMinor;
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
