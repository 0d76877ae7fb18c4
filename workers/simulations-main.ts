// The simulations worker process: polls the simulations task queue and runs batch workflows and chunks
// on a pool of worker threads until SIGTERM/SIGINT. Start several (on one machine or many) to share
// batches: they need no configuration beyond the same Temporal address and queue.
import { hostname } from 'node:os';
import { NativeConnection } from '@temporalio/worker';
import { createThreadPool, defaultThreadCount } from '../activities/simulations/thread-pool';
import { createRedis } from '../cache/redis';
import { databaseEnv, loadEnv, redisEnv, simulationEnv, temporalEnv } from '../config/env';
import { createDbPool } from '../db/pool';
import { createLogger } from '../observability/log';
import { installTemporalRuntime } from '../observability/temporal-logger';
import { createSimulationsWorker } from './simulations-worker';

const env = loadEnv(databaseEnv.extend(redisEnv.shape).extend(temporalEnv.shape).extend(simulationEnv.shape));
const log = createLogger('simulations-worker');
installTemporalRuntime('INFO');

const db = createDbPool(env.DATABASE_URL, { applicationName: 'poolflow-simulations-worker' });
const redis = createRedis(env.REDIS_URL, env.REDIS_KEY_PREFIX);
const threads = createThreadPool(env.SIMULATION_THREADS ?? defaultThreadCount());
const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
try {
  const worker = await createSimulationsWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    db,
    redis,
    threads,
    log,
    identity: `${hostname()}:${process.pid}`,
    chunksPerWorker: env.SIMULATION_CHUNKS_PER_WORKER,
  });
  log.info('simulations worker started', { taskQueue: worker.options.taskQueue, threads: threads.size });
  await worker.run();
  log.info('simulations worker drained and stopped');
} catch (error) {
  log.error('simulations worker failed', { error });
  process.exitCode = 1;
} finally {
  await threads.close();
  await connection.close();
  await db.end();
  redis.disconnect();
}
