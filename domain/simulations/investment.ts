// Investment projection: a pool's value period by period under contributions, a management fee and
// returns that follow geometric Brownian motion or are bootstrapped from a supplied series. Reports
// percentile bands over time, the probability of ending below what was paid in, VaR and expected
// shortfall, and the probability of ever falling below a floor (Brownian-bridge corrected for GBM).
import { z } from 'zod';
import type { SimulationModel } from './model';
import { foldMoments, lowerTailMean, probability, quantile, type Layout, type Summary } from './statistics';
import { nextNormal } from './ziggurat';

export const PERIODS_MAX = 10_000;
export const RETURN_SERIES_MAX = 10_000;
const FAN_POINTS_MAX = 50;
const VALUE_BINS = 2_048;
const FAN_BINS = 512;
const safeMinor = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

export const investmentParams = z
  .strictObject({
    initialMinor: safeMinor,
    /** Paid in at the end of every period. */
    contributionMinor: safeMinor.default(0),
    periods: z.int().min(1).max(PERIODS_MAX),
    periodsPerYear: z.int().min(1).max(365),
    /** Charged on the value every period, pro rata. */
    managementFeeBps: z.int().min(0).max(1_000).default(0),
    returns: z.discriminatedUnion('type', [
      /** Annual drift and volatility of the value's geometric Brownian motion. */
      z.strictObject({ type: z.literal('gbm'), drift: z.number().min(-1).max(1), volatility: z.number().min(0).max(2) }),
      /** Simple returns of one period each, drawn with replacement. */
      z.strictObject({ type: z.literal('bootstrap'), periodReturns: z.array(z.number().gt(-1).max(10)).min(2).max(RETURN_SERIES_MAX) }),
    ]),
    /** The floor, as a share of what has been paid in, whose breach is counted. */
    floorFraction: z.number().min(0.01).max(1).default(0.8),
    /** VaR and expected shortfall level, e.g. 0.95. */
    confidence: z.number().min(0.5).max(0.9999).default(0.95),
  })
  .refine((p) => p.initialMinor + p.contributionMinor > 0, { message: 'nothing is invested', path: ['initialMinor'] });
export type InvestmentParams = z.output<typeof investmentParams>;

export function invested(p: InvestmentParams, period: number): number {
  return p.initialMinor + period * p.contributionMinor;
}

function fanPeriods(periods: number): number[] {
  const points = Math.min(periods, FAN_POINTS_MAX);
  return Array.from({ length: points }, (_, i) => Math.round(((i + 1) * periods) / points));
}

// An upper value no path plausibly passes: paid in, grown at 8 standard deviations above the mean log return.
function valueCeiling(p: InvestmentParams): number {
  const t = p.periods;
  let mean: number;
  let sd: number;
  if (p.returns.type === 'gbm') {
    const dt = 1 / p.periodsPerYear;
    mean = (p.returns.drift - 0.5 * p.returns.volatility ** 2) * dt;
    sd = p.returns.volatility * Math.sqrt(dt);
  } else {
    const logs = p.returns.periodReturns.map((r) => Math.log1p(r));
    mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / logs.length);
  }
  return invested(p, t) * Math.exp(Math.max(0, mean * t) + 8 * sd * Math.sqrt(t)) + 1;
}

function layout(p: InvestmentParams): Layout {
  const ceiling = valueCeiling(p);
  const paidIn = invested(p, p.periods);
  return {
    scalars: [
      { name: 'terminalValueMinor', grid: { lo: 1, hi: ceiling, bins: VALUE_BINS, log: true } },
      { name: 'profitMinor', grid: { lo: -paidIn, hi: ceiling - paidIn, bins: VALUE_BINS } },
      { name: 'floorBreach', grid: { lo: 0, hi: 1 + 1e-9, bins: 100 } },
    ],
    events: ['loss'],
    fan: { steps: fanPeriods(p.periods), grid: { lo: 1, hi: ceiling, bins: FAN_BINS, log: true } },
  };
}

