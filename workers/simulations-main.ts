// The simulations worker process: polls the simulations task queue and runs batch workflows and chunks
// on a pool of worker threads until SIGTERM/SIGINT. Start several (on one machine or many) to share
// batches: they need no configuration beyond the same Temporal address and queue.
import { hostname } from 'node:os';
import { createThreadPool, defaultThreadCount } from '../activities/simulations/thread-pool';
import { loadEnv, simulationEnv } from '../config/env';
import { openProcess, processEnv } from '../config/process';
import { createLogger } from '../observability/log';
import { installTemporalRuntime } from '../observability/temporal-logger';
import { createSimulationsWorker } from './simulations-worker';

const env = loadEnv(processEnv.extend(simulationEnv.shape));
const log = createLogger('simulations-worker');
installTemporalRuntime('INFO');

const resources = openProcess('simulations-worker', env);
const { db, redis } = resources;
const threads = createThreadPool(env.SIMULATION_THREADS ?? defaultThreadCount());
resources.closing(() => threads.close());
const connection = await resources.workerConnection();
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
  await resources.close();
}
