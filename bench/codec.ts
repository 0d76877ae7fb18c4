// What payload encryption costs: pool rounds run to completion on the same dev server in the same run,
// alternately with the shared data converter (AES-256-GCM codec) and with the same converter without
// the codec, each on its own pools worker; prints contributions settled per second for both and the
// ratio of each pair, with min / median / max over BENCH_REPEATS pairs (default 3). On a loaded machine
// the pairs' ratios scatter widely, so it also times the codec itself in the same phases: the share of
// the process's (single) event loop spent encrypting and decrypting, which the load does not distort.
// Run: set -a; . .data/test.env; set +a; npx tsx bench/codec.ts   (see bench/README.md)
import { loadavg } from 'node:os';
import type { Client } from '@temporalio/client';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH, keyringFromEnv, poolflowDataConverter } from '../temporal-config/data-converter';
import { AesGcmPayloadCodec } from '../temporal-config/payload-codec';
import { createPoolsWorker, workflowInterceptorModules, WORKFLOWS_PATH } from '../workers/pools/worker';
import { roundDueSignal } from '../workflows/pools/pool';
import { benchClient, connectBenchStack, quietLogger, rotatingBenchConfig, roundFinished, setUpMembers, startActivePool } from './support';

const POOLS = Number(process.env.BENCH_POOLS ?? 8);
/** Members per pool, and so rounds per pool. */
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 4);
/** Pairs of phases (plain, then encrypted, alternating which goes first). */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** The whole run must finish within this. */
const RUN_MS_MAX = 480_000;

const startedAtMs = Date.now();
const stack = await connectBenchStack('codec');
const { run, env } = stack;
const bundle = await bundleWorkflowCode({
  workflowsPath: WORKFLOWS_PATH,
  workflowInterceptorModules: workflowInterceptorModules(),
  failureConverterPath: FAILURE_CONVERTER_PATH,
  logger: quietLogger,
});

interface Variant {
  name: 'plain' | 'encrypted';
  client: Client;
  taskQueue: string;
  worker: Worker;
}

async function variant(name: Variant['name'], dataConverter: DataConverter): Promise<Variant> {
  const client = benchClient(stack, dataConverter);
  const taskQueue = `bench-codec-${name}-${run}`;
  const { workerConnection: connection, db, redis, stripe } = stack;
  const worker = await createPoolsWorker({ connection, namespace: 'default', client, db, redis, stripe, taskQueue, workflowBundle: bundle, dataConverter });
  return { name, client, taskQueue, worker };
}

/** Time spent in the codec by this process's clients and the encrypted worker, and payloads through it. */
const codecTime = { ns: 0n, payloads: 0 };
function timedCodec(codec: PayloadCodec): PayloadCodec {
  const timed = (step: (payloads: Payload[]) => Promise<Payload[]>) => async (payloads: Payload[]) => {
    const started = process.hrtime.bigint();
    const result = await step(payloads);
    codecTime.ns += process.hrtime.bigint() - started;
    codecTime.payloads += payloads.length;
    return result;
  };
  return { encode: timed((p) => codec.encode(p)), decode: timed((p) => codec.decode(p)) };
}
// The shared converter, with its codec timed: the same keys, cipher and failure converter.
const encrypted: DataConverter = { ...poolflowDataConverter(), payloadCodecs: [timedCodec(new AesGcmPayloadCodec(keyringFromEnv()))] };
const variants = [await variant('plain', poolflowDataConverter({ encryption: false })), await variant('encrypted', encrypted)];
const running = Promise.all(variants.map((v) => v.worker.run()));

const config = rotatingBenchConfig('Codec bench pool', MEMBERS);

