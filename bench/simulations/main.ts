// The simulation engine against its baselines, each measured in the same run and alternating with it:
// (1) path-steps per CPU-second on one core against a C implementation of the same algorithm
// (bench/simulations/engine.c, gcc -O2), (2) two worker threads against one, in wall time, (3) a batch
// through Temporal (workflow, chunk activities, heartbeats, database) against the same paths on the same
// threads in-process, through the same code that runs a chunk. Every ratio is the median of BENCH_TRIALS
// alternating pairs; BENCH_REPEATS such medians are printed as min / median / max. Beside the ratios it
// prints the figures that hold on a busy machine: CPU time per path-step, the main thread's CPU share while
// two threads compute, and where a batch's extra CPU goes (this process, the dev server, PostgreSQL).
// Run: npm run bench:simulations   (against the test stack: npm run stack -- test)
// Some parts only: BENCH_ONLY=engine,threads npm run bench:simulations   (or temporal)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOnThreads } from '../../activities/simulations/run-on-threads';
import { createThreadPool, type ThreadPool } from '../../activities/simulations/thread-pool';
import { blocksPerJob, planChunks } from '../../domain/simulations/chunking';
import { investmentModel, investmentParams } from '../../domain/simulations/investment';
import { buildResult } from '../../domain/simulations/result';
import { blockCount, runBlocks } from '../../domain/simulations/run-blocks';
import { foldMoments } from '../../domain/simulations/statistics';
import { installTemporalRuntime } from '../../observability/temporal-logger';
import { loadTestStackEnv } from '../../test/support/stack-env';
import { startSimulationsStack } from '../../test/support/simulations-stack';
import { cpuDelta, mainThreadCpuMs, stackCpuMs, type StackCpuMs } from '../process-cpu';

// Sizes, each overridable as BENCH_<NAME> (BENCH_TRIALS=3, …).
const sizes = {
  REPEATS: 3,
  TRIALS: 5,
  /** Paths per engine measurement (250 steps each): about a quarter of a second of JavaScript. */
  ENGINE_PATHS: 32_768,
  /** Paths per thread-scaling measurement: about a second on one thread. */
  THREAD_PATHS: 131_072,
  /** Path-steps of the batch compared through Temporal and in-process: several seconds on two threads. */
  BATCH_PATH_STEPS: 250_000_000,
};
for (const name of Object.keys(sizes) as Array<keyof typeof sizes>) sizes[name] = Number(process.env[`BENCH_${name}`] ?? sizes[name]);
const { REPEATS, TRIALS, ENGINE_PATHS, THREAD_PATHS, BATCH_PATH_STEPS } = sizes;
const parts = new Set((process.env.BENCH_ONLY ?? 'engine,threads,temporal').split(','));
const SEED = 20_261_130;
const PERIODS = 250;
const params = investmentParams.parse({
  initialMinor: 250_000,
  periods: PERIODS,
  periodsPerYear: 250,
  floorFraction: 0.8,
  returns: { type: 'gbm', drift: 0.05, volatility: 0.3 },
});
const layout = investmentModel.layout(params);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
const wallSeconds = async (task: () => unknown) => {
  const start = performance.now();
  await task();
  return (performance.now() - start) / 1000;
};

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

/** All blocks of `paths` on the pool's threads, as a chunk runs them. */
const onThreads = (threads: ThreadPool, paths: number) =>
  runOnThreads(
    threads,
    { model: 'investment', params, seed: SEED, pathCount: paths, firstBlock: 0, blocks: blockCount(paths), blocksPerJob: blocksPerJob(PERIODS) },
    layout,
  );

/** Runs `trials` alternating pairs and returns the median of their ratios. */
async function alternating(trials: number, pair: () => Promise<number>): Promise<number> {
  const ratios: number[] = [];
  for (let t = 0; t < trials; t++) ratios.push(await pair());
  return median(ratios);
}

