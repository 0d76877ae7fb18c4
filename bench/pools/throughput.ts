// Pools on Temporal against bare Temporal, in the same run on the same dev server: in each of
// BENCH_PHASES alternating phases, the baseline (a workflow running as many no-op activities in the same
// shape) and then fresh rotating pools (BENCH_POOLS × BENCH_MEMBERS, cards that succeed, no grace period)
// run every round to completion; prints each phase's ratio of contributions settled per second to
// baseline activities per second and their median, startPoolsBenchWorkers, and what a contribution costs: history events, CPU
// of the dev server, PostgreSQL, Redis and the worker, database transactions and Stripe requests.
// Run: set -a; . .data/test.env; set +a; npx tsx bench/pools/throughput.ts   (see bench/README.md)
import { workflowIds } from '../../temporal-config/workflow-ids';
import { poolflowDataConverter } from '../../temporal-config/data-converter';
import { roundDueSignal, type poolWorkflow } from '../../workflows/pools/pool';
import { cpuDelta, stackCpuMs, threadsCpuMs, threadsDelta, type StackCpuMs, type ThreadsCpuMs } from '../process-cpu';
import { benchSetting } from '../settings';
import { benchClient, connectBenchStack, median, startPoolsBenchWorkers, rotatingBenchConfig, roundFinished, setUpMembers, startActivePool } from '../support';
import type { baselinePool } from './workflows';

const POOLS = benchSetting('BENCH_POOLS', 20);
/** Members per pool, and so rounds per pool: a rotating pool pays each member once. */
const MEMBERS = benchSetting('BENCH_MEMBERS', 5);
/** Baseline and pools phases, alternating, so that the machine's drift hits both alike. */
const PHASES = benchSetting('BENCH_PHASES', 3);
/** The whole run (set-up, a warm-up, PHASES baseline and pools phases) must finish within this. */
const RUN_MS_MAX = 600_000;

const startedAtMs = Date.now();
const stack = await connectBenchStack('bench');
const { run, env, db, sandbox, stripeKey } = stack;

function checkDeadline(phase: string): void {
  if (Date.now() - startedAtMs > RUN_MS_MAX) throw new Error(`the benchmark ran past ${RUN_MS_MAX} ms (during ${phase}): lower BENCH_POOLS or BENCH_MEMBERS`);
}

const client = benchClient(stack, poolflowDataConverter());

/** Run under `node --cpu-prof`: each pools phase's window is printed in the profiles' clock (microseconds of the monotonic clock). */
const profiling = process.execArgv.some((arg) => arg.startsWith('--cpu-prof'));
const profileClockUs = () => process.hrtime.bigint() / 1_000n;

const { poolsQueue, baselineQueue, shutdown } = await startPoolsBenchWorkers(stack, client, 'pools');

interface Phase {
  activities: number;
  elapsedMs: number;
  /** History events of the phase's workflows per activity (baseline) or per contribution (pools). */
  eventsPerActivity?: number;
}

/** Bare Temporal: POOLS baseline workflows, each MEMBERS no-op activities per round for MEMBERS rounds. */
async function baselinePhase(): Promise<Phase> {
  const started = performance.now();
  const handles = await Promise.all(
    Array.from({ length: POOLS }, (_, i) =>
      client.workflow.start<typeof baselinePool>('baselinePool', {
        taskQueue: baselineQueue,
        workflowId: `bench/${run}/baseline/${performance.now()}/${i}`,
        args: [{ members: MEMBERS, rounds: MEMBERS }],
      }),
    ),
  );
  const done = await Promise.all(handles.map((handle) => handle.result()));
  const elapsedMs = performance.now() - started;
  const events = (await handles[0]!.fetchHistory()).events?.length ?? 0;
  return { activities: done.reduce((sum, n) => sum + n, 0), elapsedMs, eventsPerActivity: events / (MEMBERS * MEMBERS) };
}

const stackPorts = {
  temporal: env.TEMPORAL_ADDRESS!.split(':').at(-1)!,
  postgres: new URL(env.DATABASE_URL!).port,
  redis: new URL(env.REDIS_URL!).port,
};

/** Database transactions committed or rolled back so far (the stack's database is the bench's alone). */
async function databaseTransactions(): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT (xact_commit + xact_rollback)::TEXT AS n FROM pg_stat_database WHERE datname = current_database()');
  return Number(rows[0]!.n);
}

/** The sandbox's last request number for the bench's key: requests after it belong to what follows. */
async function stripeRequestsSoFar(): Promise<number> {
  return (await sandbox.requests({ secretKey: stripeKey })).length;
}

interface Costs {
  cpu: StackCpuMs;
  /** The worker's (this process's) CPU by thread. */
  threads: ThreadsCpuMs;
  transactions: number;
  stripeRequests: number;
}

