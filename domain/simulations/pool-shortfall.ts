// Pool shortfall: a rotating pool's members each default on a round's contribution with their own
// probability; missed contributions are covered from the reserve while it lasts. What the pot lacks
// beyond the reserve is a shortfall. Reports the chance any round is short, the expected shortfall and
// the reserve that would have covered a target share of paths.
import { z } from 'zod';
import { POOL_MEMBERS_MAX } from '../pools/pool-config';
import type { SimulationModel } from './model';
import { foldMoments, probability, type Grid, type Layout, type Summary } from './statistics';

export const ROUNDS_MAX = 1_000;
/** Amounts are simulated as JavaScript numbers: exact for whole minor units below 2^53. */
const safeMinor = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const FAN_POINTS_MAX = 50;

export const poolShortfallParams = z
  .strictObject({
    /** Each member's probability of defaulting on one round's contribution. */
    defaultProbabilities: z.array(z.number().min(0).max(1)).min(2).max(POOL_MEMBERS_MAX),
    contributionMinor: safeMinor.refine((v) => v > 0, 'must be greater than zero'),
    rounds: z.int().min(1).max(ROUNDS_MAX),
    reserveMinor: safeMinor,
    /** cover-from-reserve / suspend: the member stays; expel: a defaulter contributes no more. */
    defaultPolicy: z.enum(['cover-from-reserve', 'suspend', 'expel']),
    /** Whether a defaulter who pays again also repays the arrears to the reserve (the pool's behaviour). */
    arrearsRecovered: z.boolean().default(true),
    /** The share of paths the recommended reserve should cover, e.g. 0.99. */
    targetCoverage: z.number().min(0.5).max(0.9999).default(0.99),
  })
  .refine((p) => p.defaultProbabilities.length * p.rounds * p.contributionMinor <= Number.MAX_SAFE_INTEGER, {
    message: 'members × rounds × contribution exceeds what is simulated exactly',
    path: ['contributionMinor'],
  });
export type PoolShortfallParams = z.output<typeof poolShortfallParams>;

const TWO_32 = 4_294_967_296;

function fanRounds(rounds: number): number[] {
  const points = Math.min(rounds, FAN_POINTS_MAX);
  return Array.from({ length: points }, (_, i) => Math.round(((i + 1) * rounds) / points));
}

function layout(p: PoolShortfallParams): Layout {
  const members = p.defaultProbabilities.length;
  const worst = members * p.rounds * p.contributionMinor;
  const c = p.contributionMinor;
  // Amounts are whole contributions, so bins centred on multiples of one contribution are exact.
  const countBins = Math.min(4_096, members * p.rounds + 1);
  const moneyGrid = { lo: -c / 2, hi: -c / 2 + countBins * ((worst + c) / countBins), bins: countBins };
  return {
    scalars: [
      { name: 'shortfallMinor', grid: moneyGrid },
      { name: 'reserveNeededMinor', grid: moneyGrid },
      { name: 'defaults', grid: { lo: -0.5, hi: countBins - 0.5, bins: countBins } },
    ],
    events: ['short'],
    fan: { steps: fanRounds(p.rounds), grid: { lo: p.reserveMinor - worst - c / 2, hi: p.reserveMinor + c / 2, bins: Math.min(1_024, countBins) } },
  };
}

export const poolShortfallModel: SimulationModel<PoolShortfallParams> = {
  name: 'pool-shortfall',
  schema: poolShortfallParams,
  layout,
  stepsPerPath: (p) => p.rounds * p.defaultProbabilities.length,
  pathFunction(p) {
    const members = p.defaultProbabilities.length;
    // A member defaults when its uniform word falls below p·2^32.
    const thresholds = Float64Array.from(p.defaultProbabilities, (q) => q * TWO_32);
    const active = new Uint8Array(members);
    const arrears = new Uint8Array(members);
    const fanAt = new Int32Array(p.rounds + 1).fill(-1);
    fanRounds(p.rounds).forEach((round, i) => (fanAt[round] = i));
    const c = p.contributionMinor;
    const expel = p.defaultPolicy === 'expel';
    return (stream, out) => {
      active.fill(1);
      arrears.fill(0);
      let reserve = p.reserveMinor;
      let deficit = 0;
      let deficitPeak = 0;
      let shortfall = 0;
      let defaults = 0;
      for (let round = 1; round <= p.rounds; round++) {
        let missing = 0;
        let repaid = 0;
        for (let m = 0; m < members; m++) {
          // Every member draws every round, active or not, so a path's numbers never shift.
          const word = stream.nextUint32();
          if (active[m] === 0) {
            missing += c;
            continue;
          }
          if (word < thresholds[m]!) {
            missing += c;
            defaults++;
            if (expel) active[m] = 0;
            else arrears[m]!++;
          } else if (arrears[m]! > 0 && p.arrearsRecovered) {
            repaid += arrears[m]! * c;
            arrears[m] = 0;
          }
        }
        const covered = Math.min(missing, reserve);
        reserve += repaid - covered;
        shortfall += missing - covered;
        deficit += missing - repaid;
        if (deficit > deficitPeak) deficitPeak = deficit;
        const point = fanAt[round]!;
        if (point >= 0) out.fanValues[point] = p.reserveMinor - deficit;
      }
      out.scalars[0] = shortfall;
      out.scalars[1] = deficitPeak;
      out.scalars[2] = defaults;
      out.eventFlags[0] = shortfall > 0 ? 1 : 0;
    };
  },
  report(p, merged: Summary) {
    const grids = layout(p).scalars.map((s) => s.grid);
    const [shortfall, needed, defaults] = merged.blockMoments.map((blocks, i) => foldMoments(blocks, merged.minimum[i]!, merged.maximum[i]!));
    const reserve = coveringReserve(merged.histograms[1]!, grids[1]!, merged.paths, p.targetCoverage, p.contributionMinor);
    return {
      shortProbability: probability(merged.events[0]!, merged.paths),
      expectedShortfallMinor: shortfall,
      defaultsPerPath: defaults,
      reservePeakMinor: needed,
      reserveNeeded: { coverage: p.targetCoverage, ...reserve },
    };
  },
};

/**
 * The smallest bin centre whose cumulative count reaches the coverage: with one bin per contribution
 * (up to 4,095 contributions in all) that is the exact reserve; past that it is within one bin width.
 */
function coveringReserve(
  histogram: number[],
  grid: Grid,
  paths: number,
  coverage: number,
  unitMinor: number,
): { reserveMinor: number; errorBoundMinor: number } {
  const width = (grid.hi - grid.lo) / grid.bins;
  const errorBoundMinor = Math.abs(width - unitMinor) < 1e-9 * unitMinor ? 0 : Math.ceil(width);
  let cumulative = 0;
  for (let i = 0; i < histogram.length; i += 2) {
    cumulative += histogram[i + 1]!;
    if (cumulative >= coverage * paths) {
      const bin = histogram[i]!;
      return { reserveMinor: Math.round(grid.lo + (bin - 0.5) * width), errorBoundMinor };
    }
  }
  return { reserveMinor: Math.round(grid.hi), errorBoundMinor };
}