export const investmentModel: SimulationModel<InvestmentParams> = {
  name: 'investment',
  schema: investmentParams,
  layout,
  stepsPerPath: (p) => p.periods,
  pathFunction(p) {
    const dt = 1 / p.periodsPerYear;
    const fanAt = new Int32Array(p.periods + 1).fill(-1);
    fanPeriods(p.periods).forEach((period, i) => (fanAt[period] = i));
    const gbm = p.returns.type === 'gbm' ? p.returns : null;
    const series = p.returns.type === 'bootstrap' ? Float64Array.from(p.returns.periodReturns, (r) => 1 + r) : new Float64Array(0);
    const paidIn = invested(p, p.periods);
    // Every number the step loop reads, in one typed array. The path function copies them into locals:
    // V8 keeps locals unboxed in registers, but re-checks and unboxes a captured variable at every use,
    // and a loop variable that starts from an integer (the initial value) is boxed on every step.
    const constants = Float64Array.of(
      p.initialMinor,
      Math.log(p.initialMinor),
      1 - p.managementFeeBps / 10_000 / p.periodsPerYear,
      p.contributionMinor,
      gbm ? (gbm.drift - 0.5 * gbm.volatility ** 2) * dt : 0,
      gbm ? gbm.volatility * Math.sqrt(dt) : 0,
      paidIn,
      1, // the chance of not having touched the floor, at the start
    );
    const logVolatility = constants[5]!;
    const bridgeScale = gbm && gbm.volatility > 0 ? -2 / (logVolatility * logVolatility) : 0;
    const logFloors = Float64Array.from({ length: p.periods }, (_, period) => Math.log(p.floorFraction * invested(p, period)));
    const logSeries = series.map(Math.log);
    // Without fees or contributions the log value is carried from step to step instead of recomputed.
    const logCarried = constants[2] === 1 && p.contributionMinor === 0;
    const periods = p.periods;
    return function investmentPath(stream, out) {
      const fanValues = out.fanValues;
      const floors = logFloors;
      const fan = fanAt;
      const n = periods;
      const carried = logCarried;
      const bootstrap = gbm === null;
      const draws = series;
      const logDraws = logSeries;
      const feeFactor = constants[2]!;
      const contribution = constants[3]!;
      const logDrift = constants[4]!;
      const logVol = constants[5]!;
      const bridge = bridgeScale;
      let value = constants[0]!;
      let logValue = constants[1]!;
      let survival = constants[7]!;
      for (let period = 1; period <= n; period++) {
        const logBefore = logValue;
        let grown: number;
        let logGrown: number;
        if (bootstrap) {
          const index = stream.nextIndex(draws.length);
          grown = value * draws[index]!;
          logGrown = logBefore + logDraws[index]!;
        } else {
          const increment = logDrift + logVol * nextNormal(stream);
          grown = value * Math.exp(increment);
          logGrown = logBefore + increment;
        }
        // The chance of touching the floor between two observations, given both ends above it
        // (Brownian bridge of the log value); a path already below it has surely breached. Below
        // e^-40 the chance does not change `1 - chance` in double precision, so it is skipped.
        // Nothing paid in yet (a pool starting from zero) has no floor to breach.
        const logFloor = floors[period - 1]!;
        if (logFloor > -Infinity) {
          if (logGrown <= logFloor || logBefore <= logFloor) survival = 0;
          else if (bridge !== 0 && survival > 0) {
            const exponent = bridge * (logBefore - logFloor) * (logGrown - logFloor);
            if (exponent > -40) survival *= 1 - Math.exp(exponent);
          }
        }
        value = grown * feeFactor + contribution;
        logValue = carried ? logGrown : Math.log(value);
        const point = fan[period]!;
        if (point >= 0) fanValues[point] = value;
      }
      const paid = constants[6]!;
      out.scalars[0] = value;
      out.scalars[1] = value - paid;
      out.scalars[2] = 1 - survival;
      out.eventFlags[0] = value < paid ? 1 : 0;
    };
  },
  report(p, merged: Summary) {
    const grids = layout(p).scalars.map((s) => s.grid);
    const [terminal, profit, breach] = merged.blockMoments.map((blocks, i) => foldMoments(blocks, merged.minimum[i]!, merged.maximum[i]!));
    const tail = 1 - p.confidence;
    const profitQuantile = quantile(merged.histograms[1]!, grids[1]!, merged.paths, tail, merged.minimum[1]!, merged.maximum[1]!);
    return {
      terminalValueMinor: terminal,
      terminalPercentiles: [0.05, 0.25, 0.5, 0.75, 0.95].map((q) =>
        quantile(merged.histograms[0]!, grids[0]!, merged.paths, q, merged.minimum[0]!, merged.maximum[0]!),
      ),
      lossProbability: probability(merged.events[0]!, merged.paths),
      valueAtRisk: { confidence: p.confidence, lossMinor: -profitQuantile.value, errorBoundMinor: profitQuantile.errorBound },
      expectedShortfall: {
        confidence: p.confidence,
        lossMinor: -lowerTailMean(merged.histograms[1]!, grids[1]!, merged.paths, tail, merged.minimum[1]!),
        errorBoundMinor: (grids[1]!.hi - grids[1]!.lo) / grids[1]!.bins,
      },
      profitMinor: profit,
      floorBreachProbability: { floorFraction: p.floorFraction, estimate: breach!.mean, standardError: breach!.standardError },
    };
  },
};
