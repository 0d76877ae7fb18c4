// The simulation batch workflow on the dev server with real PostgreSQL and Redis: the stored result has
// the same bits as the same paths run in-process, for 1, 4 and 16 chunks, 1 and 2 threads, and child
// workflows; progress is queryable, batches are listed by model and status, and cancelling stops a batch.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client, Connection } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createThreadPool, type ThreadPool } from '../../activities/simulations/thread-pool';
import type { Redis } from '../../cache/redis';
import type { Db } from '../../db/pool';
import { findBatch, listChunks, recordBatch } from '../../db/simulations/batches';
import { planChunks } from '../../domain/simulations/chunking';
import { investmentModel, investmentParams } from '../../domain/simulations/investment';
import { poolShortfallModel, poolShortfallParams } from '../../domain/simulations/pool-shortfall';
import { buildResult } from '../../domain/simulations/result';
import { blockCount, runBlocks } from '../../domain/simulations/run-blocks';
import { createLogger } from '../../observability/log';
import { SimulationModelAttribute, SimulationStatusAttribute } from '../../temporal-config/search-attributes';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { eventually } from '../../test/support/eventually';
import { devServerClient, devServerWorkerConnection, testDb, testRedis, uniqueId, workflowBundle } from '../../test/support/env';
import { createSimulationsWorker } from '../../workers/simulations-worker';
import { simulationBatch, simulationProgressQuery, type SimulationBatchInput } from './batch';

const SEED = 424_242;
const params = investmentParams.parse({
  initialMinor: 1_000_000,
  contributionMinor: 20_000,
  periods: 24,
  periodsPerYear: 12,
  managementFeeBps: 75,
  returns: { type: 'gbm', drift: 0.06, volatility: 0.22 },
});
const PATHS = 16 * 1_024 - 100;
const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
const reference = plain(buildResult(investmentModel, params, runBlocks(investmentModel, params, SEED, PATHS, 0, blockCount(PATHS)), SEED));

interface Running {
  worker: Worker;
  run: Promise<void>;
  threads: ThreadPool;
  connection: NativeConnection;
}

describe('simulation batch workflow', () => {
  let db: Db;
  let redis: Redis;
  let client: Client;
  let connection: Connection;
  const workers: Running[] = [];
  const queue2 = uniqueId('sim2');
  const queue1 = uniqueId('sim1');

  async function startWorker(taskQueue: string, threadCount: number): Promise<void> {
    const threads = createThreadPool(threadCount);
    const workerConnection = await devServerWorkerConnection();
    const worker = await createSimulationsWorker({
      connection: workerConnection,
      namespace: 'default',
      db,
      redis,
      threads,
      log: createLogger('simulations-test'),
      identity: `${taskQueue}-worker`,
      taskQueue,
      workflowBundle: await workflowBundle(),
    });
    workers.push({ worker, run: worker.run(), threads, connection: workerConnection });
  }

  before(async () => {
    db = testDb();
    redis = testRedis();
    ({ client, connection } = await devServerClient());
    await startWorker(queue2, 2);
    await startWorker(queue1, 1);
  });

  after(async () => {
    for (const w of workers) w.worker.shutdown();
    for (const w of workers) {
      await w.run;
      await w.threads.close();
      await w.connection.close();
    }
    await connection.close();
    await db.end();
    redis.disconnect();
  });

  async function runBatch(taskQueue: string, chunks: number, extra: Partial<SimulationBatchInput> = {}) {
    const batchId = uniqueId('batch');
    const plan = planChunks(PATHS, params.periods, chunks);
    assert.equal(plan.chunkCount, chunks);
    await recordBatch(db, { batchId, model: 'investment', params, seed: SEED, pathCount: PATHS, chunkCount: plan.chunkCount, poolId: null, subject: 'tester' });
    const handle = await client.workflow.start(simulationBatch, {
      taskQueue,
      workflowId: workflowIds.simulation(batchId),
      args: [{ batchId, model: 'investment', pathCount: PATHS, chunkCount: plan.chunkCount, blocksPerChunk: plan.blocksPerChunk, ...extra }],
      typedSearchAttributes: [
        { key: SimulationModelAttribute, value: 'investment' },
        { key: SimulationStatusAttribute, value: 'running' },
      ],
    });
    await handle.result();
    const batch = await findBatch(db, batchId);
    assert.equal(batch?.status, 'completed');
    return { batchId, handle, result: plain(batch!.result) };
  }

  test('1, 4 and 16 chunks on two threads, and 4 chunks on one thread, store the in-process result to the bit', async () => {
    const runs = await Promise.all([runBatch(queue2, 1), runBatch(queue2, 4), runBatch(queue2, 16), runBatch(queue1, 4)]);
    for (const run of runs) assert.deepStrictEqual(run.result, reference);
    assert.equal((await listChunks(db, runs[2]!.batchId)).length, 16);
    const progress = await runs[2]!.handle.query(simulationProgressQuery);
    assert.deepEqual(progress, { status: 'completed', chunkCount: 16, chunksDone: 16, pathsDone: PATHS, pathCount: PATHS });
    // The Web UI lists batches by model and status.
    const workflowId = workflowIds.simulation(runs[2]!.batchId);
    await eventually('the batch listed as completed', async () => {
      for await (const e of client.workflow.list({ query: `SimulationModel='investment' AND SimulationStatus='completed' AND WorkflowId='${workflowId}'` }))
        return e;
      return undefined;
    });
  });

  test('child workflows for ranges of chunks give the same result', async () => {
    const run = await runBatch(queue2, 16, { chunksPerWorkflow: 4 });
    assert.deepStrictEqual(run.result, reference);
    await eventually('four child workflows listed', async () => {
      const ids: string[] = [];
      for await (const e of client.workflow.list({ query: `WorkflowId STARTS_WITH '${workflowIds.simulation(run.batchId)}/part/'` })) ids.push(e.workflowId);
      return ids.length === 4 ? ids : undefined;
    });
  });

  test('cancelling a running batch stops it and records it as cancelled', async () => {
    const big = poolShortfallParams.parse({
      defaultProbabilities: Array(50).fill(0.02),
      contributionMinor: 1_000,
      rounds: 50,
      reserveMinor: 5_000,
      defaultPolicy: 'suspend',
    });
    const batchId = uniqueId('cancel');
    const pathCount = 400 * 1_024;
    const plan = planChunks(pathCount, poolShortfallModel.stepsPerPath(big), 40);
    await recordBatch(db, { batchId, model: 'pool-shortfall', params: big, seed: 1, pathCount, chunkCount: plan.chunkCount, poolId: null, subject: 'tester' });
    const handle = await client.workflow.start(simulationBatch, {
      taskQueue: queue2,
      workflowId: workflowIds.simulation(batchId),
      args: [{ batchId, model: 'pool-shortfall', pathCount, chunkCount: plan.chunkCount, blocksPerChunk: plan.blocksPerChunk, chunkWindow: 2 }],
      typedSearchAttributes: [
        { key: SimulationModelAttribute, value: 'pool-shortfall' },
        { key: SimulationStatusAttribute, value: 'running' },
      ],
    });
    await eventually('a chunk to finish', async () => ((await handle.query(simulationProgressQuery)).chunksDone > 0 ? true : undefined), 60_000);
    await handle.cancel();
    await assert.rejects(handle.result());
    await eventually('the batch recorded as cancelled', async () => ((await findBatch(db, batchId))?.status === 'cancelled' ? true : undefined));
    const stored = (await listChunks(db, batchId)).length;
    assert.ok(stored < plan.chunkCount, `${stored} of ${plan.chunkCount} chunks ran`);
  });
});