loadTestStackEnv();
console.log(`load average at start: ${load()} (2 cores; other work may share this machine)`);
const spread = (xs: number[], format: (x: number) => string) => `${format(Math.min(...xs))} / ${format(median(xs))} / ${format(Math.max(...xs))}`;
const ratio = (x: number) => x.toFixed(3);
const percent = (x: number) => `${(x * 100).toFixed(1)} %`;
const summaryLines: string[] = [];

// (1) One core: JavaScript against C, same algorithm, same paths, in CPU time (what the core did, not
// how long the process waited for it). The means must agree before anything is timed.
if (parts.has('engine')) {
  const binary = compileC();
  const runC = (paths: number) => {
    const [cpu, steps, mean] = execFileSync(binary, [String(SEED), String(paths), String(PERIODS), '250', '0.05', '0.3', '250000', '0.8'])
      .toString()
      .trim()
      .split(' ')
      .map(Number);
    return { rate: steps! / cpu!, mean: mean! };
  };
  const runJs = () => {
    const start = cpuSeconds();
    const summary = runBlocks(investmentModel, params, SEED, ENGINE_PATHS, 0, blockCount(ENGINE_PATHS));
    return { rate: (ENGINE_PATHS * PERIODS) / (cpuSeconds() - start), mean: foldMoments(summary.blockMoments[0]!, 0, 0).mean };
  };
  // Warm-up: a second of JavaScript, so V8 has optimised the kernel before it is timed.
  for (const start = cpuSeconds(); cpuSeconds() - start < 1;) runJs();
  const [cMean, jsMean] = [runC(ENGINE_PATHS).mean, runJs().mean];
  if (Math.abs(jsMean - cMean) > 1e-9 * Math.abs(cMean)) throw new Error(`C and JavaScript disagree: mean terminal value ${cMean} vs ${jsMean}`);
  console.log(`C and JavaScript agree: mean terminal value ${cMean} vs ${jsMean} over ${ENGINE_PATHS} paths`);
  const engineRatios: number[] = [];
  const nsPerStep: Array<[number, number]> = [];
  for (let r = 0; r < REPEATS; r++) {
    const rates: Array<[number, number]> = [];
    engineRatios.push(
      await alternating(TRIALS, async () => {
        const c = runC(ENGINE_PATHS).rate;
        const js = runJs().rate;
        rates.push([c, js]);
        return js / c;
      }),
    );
    const [c, js] = [median(rates.map(([c]) => c)), median(rates.map(([, js]) => js))];
    nsPerStep.push([1e9 / c, 1e9 / js]);
    console.log(
      `engine   repeat ${r + 1}: C ${(c / 1e6).toFixed(1)}, JS ${(js / 1e6).toFixed(1)} M path-steps per CPU-second; JS/C ${engineRatios.at(-1)!.toFixed(3)}  (load ${load()})`,
    );
  }
  rmSync(join(binary, '..'), { recursive: true, force: true });
  summaryLines.push(`JS / C path-steps per CPU-second, one core        >= 0.5     ${spread(engineRatios, ratio)}`);
  summaryLines.push(
    `  CPU ns per path-step: C ${spread(
      nsPerStep.map(([c]) => c),
      (x) => x.toFixed(1),
    )}, JS ${spread(
      nsPerStep.map(([, js]) => js),
      (x) => x.toFixed(1),
    )}`,
  );
}

// (2) Two worker threads against one, in wall time, on the same blocks; both pools started first and
// warmed by a run of the measured size (a worker keeps its pool for its lifetime, so its threads run
// optimised code). The main thread's CPU while two threads run is what it takes from them on a two-core
// machine.
const two = createThreadPool(2);
await onThreads(two, THREAD_PATHS);
if (parts.has('threads')) {
  const one = createThreadPool(1);
  await onThreads(one, THREAD_PATHS);
  const scaling: number[] = [];
  const mainShares: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    let mainMs = 0;
    let processMs = 0;
    scaling.push(
      await alternating(TRIALS, async () => {
        const oneSeconds = await wallSeconds(() => onThreads(one, THREAD_PATHS));
        const [mainBefore, processBefore] = [mainThreadCpuMs(), cpuSeconds()];
        const seconds = await wallSeconds(() => onThreads(two, THREAD_PATHS));
        mainMs += mainThreadCpuMs() - mainBefore;
        processMs += (cpuSeconds() - processBefore) * 1_000;
        return oneSeconds / seconds;
      }),
    );
    mainShares.push(mainMs / processMs);
    console.log(
      `threads  repeat ${r + 1}: 2 threads / 1 thread speed-up ${scaling.at(-1)!.toFixed(3)} over ${THREAD_PATHS * PERIODS} path-steps; main thread ${percent(mainShares.at(-1)!)} of the process's CPU  (load ${load()})`,
    );
  }
  await one.close();
  summaryLines.push(`2 threads / 1 thread speed-up, wall time          >= 1.8     ${spread(scaling, ratio)}`);
  summaryLines.push(`  main thread's share of the process's CPU while 2 threads run: ${spread(mainShares, percent)}`);
}

