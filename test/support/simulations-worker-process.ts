// A simulations worker in a process of its own, for tests that run two of them or kill one (SIGKILL) in
// the middle of a batch: the same wiring as workers/simulations-main.ts, on SIMULATIONS_TASK_QUEUE with
// SIMULATION_THREADS threads and the identity WORKER_IDENTITY. Prints "ready" once it polls.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { loadEnv, simulationEnv } from '../../config/env';
import { processEnv } from '../../config/process';
import { createLogger } from '../../observability/log';
import { installTemporalRuntime } from '../../observability/temporal-logger';
import { openSimulationsWorkerProcess } from '../../workers/simulations-worker';
import { exitWithParent } from './child-lifetime';

exitWithParent();

const env = loadEnv(
  processEnv
    .extend(simulationEnv.shape)
    .extend({ SIMULATIONS_TASK_QUEUE: z.string().min(1), WORKER_IDENTITY: z.string().min(1), WORKFLOW_BUNDLE_PATH: z.string().min(1).optional() }),
);
installTemporalRuntime('WARN');

const { worker, close } = await openSimulationsWorkerProcess('test-simulations-worker', env, {
  threadCount: env.SIMULATION_THREADS ?? 1,
  log: createLogger('simulations-worker-test'),
  identity: env.WORKER_IDENTITY,
  taskQueue: env.SIMULATIONS_TASK_QUEUE,
  checkpointIntervalMs: env.SIMULATION_CHECKPOINT_INTERVAL_MS,
  ...(env.WORKFLOW_BUNDLE_PATH ? { workflowBundle: { code: await readFile(env.WORKFLOW_BUNDLE_PATH, 'utf8') } } : {}),
});
try {
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
} finally {
  await close();
}
