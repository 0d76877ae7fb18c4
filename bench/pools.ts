// Pools on Temporal against bare Temporal, in the same run on the same dev server: many rotating pools
// (BENCH_POOLS × BENCH_MEMBERS, cards that succeed, no grace period) run every round to completion, and
// the contributions settled per second are compared with a baseline workflow running as many no-op
// activities in the same shape; also prints history events per member per round.
// Run: set -a; . .data/test.env; set +a; npx tsx bench/pools.ts   (see bench/README.md)
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { createRedis } from '../cache/redis';
import { agreementTerms, recordAgreement } from '../db/consent';
import { createDbPool } from '../db/pool';
import { poolConfigSchema } from '../domain/pool-config';
import { installTemporalRuntime } from '../observability/temporal-logger';
import { createMemberPayments } from '../payments/members';
import { createStripe } from '../payments/stripe-client';
import { createSandboxClient } from '../sandbox/client';
import { workflowIds } from '../temporal-config/workflow-ids';
import { loadTestStackEnv } from '../test/support/stack-env';
import { createPoolsWorker, WORKFLOW_INTERCEPTORS_PATH, WORKFLOWS_PATH } from '../workers/pools-worker';
import { activatePoolUpdate, joinPoolUpdate, poolWorkflow, roundDueSignal } from '../workflows/pool';
import type { BaselineActivities, baselinePool } from './workflows';

const POOLS = Number(process.env.BENCH_POOLS ?? 20);
/** Members per pool, and so rounds per pool: a rotating pool pays each member once. */
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 5);
/** The whole run (set-up, baseline twice, pools) must finish within this. */
const RUN_MS_MAX = 115_000;
/** Members are set up (customer, card, payout account) this many at a time. */
const SETUP_CONCURRENCY_MAX = 10;
const POLL_MS = 25;

loadTestStackEnv();
installTemporalRuntime('WARN');
const startedAtMs = Date.now();
const run = randomUUID().slice(0, 8);
const env = process.env as Record<string, string>;
const quiet = { trace: () => {}, debug: () => {}, info: () => {}, log: () => {}, warn: () => {}, error: console.error };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function checkDeadline(phase: string): void {
  if (Date.now() - startedAtMs > RUN_MS_MAX) throw new Error(`the benchmark ran past ${RUN_MS_MAX} ms (during ${phase}): lower BENCH_POOLS or BENCH_MEMBERS`);
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function inBatches<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += limit) results.push(...(await Promise.all(items.slice(start, start + limit).map(task))));
  return results;
}

const db = createDbPool(env.DATABASE_URL!, { applicationName: 'poolflow-bench', connectionsMax: 20 });
const redis = createRedis(env.REDIS_URL!, `bench-${run}:`);
// A secret key of the benchmark's own: its objects and records in the stack's sandbox stay apart.
const stripe = createStripe({ STRIPE_SECRET_KEY: `sk_test_bench${run}`, STRIPE_API_URL: env.STRIPE_API_URL!, STRIPE_WEBHOOK_SECRET: env.STRIPE_WEBHOOK_SECRET ?? 'whsec_bench' });
const sandbox = createSandboxClient(env.STRIPE_API_URL!);
const members = createMemberPayments({ stripe, db });
const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
const client = new Client({ connection, namespace: 'default' });
const workerConnection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS! });

const poolsQueue = `bench-pools-${run}`;
const baselineQueue = `bench-baseline-${run}`;
const [poolsBundle, baselineBundle] = await Promise.all([
  bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH], logger: quiet }),
  bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)), logger: quiet }),
]);
const poolsWorker = await createPoolsWorker({ connection: workerConnection, namespace: 'default', client, db, redis, stripe, taskQueue: poolsQueue, workflowBundle: poolsBundle });
const baselineActivities: BaselineActivities = { noop: async () => {} };
const baselineWorker = await Worker.create({
  connection: workerConnection,
  namespace: 'default',
  taskQueue: baselineQueue,
  workflowBundle: baselineBundle,
  activities: baselineActivities,
});
const running = Promise.all([poolsWorker.run(), baselineWorker.run()]);

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
      client.workflow.start<typeof baselinePool>('baselinePool', { taskQueue: baselineQueue, workflowId: `bench/${run}/baseline/${performance.now()}/${i}`, args: [{ members: MEMBERS, rounds: MEMBERS }] }),
    ),
  );
  const done = await Promise.all(handles.map((handle) => handle.result()));
  const elapsedMs = performance.now() - started;
  const events = (await handles[0]!.fetchHistory()).events?.length ?? 0;
  return { activities: done.reduce((sum, n) => sum + n, 0), elapsedMs, eventsPerActivity: events / (MEMBERS * MEMBERS) };
}

/** Resolves once round `round` of the pool has finished (its workflow may not exist yet). */
async function roundFinished(poolId: string, round: number): Promise<void> {
  const handle = client.workflow.getHandle(workflowIds.round(poolId, round));
  for (;;) {
    try {
      await handle.result();
      return;
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      await sleep(POLL_MS);
    }
  }
}

