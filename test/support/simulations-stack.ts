// A simulations worker on the test stack for the tools that drive batches by hand (the simulations
// benchmark, the history recorder): its own task queue and Redis prefix, a client to start batches of
// the investment model on it, and one stop() for all of it. Load the stack's environment
// (loadTestStackEnv) and install the Temporal runtime first.
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { ThreadPool } from '../../activities/simulations/thread-pool';
import { createRedis, type Redis } from '../../cache/redis';
import { createDbPool, type Db } from '../../db/pool';
import { recordBatch } from '../../db/simulations/batches';
import type { ChunkPlan } from '../../domain/simulations/chunking';
import type { InvestmentParams } from '../../domain/simulations/investment';
import { createLogger } from '../../observability/log';
import { poolflowDataConverter } from '../../temporal-config/data-converter';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { createSimulationsWorker } from '../../workers/simulations-worker';
import { simulationBatch, type SimulationBatchInput } from '../../workflows/simulations/batch';

export interface InvestmentBatch {
  batchId: string;
  params: InvestmentParams;
  seed: number;
  plan: ChunkPlan;
  /** Who the batch row names as its requester. */
  subject: string;
  /** False starts the workflow without a batch row, so that its chunks fail. */
  record?: boolean;
  extra?: Partial<SimulationBatchInput>;
}

export interface SimulationsStack {
  db: Db;
  client: Client;
  /** Records the batch's row (unless told not to) and starts its workflow on this worker's task queue. */
  startBatch(batch: InvestmentBatch): Promise<WorkflowHandle<typeof simulationBatch>>;
  stop(): Promise<void>;
}

/** `name` names the worker's task queue, Redis prefix, database application and log lines. */
export async function startSimulationsStack(name: string, threads: ThreadPool): Promise<SimulationsStack> {
  const env = process.env as Record<string, string>;
  const db = createDbPool(env.DATABASE_URL!, { applicationName: `poolflow-${name}` });
  const redis: Redis = createRedis(env.REDIS_URL!, `${name}-${Date.now()}:`);
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
  const client = new Client({ connection, namespace: 'default', dataConverter: poolflowDataConverter() });
  const workerConnection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS! });
  const taskQueue = `${name}-${Date.now()}`;
  // No workflowBundle: the worker bundles workflows/simulations/index.ts, as in production.
  const worker = await createSimulationsWorker({
    connection: workerConnection,
    namespace: 'default',
    db,
    redis,
    threads,
    log: createLogger(name),
    identity: name,
    taskQueue,
  });
  const running = worker.run();
  return {
    db,
    client,
    async startBatch({ batchId, params, seed, plan, subject, record = true, extra = {} }) {
      const { pathCount, chunkCount, blocksPerChunk } = plan;
      if (record) await recordBatch(db, { batchId, model: 'investment', params, seed, pathCount, chunkCount, poolId: null, subject });
      return client.workflow.start(simulationBatch, {
        taskQueue,
        workflowId: workflowIds.simulation(batchId),
        args: [{ batchId, model: 'investment', pathCount, chunkCount, blocksPerChunk, searchAttributes: false, ...extra }],
      });
    },
    async stop() {
      worker.shutdown();
      await running;
      redis.disconnect();
      await Promise.all([workerConnection.close(), connection.close(), db.end()]);
    },
  };
}
