// The simulations worker process: polls the simulations task queue and runs batch workflows and chunks
// on a pool of worker threads until SIGTERM/SIGINT. Start several (on one machine or many) to share
// batches: they need no configuration beyond the same Temporal address and queue.
import { hostname } from 'node:os';
import { defaultThreadCount } from '../activities/simulations/thread-pool';
import { loadEnv, simulationEnv } from '../config/env';
import { processEnv } from '../config/process';
import { createLogger } from '../observability/log';
import { installTemporalRuntime } from '../observability/temporal-logger';
import { openSimulationsWorkerProcess } from './simulations-worker';

const env = loadEnv(processEnv.extend(simulationEnv.shape));
const log = createLogger('simulations-worker');
installTemporalRuntime('INFO');

try {
  const { worker, threads, close } = await openSimulationsWorkerProcess('simulations-worker', env, {
    threadCount: env.SIMULATION_THREADS ?? defaultThreadCount(),
    log,
    identity: `${hostname()}:${process.pid}`,
    chunksPerWorker: env.SIMULATION_CHUNKS_PER_WORKER,
    checkpointIntervalMs: env.SIMULATION_CHECKPOINT_INTERVAL_MS,
  });
  try {
    log.info('simulations worker started', { taskQueue: worker.options.taskQueue, threads: threads.size });
    await worker.run();
    log.info('simulations worker drained and stopped');
  } finally {
    await close();
  }
} catch (error) {
  log.error('simulations worker failed', { error });
  process.exitCode = 1;
}
