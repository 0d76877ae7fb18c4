// Runs whole blocks of paths of a model and returns their summary: the pure kernel that worker threads,
// the in-process baseline and the tests all call. Block b holds paths [b·BLOCK_PATHS, …) below pathCount.
import type { SimulationModel } from './model';
import { BLOCK_PATHS, BlockAccumulator, emptySummary, mergeAdjacent, type Summary } from './statistics';
import { PathStream } from './stream';

export function blockCount(pathCount: number): number {
  return Math.ceil(pathCount / BLOCK_PATHS);
}

/** Summary of blocks [firstBlock, firstBlock + blocks), computed path by path in index order. */
export function runBlocks<P>(model: SimulationModel<P>, params: P, seed: number, pathCount: number, firstBlock: number, blocks: number): Summary {
  const layout = model.layout(params);
  const accumulator = new BlockAccumulator(layout);
  const path = model.pathFunction(params);
  const stream = new PathStream(seed);
  let summary = emptySummary(layout, firstBlock);
  for (let block = firstBlock; block < firstBlock + blocks; block++) {
    const first = block * BLOCK_PATHS;
    const end = Math.min(pathCount, first + BLOCK_PATHS);
    accumulator.reset();
    for (let i = first; i < end; i++) {
      stream.startPath(i);
      path(stream, accumulator);
      accumulator.record();
    }
    summary = mergeAdjacent(summary, accumulator.summary(block, end - first));
  }
  return summary;
}
