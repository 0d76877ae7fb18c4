// Cutting a batch into chunks: whole blocks, every path in exactly one chunk, the requested count when
// it can be honoured, and never more blocks per chunk than a heartbeat can carry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BLOCKS_PER_CHUNK_MAX, BLOCKS_PER_JOB_MAX, blocksPerJob, chunkBlocks, JOB_PATH_STEPS_TARGET, pathsIn, planChunks } from './chunking';
import { BLOCK_PATHS } from './statistics';

test('chunks cover every block once, in order, and their paths add up', () => {
  for (const [paths, steps, requested] of [
    [10_000, 250, 4],
    [16 * BLOCK_PATHS - 100, 24, 16],
    [1, 1, undefined],
    [3_000_000, 2, undefined],
  ] as const) {
    const plan = planChunks(paths, steps, requested);
    let nextBlock = 0;
    let total = 0;
    for (let i = 0; i < plan.chunkCount; i++) {
      const { firstBlock, blocks } = chunkBlocks(plan, i);
      assert.equal(firstBlock, nextBlock);
      assert.ok(blocks >= 1 && blocks <= BLOCKS_PER_CHUNK_MAX);
      nextBlock += blocks;
      total += pathsIn(plan, firstBlock, blocks);
    }
    assert.equal(nextBlock, plan.blockCount);
    assert.equal(total, paths);
    if (requested !== undefined) assert.equal(plan.chunkCount, requested);
  }
  assert.throws(() => chunkBlocks(planChunks(10, 1), 1), RangeError);
});

test('short paths still make enough chunks that none exceeds the block limit', () => {
  const plan = planChunks(1_000 * BLOCK_PATHS, 2, 1);
  assert.equal(plan.chunkCount, Math.ceil(1_000 / BLOCKS_PER_CHUNK_MAX));
  assert.ok(plan.blocksPerChunk <= BLOCKS_PER_CHUNK_MAX, `${plan.blocksPerChunk} blocks per chunk`);
});

test('worker-thread jobs hold about a million path-steps, at least one block and at most the job limit', () => {
  assert.equal(blocksPerJob(250), 3);
  assert.equal(blocksPerJob(1), BLOCKS_PER_JOB_MAX);
  assert.equal(blocksPerJob(100_000), 1);
  for (const steps of [1, 24, 250, 2_000, 1e6]) assert.ok(blocksPerJob(steps) * BLOCK_PATHS * steps <= JOB_PATH_STEPS_TARGET || blocksPerJob(steps) === 1);
});
