// The workflow sandbox's CPU per workflow by kind of tracing, without a server: replays the recorded
// histories of today's pools and rounds (test/histories/*.json) BENCH_REPLAYS times each with bundles
// that differ only in their tracing interceptors, alternating bundles in BENCH_REPEATS rounds, and prints
// the CPU per pool life and per round workflow of each, against OpenTelemetry's workflow spans (the
// baseline) and against no tracing interceptors at all (the floor).
// Run: npx tsx bench/pools/replay-cpu.ts   (see bench/README.md; needs no stack)
import { loadavg } from 'node:os';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { tracingWorkerOptions, type WorkflowTracing } from '../../observability/temporal-tracing';
import { installTemporalRuntime } from '../../observability/temporal-logger';
import { FAILURE_CONVERTER_PATH, poolflowDataConverter } from '../../temporal-config/data-converter';
import { historyFromProtoJson } from '../../test/support/history-json';
import { WORKFLOW_INTERCEPTORS_PATH, workflowInterceptorModules, WORKFLOWS_PATH } from '../../workers/pools/worker';
import { benchSetting } from '../settings';
import { median } from '../support';

/** Replays of each history per bundle and repeat. */
const REPLAYS = benchSetting('BENCH_REPLAYS', 10);
const REPEATS = benchSetting('BENCH_REPEATS', 3);
const HISTORIES_DIR = fileURLToPath(new URL('../../test/histories/', import.meta.url));

installTemporalRuntime('WARN', { forwardCoreLogs: false });
const quiet = () => {};
const logger = { trace: quiet, debug: quiet, info: quiet, log: quiet, warn: quiet, error: console.error };

type Variant = WorkflowTracing | 'none';
const VARIANTS: Variant[] = ['spans', 'propagation', 'none'];
const bundles = new Map<Variant, WorkflowBundleWithSourceMap>();
for (const variant of VARIANTS) {
  const modules = variant === 'none' ? [WORKFLOW_INTERCEPTORS_PATH] : workflowInterceptorModules(variant);
  bundles.set(
    variant,
    await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: modules, failureConverterPath: FAILURE_CONVERTER_PATH, logger }),
  );
}

const files = (await readdir(HISTORIES_DIR)).filter((name) => name.endsWith('.json'));
const load = async (names: string[]) =>
  Promise.all(names.map(async (name) => historyFromProtoJson(JSON.parse(await readFile(`${HISTORIES_DIR}${name}`, 'utf8')))));
const kinds = {
  // A pool's life may span runs (continue-as-new): each run counts as a pool history here.
  pool: await load(files.filter((name) => name.includes('.pool'))),
  round: await load(files.filter((name) => name.includes('.round-'))),
};

/** CPU milliseconds (all threads) per replayed history of `kind` with `variant`'s bundle. */
async function cpuPerHistory(variant: Variant, kind: keyof typeof kinds): Promise<number> {
  const histories = kinds[kind];
  async function* copies() {
    for (let i = 0; i < REPLAYS; i++) for (const [n, history] of histories.entries()) yield { workflowId: `${kind}-${i}-${n}`, history };
  }
  const before = process.cpuUsage();
  const options = {
    workflowBundle: bundles.get(variant)!,
    replayName: `replay-cpu-${variant}`,
    dataConverter: poolflowDataConverter(),
    sinks: tracingWorkerOptions().sinks,
  };
  for await (const result of Worker.runReplayHistories(options, copies())) if (result.error) throw result.error;
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1_000 / (REPLAYS * histories.length);
}

const loadBefore = loadavg()[0]!;
const samples = new Map(VARIANTS.map((variant) => [variant, { pool: [] as number[], round: [] as number[] }]));
await cpuPerHistory('none', 'round'); // warm-up: the first replay worker pays for loading the SDK
for (let repeat = 0; repeat < REPEATS; repeat++) {
  // Each repeat starts with a different variant, so that drift in the machine's load spreads over all.
  for (const offset of VARIANTS.keys()) {
    const variant = VARIANTS[(repeat + offset) % VARIANTS.length]!;
    for (const kind of ['pool', 'round'] as const) samples.get(variant)![kind].push(await cpuPerHistory(variant, kind));
  }
}

const fmt = (ms: number) => ms.toFixed(1);
const range = (values: number[]) => `${fmt(Math.min(...values))} / ${fmt(median(values))} / ${fmt(Math.max(...values))}`;
console.log(
  `replayed ${kinds.pool.length} pool and ${kinds.round.length} round histories ${REPLAYS} times per bundle, ${REPEATS} repeats; load ${loadBefore.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
);
console.log('CPU ms per history, min / median / max of the repeats; medians against spans and against none');
for (const kind of ['pool', 'round'] as const) {
  for (const variant of VARIANTS) {
    const mine = median(samples.get(variant)![kind]);
    const against = (other: Variant) => `${((mine / median(samples.get(other)![kind])) * 100).toFixed(0)} %`;
    console.log(`  ${kind.padEnd(5)} ${variant.padEnd(11)} ${range(samples.get(variant)![kind])}   ${against('spans')} of spans, ${against('none')} of none`);
  }
}