async function costsNow(): Promise<Costs> {
  // Statistics reach pg_stat_database when a backend reports them; a fresh snapshot is asked for.
  await db.query('SELECT pg_stat_clear_snapshot()');
  return { cpu: stackCpuMs(stackPorts), threads: threadsCpuMs(), transactions: await databaseTransactions(), stripeRequests: await stripeRequestsSoFar() };
}

function costsBetween(after: Costs, before: Costs): Costs {
  return {
    cpu: cpuDelta(after.cpu, before.cpu),
    threads: threadsDelta(after.threads, before.threads),
    transactions: after.transactions - before.transactions,
    stripeRequests: after.stripeRequests - before.stripeRequests,
  };
}

function addCosts(a: Costs, b: Costs): Costs {
  const cpu = {
    temporal: a.cpu.temporal + b.cpu.temporal,
    postgres: a.cpu.postgres + b.cpu.postgres,
    redis: a.cpu.redis + b.cpu.redis,
    worker: a.cpu.worker + b.cpu.worker,
  };
  const threads = { main: a.threads.main + b.threads.main, core: a.threads.core + b.threads.core, other: a.threads.other + b.threads.other };
  return { cpu, threads, transactions: a.transactions + b.transactions, stripeRequests: a.stripeRequests + b.stripeRequests };
}

const noCosts: Costs = { cpu: { temporal: 0, postgres: 0, redis: 0, worker: 0 }, threads: { main: 0, core: 0, other: 0 }, transactions: 0, stripeRequests: 0 };
const cpuTotal = (cpu: StackCpuMs) => cpu.temporal + cpu.postgres + cpu.redis + cpu.worker;

interface PoolUnderTest {
  poolId: string;
  handle: Awaited<ReturnType<typeof client.workflow.start<typeof poolWorkflow>>>;
}

/** Members with cards and onboarded payout accounts, and a pool per MEMBERS of them, joined and active. */
async function setUpPools(phase: number): Promise<PoolUnderTest[]> {
  const memberIds = await setUpMembers(
    stack,
    Array.from({ length: POOLS * MEMBERS }, (_, i) => `bench-${run}-${phase}-${i}`),
  );
  const config = rotatingBenchConfig('Bench pool', MEMBERS);
  return Promise.all(
    Array.from({ length: POOLS }, async (_, p) => {
      const poolId = `bench-${run}-${phase}-p${p}`;
      const handle = await startActivePool(client, stack, poolsQueue, poolId, config, memberIds.slice(p * MEMBERS, (p + 1) * MEMBERS));
      return { poolId, handle };
    }),
  );
}

/** Every round of every pool, fired as the schedule would, the next as soon as one finishes. */
async function poolsPhase(pools: PoolUnderTest[]): Promise<Phase> {
  const started = performance.now();
  await Promise.all(
    pools.map(async ({ poolId, handle }) => {
      for (let round = 1; round <= MEMBERS; round++) {
        await handle.signal(roundDueSignal);
        await roundFinished(client, poolId, round);
      }
      const final = await handle.result();
      if (final.status !== 'completed' || final.roundsCompleted !== MEMBERS)
        throw new Error(`pool ${poolId} ended ${final.status} after ${final.roundsCompleted} rounds`);
    }),
  );
  return { activities: POOLS * MEMBERS * MEMBERS, elapsedMs: performance.now() - started };
}

