// Simulation batches across worker processes on the dev server: two processes on one queue share a batch
// and store the same bits as one process; killing the only worker in the middle of a batch and starting
// another finishes it with the identical result, without computing finished chunks again and resuming
// the interrupted chunk from its last heartbeat.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { Redis } from '../cache/redis';
import type { Db } from '../db/pool';
import { findBatch, listChunks, recordBatch } from '../db/simulations/batches';
import { planChunks } from '../domain/simulations/chunking';
import { investmentModel, investmentParams } from '../domain/simulations/investment';
import { buildResult } from '../domain/simulations/result';
import { blockCount, runBlocks } from '../domain/simulations/run-blocks';
import { BLOCK_PATHS } from '../domain/simulations/statistics';
import { poolflowDataConverter } from '../temporal-config/data-converter';
import { workflowIds } from '../temporal-config/workflow-ids';
import { simulationBatch } from '../workflows/simulations/batch';
import { eventually } from './support/eventually';
import { devServerClient, testConfig, testDb, testRedis, uniqueId } from './support/env';
import { removeSharedBundle, startTestProcess, type TestProcess } from './support/worker-process';

const SEED = 77;
const params = investmentParams.parse({
  initialMinor: 250_000,
  contributionMinor: 5_000,
  periods: 250,
  periodsPerYear: 250,
  returns: { type: 'gbm', drift: 0.05, volatility: 0.3 },
});
const CHUNKS = 6;
// Chunks of several worker-thread jobs each, so a chunk is part-way through for long enough to be caught there.
const PATHS = CHUNKS * 48 * BLOCK_PATHS;
const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

/** A pending chunk's last checkpoint on the server: its first block and blocks done (0 for none yet). */
async function checkpointOf(details: Payload[] | null | undefined): Promise<{ firstBlock: number; blocksDone: number }> {
  if (!details?.length) return { firstBlock: -1, blocksDone: 0 };
  let payloads = details;
  for (const codec of [...(poolflowDataConverter().payloadCodecs ?? [])].reverse()) payloads = await codec.decode(payloads);
  const checkpoint = defaultPayloadConverter.fromPayload<{ blocksDone?: number; summary?: { firstBlock: number } } | undefined>(payloads[0]!);
  return { firstBlock: checkpoint?.summary?.firstBlock ?? -1, blocksDone: checkpoint?.blocksDone ?? 0 };
}

describe('simulation workers as processes', () => {
  let db: Db;
  let redis: Redis;
  let client: Client;
  let connection: Connection;
  const keyPrefix = `${uniqueId('simproc')}:`;
  const processes: TestProcess[] = [];
  let reference: unknown;

  /** `ownBundle`: the worker bundles its own workflows (the simulations-only entry), as in production. */
  const startWorker = async (taskQueue: string, identity: string, ownBundle = false) => {
    const worker = await startTestProcess(
      'test/support/simulations-worker-process.ts',
      {
        TEMPORAL_ADDRESS: testConfig.temporalAddress,
        SIMULATIONS_TASK_QUEUE: taskQueue,
        WORKER_IDENTITY: identity,
        SIMULATION_THREADS: '1',
        // A chunk here takes well under the default interval; it must checkpoint part-way through to be resumed.
        SIMULATION_CHECKPOINT_INTERVAL_MS: '100',
        REDIS_KEY_PREFIX: keyPrefix,
      },
      ownBundle ? { workflowBundlePath: false } : {},
    );
    processes.push(worker);
    return worker;
  };

  const startBatch = async (taskQueue: string) => {
    const batchId = uniqueId('batch');
    const plan = planChunks(PATHS, params.periods, CHUNKS);
    await recordBatch(db, { batchId, model: 'investment', params, seed: SEED, pathCount: PATHS, chunkCount: plan.chunkCount, poolId: null, subject: 'tester' });
    const handle = await client.workflow.start(simulationBatch, {
      taskQueue,
      workflowId: workflowIds.simulation(batchId),
      args: [
        {
          batchId,
          model: 'investment',
          pathCount: PATHS,
          chunkCount: plan.chunkCount,
          blocksPerChunk: plan.blocksPerChunk,
          chunkWindow: 4,
          searchAttributes: false,
        },
      ],
    });
    return { batchId, handle, plan };
  };

  before(async () => {
    db = testDb();
    redis = testRedis(keyPrefix);
    ({ client, connection } = await devServerClient());
    reference = plain(buildResult(investmentModel, params, runBlocks(investmentModel, params, SEED, PATHS, 0, blockCount(PATHS)), SEED));
  });

  after(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.exited));
    await removeSharedBundle();
    await connection.close();
    await db.end();
    redis.disconnect();
  });

  test('two worker processes on one queue share a batch and store the one-process result to the bit', async () => {
    const taskQueue = uniqueId('sim-shared');
    await Promise.all([startWorker(taskQueue, 'shared-a'), startWorker(taskQueue, 'shared-b')]);
    const { batchId, handle } = await startBatch(taskQueue);
    await handle.result();
    assert.deepStrictEqual(plain((await findBatch(db, batchId))!.result), reference);
    const workersUsed = new Set((await listChunks(db, batchId)).map((c) => c.worker));
    assert.deepEqual([...workersUsed].sort(), ['shared-a', 'shared-b']);
  });

  test('a worker killed in the middle of a batch: another finishes it identically, resuming the interrupted chunk', async () => {
    const taskQueue = uniqueId('sim-kill');
    const first = await startWorker(taskQueue, 'killed');
    const { batchId, handle } = await startBatch(taskQueue);

    // Wait until at least one chunk is stored and an unstored one has a checkpoint with blocks done on the
    // server, then kill the worker. Stored chunks are read after the checkpoints: a chunk is stored before
    // its activity completes, so it may still show as pending. A checkpoint taken before the chunk's first
    // job is back has no blocks done, which is no checkpoint to resume from.
    await eventually(
      'a finished chunk and a checkpoint of another in progress',
      async () => {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        const checkpoints = await Promise.all(pending.map((a) => checkpointOf(a.heartbeatDetails?.payloads as Payload[] | undefined)));
        const stored = new Set((await listChunks(db, batchId)).map((c) => c.firstBlock));
        return stored.size >= 1 && checkpoints.some((c) => c.blocksDone > 0 && !stored.has(c.firstBlock)) ? true : undefined;
      },
      60_000,
    );
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    const beforeRestart = await listChunks(db, batchId);
    assert.ok(beforeRestart.length < CHUNKS, 'the batch was not finished when the worker died');

    // The batch started under the shared bundle of every workflow; the restarted worker replays it from
    // the simulations-only bundle a real simulations worker builds.
    await startWorker(taskQueue, 'restarted', true);
    await handle.result();
    const batch = await findBatch(db, batchId);
    assert.equal(batch?.status, 'completed');
    assert.deepStrictEqual(plain(batch!.result), reference);

    const afterRestart = await listChunks(db, batchId);
    assert.equal(afterRestart.length, CHUNKS);
    // Chunks finished before the kill were not computed again.
    for (const chunk of beforeRestart)
      assert.deepStrictEqual(
        afterRestart.find((c) => c.chunkIndex === chunk.chunkIndex),
        chunk,
      );
    const redone = afterRestart.filter((c) => c.worker === 'restarted');
    assert.equal(redone.length, CHUNKS - beforeRestart.length);
    assert.ok(
      redone.some((c) => c.resumedBlocks > 0),
      `a chunk resumed from its heartbeat: ${JSON.stringify(redone.map((c) => c.resumedBlocks))}`,
    );
  });
});
