// The measuring plan of the benchmarks that set the product against a baseline in the same run on the same
// machine (bench/core/ledger.ts, bench/pools/api.ts): each side warms up once, then the two take turns in
// phases of equal length, so that a change in the machine's load hits both alike.
import { benchSetting } from './settings';

/** Measured phases of each side per comparison. */
const ROUNDS = 3;

export interface PhasePlan {
  /** How long each measured phase runs (`BENCH_PHASE_MS`). */
  phaseMs: number;
  /** How long each side runs, unmeasured, before the first phase. */
  warmupMs: number;
  rounds: number;
}

/** A benchmark's plan: its phase length (overridable as BENCH_PHASE_MS) and warm-up, ROUNDS phases a side. */
export const phasePlan = (defaultPhaseMs: number, warmupMs: number): PhasePlan => ({
  phaseMs: benchSetting('BENCH_PHASE_MS', defaultPhaseMs),
  warmupMs,
  rounds: ROUNDS,
});

/** Runs one side for `durationMs`; `tag` ('warm', 'r0', 'r1', …) names the phase, for keys of its own. */
type Side<R> = (durationMs: number, tag: string) => Promise<R>;

/** Warms both sides up, then alternates them, baseline first; returns each side's measured phases. */
export async function alternatePhases<R>(plan: PhasePlan, baseline: Side<R>, measured: Side<R>): Promise<[R[], R[]]> {
  await baseline(plan.warmupMs, 'warm');
  await measured(plan.warmupMs, 'warm');
  const baselineRuns: R[] = [];
  const measuredRuns: R[] = [];
  for (let round = 0; round < plan.rounds; round++) {
    baselineRuns.push(await baseline(plan.phaseMs, `r${round}`));
    measuredRuns.push(await measured(plan.phaseMs, `r${round}`));
  }
  return [baselineRuns, measuredRuns];
}
