// The simulation engine against its baselines, all measured in the same run: (1) path-steps per second
// on one core against a C implementation of the same algorithm (bench/simulations/engine.c, gcc -O2),
// (2) two worker threads against one, (3) a batch through Temporal (workflow, chunk activities,
// heartbeats, database) against the same paths on the same threads in-process. Each comparison is
// repeated BENCH_REPEATS times; within a run the two sides alternate BENCH_TRIALS times and each keeps its
// best time, which is what the core can do when the machine's other work lets it. Ratios are printed with
// min/median/max over the runs.
// Run: set -a; . .data/test.env; set +a; npx tsx bench/simulations/main.ts   (npm run bench:simulations)
import { poolflowDataConverter } from '../../temporal-config/data-converter';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createThreadPool, type ThreadPool } from '../../activities/simulations/thread-pool';
import { createRedis } from '../../cache/redis';
import { createDbPool } from '../../db/pool';
import { recordBatch } from '../../db/simulations/batches';
import { planChunks } from '../../domain/simulations/chunking';
import { investmentModel, investmentParams } from '../../domain/simulations/investment';
import { buildResult } from '../../domain/simulations/result';
import { blockCount, runBlocks } from '../../domain/simulations/run-blocks';
import { foldMoments, mergeAll, type Summary } from '../../domain/simulations/statistics';
import { createLogger } from '../../observability/log';
import { installTemporalRuntime } from '../../observability/temporal-logger';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { loadTestStackEnv } from '../../test/support/stack-env';
import { createSimulationsWorker } from '../../workers/simulations-worker';
import { simulationBatch } from '../../workflows/simulations/batch';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 5);
/** Paths for the single-core comparison and the thread scaling (250 steps each). */
const ENGINE_PATHS = Number(process.env.BENCH_ENGINE_PATHS ?? 8_192);
/** Path-steps of the batch compared through Temporal and in-process. */
const BATCH_PATH_STEPS = Number(process.env.BENCH_BATCH_PATH_STEPS ?? 40_000_000);
const SEED = 20_261_130;
const PERIODS = 250;
const params = investmentParams.parse({ initialMinor: 250_000, periods: PERIODS, periodsPerYear: 250, floorFraction: 0.8, returns: { type: 'gbm', drift: 0.05, volatility: 0.3 } });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]) => `min ${Math.min(...xs).toFixed(3)} / median ${median(xs).toFixed(3)} / max ${Math.max(...xs).toFixed(3)}`;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

function compileC(): string {
  const dir = mkdtempSync(join(tmpdir(), 'poolflow-engine-'));
  const binary = join(dir, 'engine');
  try {
    execFileSync('gcc', ['-O2', '-o', binary, fileURLToPath(new URL('./engine.c', import.meta.url)), '-lm']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`gcc is missing or failed (${(error as Error).message}): install it with \`apt-get install -y gcc\``);
  }
  return binary;
}

/** Runs all blocks of `paths` on the pool's threads, at most two blocks per thread in flight; merges in block order. */
async function onThreads(threads: ThreadPool, paths: number): Promise<Summary> {
  const blocks = blockCount(paths);
  const summaries: Summary[] = [];
  let next = 0;
  const worker = async () => {
    while (next < blocks) {
      const block = next++;
      summaries.push(await threads.run({ model: 'investment', params, seed: SEED, pathCount: paths, firstBlock: block, blocks: 1 }));
    }
  };
  await Promise.all(Array.from({ length: threads.size * 2 }, worker));
  return mergeAll(summaries, investmentModel.layout(params));
}

const seconds = async (task: () => unknown) => {
  const start = performance.now();
  await task();
  return (performance.now() - start) / 1000;
};

installTemporalRuntime('WARN');
loadTestStackEnv();
console.log(`load average at start: ${load()} (2 cores; other work shares this machine)`);

