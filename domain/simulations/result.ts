// A finished batch's result as stored and served: the model's report, every scalar's histogram (for the
// histogram chart) and percentile bands over time (for the fan chart), all JSON-safe.
import type { SimulationModel } from './model';
import { quantile, type Grid, type Summary } from './statistics';

export const BAND_PERCENTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;

export interface SimulationResult {
  model: string;
  seed: number;
  pathCount: number;
  pathSteps: number;
  report: Record<string, unknown>;
  histograms: Array<{ name: string; grid: Grid; underflow: number; overflow: number; counts: number[] }>;
  fan: { percentiles: number[]; grid: Grid; points: Array<{ step: number; values: number[] }> } | null;
}

export function buildResult<P>(model: SimulationModel<P>, params: P, merged: Summary, seed: number): SimulationResult {
  const layout = model.layout(params);
  const histograms = layout.scalars.map((scalar, i) => {
    const dense = new Array<number>(scalar.grid.bins + 2).fill(0);
    const sparse = merged.histograms[i]!;
    for (let j = 0; j < sparse.length; j += 2) dense[sparse[j]!] = sparse[j + 1]!;
    return { name: scalar.name, grid: scalar.grid, underflow: dense[0]!, overflow: dense[scalar.grid.bins + 1]!, counts: dense.slice(1, -1) };
  });
  const fan = layout.fan
    ? {
        percentiles: [...BAND_PERCENTILES],
        grid: layout.fan.grid,
        points: layout.fan.steps.map((step, i) => ({
          step,
          values: BAND_PERCENTILES.map((q) => quantile(merged.fan[i]!, layout.fan!.grid, merged.paths, q, layout.fan!.grid.lo, layout.fan!.grid.hi).value),
        })),
      }
    : null;
  return {
    model: model.name,
    seed,
    pathCount: merged.paths,
    pathSteps: merged.paths * model.stepsPerPath(params),
    report: model.report(params, merged),
    histograms,
    fan,
  };
}