// (3) A batch through Temporal against the same paths in-process, both on the two threads, alternating,
// with the CPU each side used: this process (and its main thread), the dev server, PostgreSQL.
if (parts.has('temporal')) {
  installTemporalRuntime('WARN');
  const env = process.env as Record<string, string>;
  const stackPorts = { temporal: env.TEMPORAL_ADDRESS!.split(':').at(-1)!, postgres: new URL(env.DATABASE_URL!).port, redis: new URL(env.REDIS_URL!).port };
  const stack = await startSimulationsStack('bench-simulations', two);
  const batchPaths = Math.ceil(BATCH_PATH_STEPS / PERIODS);
  const plan = planChunks(batchPaths, PERIODS);
  let batches = 0;
  const viaTemporal = () =>
    wallSeconds(async () => {
      const batch = await stack.startBatch({ batchId: `bench-${Date.now()}-${batches++}`, params, seed: SEED, plan, subject: 'bench' });
      await batch.result();
    });
  const inProcess = () => wallSeconds(async () => buildResult(investmentModel, params, await onThreads(two, batchPaths), SEED));
  /** Runs `side` and adds the CPU it used to `into`. */
  const measured = async (side: () => Promise<number>, into: StackCpuMs & { main: number }) => {
    const [before, mainBefore] = [stackCpuMs(stackPorts), mainThreadCpuMs()];
    const seconds = await side();
    const used = cpuDelta(stackCpuMs(stackPorts), before);
    for (const key of ['temporal', 'postgres', 'redis', 'worker'] as const) into[key] += used[key];
    into.main += mainThreadCpuMs() - mainBefore;
    return seconds;
  };
  const overheads: number[] = [];
  const zero = () => ({ temporal: 0, postgres: 0, redis: 0, worker: 0, main: 0 });
  try {
    const temporalTrials = Math.max(1, Math.ceil(TRIALS / 2));
    for (let r = 0; r < REPEATS; r++) {
      const [temporalCpu, localCpu] = [zero(), zero()];
      overheads.push(await alternating(temporalTrials, async () => (await measured(viaTemporal, temporalCpu)) / (await measured(inProcess, localCpu)) - 1));
      const extra = (key: keyof ReturnType<typeof zero>) => ((temporalCpu[key] - localCpu[key]) / temporalTrials).toFixed(0);
      console.log(
        `temporal repeat ${r + 1}: ${batchPaths * PERIODS} path-steps in ${plan.chunkCount} chunks, overhead ${(overheads.at(-1)! * 100).toFixed(1)} %; ` +
          `extra CPU ms per batch: this process ${extra('worker')} (main thread ${extra('main')}), dev server ${extra('temporal')}, PostgreSQL ${extra('postgres')}, Redis ${extra('redis')}  (load ${load()})`,
      );
    }
  } finally {
    await stack.stop();
  }
  summaryLines.push(`Temporal batch / in-process, extra wall time      <= 10 %    ${spread(overheads, percent)}`);
}
await two.close();

console.log(`\nratio (each a median of ${TRIALS} alternating pairs)    goal       min / median / max of ${REPEATS}`);
for (const line of summaryLines) console.log(line);
console.log(`load average at end: ${load()}`);