// (1) One core: JavaScript against C, same algorithm, same paths; the means must agree.
const binary = compileC();
const engineRatios: number[] = [];
// Warm-up: let V8 optimise the kernel before it is timed.
runBlocks(investmentModel, params, SEED, 4_096, 0, 4);
// C runs three times the paths, so both sides are timed over similar durations (a short run is likelier
// to fit in a quiet moment of the shared machine, which would flatter it).
const C_PATHS = 3 * ENGINE_PATHS;
const runC = () => execFileSync(binary, [String(SEED), String(C_PATHS), String(PERIODS), '250', '0.05', '0.3', '250000', '0.8']).toString().trim().split(' ').map(Number) as [number, number, number];
const jsMean = foldMoments(runBlocks(investmentModel, params, SEED, C_PATHS, 0, blockCount(C_PATHS)).blockMoments[0]!, 0, 0).mean;
const cMean = runC()[2];
if (Math.abs(jsMean - cMean) > 1e-9 * Math.abs(cMean)) throw new Error(`C and JavaScript disagree: mean terminal value ${cMean} vs ${jsMean}`);
console.log(`C and JavaScript agree: mean terminal value ${cMean} vs ${jsMean} over ${C_PATHS} paths`);
for (let r = 0; r < REPEATS; r++) {
  let cRate = 0;
  let jsRate = 0;
  for (let t = 0; t < TRIALS; t++) {
    const [cSeconds, cSteps] = runC();
    const jsSeconds = await seconds(() => runBlocks(investmentModel, params, SEED, ENGINE_PATHS, 0, blockCount(ENGINE_PATHS)));
    cRate = Math.max(cRate, cSteps / cSeconds);
    jsRate = Math.max(jsRate, (ENGINE_PATHS * PERIODS) / jsSeconds);
  }
  engineRatios.push(jsRate / cRate);
  console.log(`engine  run ${r + 1}: C ${(cRate / 1e6).toFixed(2)} M path-steps/s, JS ${(jsRate / 1e6).toFixed(2)} M path-steps/s, JS/C ${(jsRate / cRate).toFixed(3)}  (load ${load()})`);
}
rmSync(join(binary, '..'), { recursive: true, force: true });

// (2) Two worker threads against one, on the same blocks.
const one = createThreadPool(1);
const two = createThreadPool(2);
await onThreads(one, 4_096);
await onThreads(two, 4_096);
const scaling: number[] = [];
for (let r = 0; r < REPEATS; r++) {
  let t1 = Infinity;
  let t2 = Infinity;
  for (let t = 0; t < TRIALS; t++) {
    t1 = Math.min(t1, await seconds(() => onThreads(one, ENGINE_PATHS * 2)));
    t2 = Math.min(t2, await seconds(() => onThreads(two, ENGINE_PATHS * 2)));
  }
  scaling.push(t1 / t2);
  console.log(`threads run ${r + 1}: 1 thread ${t1.toFixed(2)} s, 2 threads ${t2.toFixed(2)} s, speed-up ${(t1 / t2).toFixed(3)}  (load ${load()})`);
}
await one.close();

// (3) A batch through Temporal against the same paths in-process, both on the two threads.
const env = process.env as Record<string, string>;
const db = createDbPool(env.DATABASE_URL!, { applicationName: 'poolflow-bench-simulations' });
const redis = createRedis(env.REDIS_URL!, `bench-sim-${Date.now()}:`);
const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
const client = new Client({ connection, namespace: 'default', dataConverter: poolflowDataConverter() });
const workerConnection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS! });
const taskQueue = `bench-sim-${Date.now()}`;
const worker = await createSimulationsWorker({ connection: workerConnection, namespace: 'default', db, redis, threads: two, log: createLogger('bench'), identity: 'bench', taskQueue });
const running = worker.run();
const batchPaths = Math.ceil(BATCH_PATH_STEPS / PERIODS);
const overheads: number[] = [];
try {
  for (let r = 0; r < REPEATS; r++) {
    const inProcess = await seconds(async () => buildResult(investmentModel, params, await onThreads(two, batchPaths), SEED));
    const batchId = `bench-${Date.now()}-${r}`;
    const plan = planChunks(batchPaths, PERIODS);
    const viaTemporal = await seconds(async () => {
      await recordBatch(db, { batchId, model: 'investment', params, seed: SEED, pathCount: batchPaths, chunkCount: plan.chunkCount, poolId: null, subject: 'bench' });
      await client.workflow.execute(simulationBatch, {
        taskQueue,
        workflowId: workflowIds.simulation(batchId),
        args: [{ batchId, model: 'investment', pathCount: batchPaths, chunkCount: plan.chunkCount, blocksPerChunk: plan.blocksPerChunk, searchAttributes: false }],
      });
    });
    overheads.push(viaTemporal / inProcess - 1);
    console.log(`temporal run ${r + 1}: ${batchPaths * PERIODS} path-steps in ${plan.chunkCount} chunks, in-process ${inProcess.toFixed(2)} s, through Temporal ${viaTemporal.toFixed(2)} s, overhead ${((viaTemporal / inProcess - 1) * 100).toFixed(1)} %  (load ${load()})`);
  }
} finally {
  worker.shutdown();
  await running;
  await two.close();
  await workerConnection.close();
  await connection.close();
  await db.end();
  redis.disconnect();
}

console.log('\nratio                               goal      ' + `${REPEATS} runs`);
console.log(`JS / C path-steps per second, 1 core  >= 0.5    ${spread(engineRatios)}`);
console.log(`2 threads / 1 thread speed-up         >= 1.8    ${spread(scaling)}`);
console.log(`Temporal overhead vs in-process       <= 0.10   ${spread(overheads)}`);
console.log(`load average at end: ${load()}`);