/** POOLS pools set up (not measured), then every round of every pool; returns contributions settled per second. */
async function phase(v: Variant, memberIds: string[], label: string): Promise<{ rate: number; elapsedMs: number }> {
  const pools = await Promise.all(
    Array.from({ length: POOLS }, async (_, p) => {
      const poolId = `codec-${run}-${label}-${p}`;
      const handle = await startActivePool(v.client, stack, v.taskQueue, poolId, config, memberIds.slice(p * MEMBERS, (p + 1) * MEMBERS));
      return { poolId, handle };
    }),
  );
  const started = performance.now();
  await Promise.all(
    pools.map(async ({ poolId, handle }) => {
      for (let round = 1; round <= MEMBERS; round++) {
        await handle.signal(roundDueSignal);
        await roundFinished(v.client, poolId, round);
      }
      const final = await handle.result();
      if (final.status !== 'completed') throw new Error(`pool ${poolId} ended ${final.status}`);
    }),
  );
  const elapsedMs = performance.now() - started;
  if (Date.now() - startedAtMs > RUN_MS_MAX) throw new Error(`the benchmark ran past ${RUN_MS_MAX} ms: lower BENCH_POOLS, BENCH_MEMBERS or BENCH_REPEATS`);
  return { rate: (POOLS * MEMBERS * MEMBERS * 1_000) / elapsedMs, elapsedMs };
}

try {
  // Members are set up once and join a fresh pool in every phase (a member may belong to many pools).
  const memberIds = await setUpMembers(
    stack,
    Array.from({ length: POOLS * MEMBERS }, (_, i) => `codec-${run}-m${i}`),
  );
  // A warm-up phase per variant (bundles loaded into both workers' sandboxes), not counted.
  for (const v of variants) await phase(v, memberIds, `warm-${v.name}`);

  const ratios: number[] = [];
  const codecShares: number[] = [];
  let payloadsPerContribution = 0;
  let codecMsPerContribution = 0;
  for (let i = 0; i < REPEATS; i++) {
    // Alternating which runs first cancels out drift in the machine's load within a pair.
    const order = i % 2 === 0 ? variants : [...variants].reverse();
    const rates: Record<string, number> = {};
    for (const v of order) {
      const before = { ...codecTime };
      const measured = await phase(v, memberIds, `${i}-${v.name}`);
      rates[v.name] = measured.rate;
      if (v.name === 'encrypted') {
        const codecMs = Number(codecTime.ns - before.ns) / 1e6;
        codecShares.push(codecMs / measured.elapsedMs);
        payloadsPerContribution = (codecTime.payloads - before.payloads) / (POOLS * MEMBERS * MEMBERS);
        codecMsPerContribution = codecMs / (POOLS * MEMBERS * MEMBERS);
      }
    }
    ratios.push(rates.encrypted! / rates.plain!);
    console.log(
      `  pair ${i + 1}: plain ${rates.plain!.toFixed(1)}/s, encrypted ${rates.encrypted!.toFixed(1)}/s, encrypted/plain ${(100 * ratios.at(-1)!).toFixed(1)}%`,
    );
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`codec benchmark: ${POOLS} pools × ${MEMBERS} members × ${MEMBERS} rounds per phase (dev server ${env.TEMPORAL_ADDRESS})`);
  console.log(
    `  encrypted/plain throughput over ${REPEATS} pairs: min ${pct(sorted[0]!)}, median ${pct(sorted[Math.floor(sorted.length / 2)]!)}, max ${pct(sorted.at(-1)!)}`,
  );
  const shares = [...codecShares].sort((a, b) => a - b);
  console.log(
    `  codec time as a share of the encrypted phases' wall time: min ${pct(shares[0]!)}, median ${pct(shares[Math.floor(shares.length / 2)]!)}, max ${pct(shares.at(-1)!)}`,
  );
  console.log(`  codec work per contribution: ${payloadsPerContribution.toFixed(1)} payloads, ${codecMsPerContribution.toFixed(3)} ms`);
  console.log(
    `  load average (1/5/15 min) at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}; whole run ${((Date.now() - startedAtMs) / 1_000).toFixed(1)} s`,
  );
} finally {
  for (const v of variants) v.worker.shutdown();
  await running;
  await stack.close();
}
