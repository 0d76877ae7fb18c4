// A batch's live progress in Redis: each chunk's paths done are kept per chunk (a retried chunk overwrites
// its count), and every update appends an event with the batch's total that parses like the outcome events.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { simulationEventsKey, simulationProgressKey } from '../../cache/keys';
import type { Redis } from '../../cache/redis';
import { testRedis, uniqueId } from '../../test/support/env';
import { pathsDone, publishChunkProgress, publishEvent, SIMULATION_PROGRESS_TTL_SECONDS } from './progress';

describe('simulation progress in Redis', () => {
  let redis: Redis;
  before(() => {
    redis = testRedis();
  });
  after(() => redis.disconnect());

  const events = async (batchId: string) =>
    (await redis.xrange(simulationEventsKey(batchId), '-', '+')).map(([, fields]) => JSON.parse(fields[1]!) as Record<string, unknown>);

  test('sums the chunks, counts a retried chunk once, and publishes the total with each update', async () => {
    const batchId = uniqueId('batch');
    await publishChunkProgress(redis, batchId, 0, 4_096, 100_000);
    await publishChunkProgress(redis, batchId, 1, 2_048, 100_000);
    // Chunk 0 retried from an earlier checkpoint: its count goes back, it is not added twice.
    await publishChunkProgress(redis, batchId, 0, 1_024, 100_000);
    await publishChunkProgress(redis, batchId, 2, 90_000_000, 100_000_000);

    assert.equal(await pathsDone(redis, batchId), 1_024 + 2_048 + 90_000_000);
    assert.deepEqual(await events(batchId), [
      { type: 'progress', pathsDone: 4_096, pathCount: 100_000 },
      { type: 'progress', pathsDone: 6_144, pathCount: 100_000 },
      { type: 'progress', pathsDone: 3_072, pathCount: 100_000 },
      { type: 'progress', pathsDone: 90_003_072, pathCount: 100_000_000 },
    ]);
  });

  test('progress and outcome events share one shape, and both keys expire', async () => {
    const batchId = uniqueId('batch');
    await publishChunkProgress(redis, batchId, 0, 512, 512);
    await publishEvent(redis, batchId, { type: 'completed', pathsDone: 512, pathCount: 512 });
    const raw = (await redis.xrange(simulationEventsKey(batchId), '-', '+')).map(([, fields]) => fields[1]);
    assert.deepEqual(raw, ['{"type":"progress","pathsDone":512,"pathCount":512}', '{"type":"completed","pathsDone":512,"pathCount":512}']);
    for (const ttl of [await redis.ttl(simulationEventsKey(batchId)), await redis.ttl(simulationProgressKey(batchId))]) {
      assert.ok(ttl > SIMULATION_PROGRESS_TTL_SECONDS - 60 && ttl <= SIMULATION_PROGRESS_TTL_SECONDS, `ttl ${ttl}`);
    }
  });
});