try {
  // Set-up, not measured: every phase's members and pools, joined and active, before any phase runs.
  const poolsByPhase: PoolUnderTest[][] = [];
  for (let phase = 0; phase < PHASES; phase++) poolsByPhase.push(await setUpPools(phase));
  checkDeadline('set-up');

  // The first baseline warms the baseline worker (bundle loaded into its sandbox, connections made), as
  // set-up warmed the pools worker; it is not counted.
  await baselinePhase();

  const perSecond = (phase: Phase) => (phase.activities * 1_000) / phase.elapsedMs;
  const rows: { baseline: Phase; pools: Phase; ratio: number }[] = [];
  let baselineCosts = noCosts;
  let poolsCosts = noCosts;
  for (let phase = 0; phase < PHASES; phase++) {
    const beforeBaseline = await costsNow();
    const baseline = await baselinePhase();
    const beforePools = await costsNow();
    const profileFromUs = profileClockUs();
    const pools = await poolsPhase(poolsByPhase[phase]!);
    if (profiling) console.log(`  phase ${phase + 1}'s pools in the CPU profiles: --window ${profileFromUs}-${profileClockUs()} (bench/cpu-profile.ts)`);
    const afterPools = await costsNow();
    baselineCosts = addCosts(baselineCosts, costsBetween(beforePools, beforeBaseline));
    poolsCosts = addCosts(poolsCosts, costsBetween(afterPools, beforePools));
    rows.push({ baseline, pools, ratio: perSecond(pools) / perSecond(baseline) });
    console.log(
      `  phase ${phase + 1}: baseline ${perSecond(baseline).toFixed(0)} activities/s, pools ${perSecond(pools).toFixed(1)} contributions/s, ${(rows.at(-1)!.ratio * 100).toFixed(1)}%`,
    );
    // Past the bound, the phases measured so far are reported rather than thrown away.
    if (Date.now() - startedAtMs > RUN_MS_MAX && phase + 1 < PHASES) {
      console.log(`  stopping after ${phase + 1} of ${PHASES} phases: the run passed ${RUN_MS_MAX} ms`);
      break;
    }
  }

  // History events: each pool workflow's whole life and its rounds, per contribution (member per round).
  let poolEvents = 0;
  let roundEvents = 0;
  const roundDurationsMs: number[] = [];
  for (const { poolId, handle } of poolsByPhase.slice(0, rows.length).flat()) {
    poolEvents += (await handle.fetchHistory()).events?.length ?? 0;
    for (let round = 1; round <= MEMBERS; round++) {
      const events = (await client.workflow.getHandle(workflowIds.round(poolId, round)).fetchHistory()).events ?? [];
      roundEvents += events.length;
      const timeMs = (i: number) => Number(events.at(i)?.eventTime?.seconds ?? 0) * 1_000 + (events.at(i)?.eventTime?.nanos ?? 0) / 1e6;
      roundDurationsMs.push(timeMs(-1) - timeMs(0));
    }
  }
  const contributions = POOLS * MEMBERS * MEMBERS * rows.length;
  const baselineActivitiesRun = POOLS * MEMBERS * MEMBERS * rows.length;
  roundDurationsMs.sort((a, b) => a - b);
  const percentile = (q: number) => roundDurationsMs[Math.min(roundDurationsMs.length - 1, Math.floor(q * roundDurationsMs.length))]!;
  const perUnit = (cpu: StackCpuMs, n: number) =>
    `${(cpuTotal(cpu) / n).toFixed(1)} ms (dev server ${(cpu.temporal / n).toFixed(1)}, PostgreSQL ${(cpu.postgres / n).toFixed(1)}, Redis ${(cpu.redis / n).toFixed(1)}, worker ${(cpu.worker / n).toFixed(1)})`;

  console.log(
    `pools benchmark: ${rows.length} phases of ${POOLS} pools × ${MEMBERS} members × ${MEMBERS} rounds = ${POOLS * MEMBERS * MEMBERS} contributions (dev server ${env.TEMPORAL_ADDRESS})`,
  );
  console.log('  phase  baseline activities/s  pools contributions/s  pools/baseline');
  rows.forEach((row, i) =>
    console.log(
      `  ${String(i + 1).padStart(5)}  ${perSecond(row.baseline).toFixed(0).padStart(21)}  ${perSecond(row.pools).toFixed(1).padStart(21)}  ${`${(row.ratio * 100).toFixed(1)}%`.padStart(14)}`,
    ),
  );
  console.log(
    `  median pools/baseline: ${(median(rows.map((r) => r.ratio)) * 100).toFixed(1)}%; contributions settled/s median ${median(rows.map((r) => perSecond(r.pools))).toFixed(1)}`,
  );
  console.log(`  round duration p50 / p99     ${percentile(0.5).toFixed(0)} / ${percentile(0.99).toFixed(0)} ms`);
  console.log(
    `  history events per contribution: ${((poolEvents + roundEvents) / contributions).toFixed(1)} (pool ${(poolEvents / contributions).toFixed(1)}, rounds ${(roundEvents / contributions).toFixed(1)}); baseline per activity: ${rows[0]!.baseline.eventsPerActivity?.toFixed(1)}`,
  );
  const byThread = (threads: ThreadsCpuMs, n: number) =>
    `worker by thread: main ${(threads.main / n).toFixed(1)}, Temporal core ${(threads.core / n).toFixed(1)}, other ${(threads.other / n).toFixed(1)} (workflow sandbox, V8 GC and compiler helpers)`;
  console.log(`  CPU per contribution: ${perUnit(poolsCosts.cpu, contributions)}`);
  console.log(`    ${byThread(poolsCosts.threads, contributions)}`);
  console.log(`  CPU per baseline activity: ${perUnit(baselineCosts.cpu, baselineActivitiesRun)}`);
  console.log(`    ${byThread(baselineCosts.threads, baselineActivitiesRun)}`);
  console.log(
    `  database transactions per contribution: ${(poolsCosts.transactions / contributions).toFixed(1)}; Stripe requests per contribution: ${(poolsCosts.stripeRequests / contributions).toFixed(2)}`,
  );
  console.log(`  whole run ${((Date.now() - startedAtMs) / 1_000).toFixed(1)} s`);
} finally {
  await shutdown();
  await stack.close();
}
