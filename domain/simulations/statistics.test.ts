// Mergeable statistics: however a batch's blocks are split into chunks and merged (in any order of
// arrival), the aggregate has the same bits; moments, quantiles and intervals match direct computation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { investmentModel, investmentParams } from './investment';
import { blockCount, runBlocks } from './run-blocks';
import { BLOCK_PATHS, foldMoments, mergeAll, probability, quantile, type Summary } from './statistics';

const params = investmentParams.parse({
  initialMinor: 500_000,
  contributionMinor: 10_000,
  periods: 36,
  periodsPerYear: 12,
  managementFeeBps: 100,
  returns: { type: 'gbm', drift: 0.06, volatility: 0.2 },
});
const layout = investmentModel.layout(params);
const pathCount = 16 * BLOCK_PATHS - 300; // the last block is partial

function splitRuns(chunks: number): Summary[] {
  const blocks = blockCount(pathCount);
  const per = Math.ceil(blocks / chunks);
  const parts: Summary[] = [];
  for (let first = 0; first < blocks; first += per) parts.push(runBlocks(investmentModel, params, 99, pathCount, first, Math.min(per, blocks - first)));
  return parts;
}

test('1, 4 and 16 chunks, merged in any arrival order, give bit-identical aggregates and reports', () => {
  const one = JSON.stringify(mergeAll(splitRuns(1), layout));
  const four = splitRuns(4);
  const sixteen = splitRuns(16);
  assert.equal(sixteen.length, 16);
  assert.equal(JSON.stringify(mergeAll(four, layout)), one);
  assert.equal(JSON.stringify(mergeAll([...sixteen].reverse(), layout)), one);
  // Pairwise merges in a different tree shape give the same result too.
  const pairs = [0, 4, 8, 12].map((i) => mergeAll(sixteen.slice(i, i + 4), layout));
  assert.equal(JSON.stringify(mergeAll([pairs[2]!, pairs[0]!, pairs[3]!, pairs[1]!], layout)), one);
  const report = (s: Summary) => JSON.stringify(investmentModel.report(params, s));
  assert.equal(report(mergeAll(four, layout)), report(mergeAll(splitRuns(1), layout)));
});

test('merging refuses summaries with a gap between them', () => {
  const parts = splitRuns(4);
  assert.throws(() => mergeAll([parts[0]!, parts[2]!], layout), /not adjacent/);
});

test('folded block moments equal a direct two-pass computation; quantiles lie within their stated error bound', () => {
  const values: number[] = [];
  for (let i = 0; i < 5_000; i++) values.push(Math.sin(i) * 100 + i / 50);
  // Blocks of 1,000 as [n, mean, m2].
  const blocks = [0, 1, 2, 3, 4].map((b) => {
    const part = values.slice(b * 1_000, (b + 1) * 1_000);
    const mean = part.reduce((s, x) => s + x, 0) / part.length;
    return [part.length, mean, part.reduce((s, x) => s + (x - mean) ** 2, 0)];
  });
  const folded = foldMoments(blocks, Math.min(...values), Math.max(...values));
  const mean = values.reduce((s, x) => s + x, 0) / values.length;
  const variance = values.reduce((s, x) => s + (x - mean) ** 2, 0) / (values.length - 1);
  assert.ok(Math.abs(folded.mean - mean) < 1e-9);
  assert.ok(Math.abs(folded.variance - variance) < 1e-7 * variance);

  const grid = { lo: -200, hi: 300, bins: 250 };
  const dense = new Array<number>(grid.bins + 2).fill(0);
  for (const x of values) dense[1 + Math.floor(((x - grid.lo) / (grid.hi - grid.lo)) * grid.bins)]!++;
  const sparse = dense.flatMap((count, bin) => (count ? [bin, count] : []));
  const sorted = [...values].sort((a, b) => a - b);
  for (const q of [0.01, 0.25, 0.5, 0.9, 0.99]) {
    const estimate = quantile(sparse, grid, values.length, q, sorted[0]!, sorted.at(-1)!);
    const exact = sorted[Math.ceil(q * values.length) - 1]!;
    assert.ok(Math.abs(estimate.value - exact) <= estimate.errorBound, `q=${q}: ${estimate.value} vs ${exact} (±${estimate.errorBound})`);
  }
});

test('probabilities carry Wilson 95 % intervals that contain the estimate and stay within [0, 1]', () => {
  const none = probability(0, 1_000);
  assert.equal(none.low, 0);
  assert.ok(none.high > 0.003 && none.high < 0.004, `${none.high}`);
  const half = probability(500, 1_000);
  assert.ok(Math.abs(half.low - 0.469) < 0.001 && Math.abs(half.high - 0.531) < 0.001, JSON.stringify(half));
});