try {
  // Set-up, not measured: members with cards and onboarded payout accounts, pools joined and active.
  const memberIds = await inBatches(
    Array.from({ length: POOLS * MEMBERS }, (_, i) => `bench-${run}-${i}`),
    SETUP_CONCURRENCY_MAX,
    async (memberId) => {
      await members.registerMember({ memberId, displayName: 'Bench Member', email: `${memberId}@example.com` });
      await members.attachPaymentMethod(memberId, 'pm_card_visa');
      await sandbox.onboardAccount((await members.ensureConnectAccount(memberId)).accountId);
      return memberId;
    },
  );
  const config = poolConfigSchema.parse({
    kind: 'rotating',
    name: 'Bench pool',
    currency: 'usd',
    cadence: { type: 'monthly', dayOfMonth: 28, hourUtc: 3 },
    membersMin: MEMBERS,
    membersMax: MEMBERS,
    contributionMinor: 1_000,
    gracePeriodHours: 0,
  });
  const poolIds = Array.from({ length: POOLS }, (_, i) => `bench-${run}-p${i}`);
  const pools = await Promise.all(
    poolIds.map(async (poolId, p) => {
      const handle = await client.workflow.start(poolWorkflow, {
        taskQueue: poolsQueue,
        workflowId: workflowIds.pool(poolId),
        args: [{ poolId, managerId: 'bench', config, seed: run }],
      });
      for (const memberId of memberIds.slice(p * MEMBERS, (p + 1) * MEMBERS)) {
        // What accepting the invitation through the API records; the charge activity requires it.
        await recordAgreement(db, { poolId, memberId, terms: agreementTerms(config, null), requestId: `bench-${run}` });
        await handle.executeUpdate(joinPoolUpdate, { args: [{ memberId }] });
      }
      await handle.executeUpdate(activatePoolUpdate, { args: [] });
      return { poolId, handle };
    }),
  );
  checkDeadline('set-up');

  // The first baseline warms the baseline worker (bundle loaded into its sandbox, connections made), as
  // set-up warmed the pools worker; it is not counted.
  await baselinePhase();
  const baselineBefore = await baselinePhase();
  checkDeadline('the first baseline');

  // Pools: every round of every pool, fired as the schedule would, the next as soon as one finishes.
  const poolsStarted = performance.now();
  await Promise.all(
    pools.map(async ({ poolId, handle }) => {
      for (let round = 1; round <= MEMBERS; round++) {
        await handle.signal(roundDueSignal);
        await roundFinished(poolId, round);
      }
      const final = await handle.result();
      if (final.status !== 'completed' || final.roundsCompleted !== MEMBERS) throw new Error(`pool ${poolId} ended ${final.status} after ${final.roundsCompleted} rounds`);
    }),
  );
  const poolsPhase: Phase = { activities: POOLS * MEMBERS * MEMBERS, elapsedMs: performance.now() - poolsStarted };
  checkDeadline('the pools');

  const baselineAfter = await baselinePhase();

  // History events: the pool workflow's whole life and its rounds, per member per round.
  let poolEvents = 0;
  let roundEvents = 0;
  const roundDurationsMs: number[] = [];
  for (const { poolId, handle } of pools) {
    poolEvents += (await handle.fetchHistory()).events?.length ?? 0;
    for (let round = 1; round <= MEMBERS; round++) {
      const events = (await client.workflow.getHandle(workflowIds.round(poolId, round)).fetchHistory()).events ?? [];
      roundEvents += events.length;
      const timeMs = (i: number) => Number(events.at(i)?.eventTime?.seconds ?? 0) * 1_000 + (events.at(i)?.eventTime?.nanos ?? 0) / 1e6;
      roundDurationsMs.push(timeMs(-1) - timeMs(0));
    }
  }
  const memberRounds = POOLS * MEMBERS * MEMBERS;

  const perSecond = (phase: Phase) => (phase.activities * 1_000) / phase.elapsedMs;
  const baselineRate = (perSecond(baselineBefore) + perSecond(baselineAfter)) / 2;
  const poolsRate = perSecond(poolsPhase);
  roundDurationsMs.sort((a, b) => a - b);
  const percentile = (q: number) => roundDurationsMs[Math.min(roundDurationsMs.length - 1, Math.floor(q * roundDurationsMs.length))]!;

  console.log(`pools benchmark: ${POOLS} pools × ${MEMBERS} members × ${MEMBERS} rounds = ${memberRounds} contributions (dev server ${env.TEMPORAL_ADDRESS})`);
  console.log(`  baseline (no-op activities)  ${perSecond(baselineBefore).toFixed(0)} and ${perSecond(baselineAfter).toFixed(0)} activities/s  (${baselineBefore.elapsedMs.toFixed(0)} + ${baselineAfter.elapsedMs.toFixed(0)} ms)`);
  console.log(`  pools                        ${poolsRate.toFixed(1)} contributions settled/s  (${poolsPhase.elapsedMs.toFixed(0)} ms)`);
  console.log(`  pools / baseline             ${((100 * poolsRate) / baselineRate).toFixed(1)}%`);
  console.log(`  round duration p50 / p99     ${percentile(0.5).toFixed(0)} / ${percentile(0.99).toFixed(0)} ms`);
  console.log(
    `  history events per member per round: ${((poolEvents + roundEvents) / memberRounds).toFixed(1)} (pool ${(poolEvents / memberRounds).toFixed(1)}, rounds ${(roundEvents / memberRounds).toFixed(1)})`,
  );
  console.log(`  baseline history events per activity: ${baselineBefore.eventsPerActivity?.toFixed(1)}`);
  console.log(`  whole run ${((Date.now() - startedAtMs) / 1_000).toFixed(1)} s`);
} finally {
  poolsWorker.shutdown();
  baselineWorker.shutdown();
  await running;
  await workerConnection.close();
  await connection.close();
  await db.end();
  redis.disconnect();
}
