// Runs whole blocks of paths of a model and returns their summary: the pure kernel that worker threads,
// the in-process baseline and the tests all call. Block b holds paths [b·BLOCK_PATHS, …) below pathCount.
import type { PathFunction, SimulationModel } from './model';
import { BLOCK_PATHS, BlockAccumulator, type Summary } from './statistics';
import { PathStream } from './stream';

export function blockCount(pathCount: number): number {
  return Math.ceil(pathCount / BLOCK_PATHS);
}

// The last path function built, reused while the same parameters come back (every job of a batch on a
// thread). A fresh closure per call would run V8's on-stack-replacement code of the previous one, whose
// loop variables are boxed doubles, instead of being optimised itself: a third slower, in some processes.
let built: { model: SimulationModel<never>; params: unknown; path: PathFunction } | null = null;

function pathFunctionOf<P>(model: SimulationModel<P>, params: P): PathFunction {
  if (built?.model !== model || built.params !== params) built = { model: model as SimulationModel<never>, params, path: model.pathFunction(params) };
  return built.path;
}

/** Summary of blocks [firstBlock, firstBlock + blocks), computed path by path in index order. */
export function runBlocks<P>(model: SimulationModel<P>, params: P, seed: number, pathCount: number, firstBlock: number, blocks: number): Summary {
  const accumulator = new BlockAccumulator(model.layout(params));
  const path = pathFunctionOf(model, params);
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
  return accumulator.summary(firstBlock);
}
