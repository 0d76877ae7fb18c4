// Runs whole blocks of paths of a model and returns their summary: the pure kernel that worker threads,
// the in-process baseline and the tests all call. Block b holds paths [b·BLOCK_PATHS, …) below pathCount.
import type { PathFunction, SimulationModel } from './model';
import { BLOCK_PATHS, BlockAccumulator, type PackedSummary, type Summary } from './statistics';
import { PathStream } from './stream';

export function blockCount(pathCount: number): number {
  return Math.ceil(pathCount / BLOCK_PATHS);
}

// The last path function built, reused while the same parameters come back (every job of a batch on a
// thread). A fresh closure per call would run V8's on-stack-replacement code of the previous one, whose
// loop variables are boxed doubles, instead of being optimised itself: a third slower, in some processes.
// The worker threads' packed jobs reuse one accumulator the same way (emptied, not re-allocated).
let built: { model: SimulationModel<never>; params: unknown; path: PathFunction; accumulator: BlockAccumulator } | null = null;

function builtFor<P>(model: SimulationModel<P>, params: P) {
  if (built?.model !== model || built.params !== params) {
    built = { model: model as SimulationModel<never>, params, path: model.pathFunction(params), accumulator: new BlockAccumulator(model.layout(params)) };
  }
  return built;
}

/** Summary of blocks [firstBlock, firstBlock + blocks), computed path by path in index order. */
export function runBlocks<P>(model: SimulationModel<P>, params: P, seed: number, pathCount: number, firstBlock: number, blocks: number): Summary {
  return accumulateBlocks(model, params, seed, pathCount, firstBlock, blocks, new BlockAccumulator(model.layout(params), firstBlock)).summary();
}

/** The same as runBlocks, packed in one typed array: what a worker thread sends back without copying. */
export function runBlocksPacked<P>(model: SimulationModel<P>, params: P, seed: number, pathCount: number, firstBlock: number, blocks: number): PackedSummary {
  const { accumulator } = builtFor(model, params);
  accumulator.reset(firstBlock);
  return accumulateBlocks(model, params, seed, pathCount, firstBlock, blocks, accumulator).pack();
}

function accumulateBlocks<P>(
  model: SimulationModel<P>,
  params: P,
  seed: number,
  pathCount: number,
  firstBlock: number,
  blocks: number,
  accumulator: BlockAccumulator,
): BlockAccumulator {
  const { path } = builtFor(model, params);
  const stream = new PathStream(seed);
  for (let block = firstBlock; block < firstBlock + blocks; block++) {
    const end = Math.min(pathCount, (block + 1) * BLOCK_PATHS);
    for (let i = block * BLOCK_PATHS; i < end; i++) {
      stream.startPath(i);
      path(stream, accumulator);
      accumulator.record();
    }
    accumulator.endBlock();
  }
  return accumulator;
}
