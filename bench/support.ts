// Set-up the pools benchmarks share (bench/pools/throughput.ts, bench/pools/round.ts, bench/codec.ts): the test
// stack's clients under a Stripe key of the run's own, a pools worker beside a baseline worker, members
// with cards and onboarded payout accounts, rotating pools created, joined with recorded agreements and
// activated, and waiting for a round to end.
import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { createRedis } from '../cache/redis';
import { agreementTerms, recordAgreement } from '../db/consent';
import { createDbPool } from '../db/pool';
import { type PoolConfig, poolConfigSchema } from '../domain/pools/pool-config';
import { installTemporalRuntime } from '../observability/temporal-logger';
import { createMemberPayments } from '../payments/members';
import { createStripe } from '../payments/stripe-client';
import { createSandboxClient } from '../tools/stripe-sandbox/client';
import { workflowIds } from '../temporal-config/workflow-ids';
import { loadTestStackEnv } from '../test/support/stack-env';
import { executePoolUpdate } from '../api/pools/pool-commands';
import { activatePoolUpdate, joinPoolUpdate, poolWorkflow } from '../workflows/pools/pool';
import { FAILURE_CONVERTER_PATH, poolflowDataConverter } from '../temporal-config/data-converter';
import { createPoolsWorker, workflowInterceptorModules, WORKFLOWS_PATH } from '../workers/pools/worker';
import type { BaselineActivities } from './pools/workflows';

/** Members are set up (customer, card, payout account) this many at a time. */
export const SETUP_CONCURRENCY_MAX = 10;
/**
 * A round's workflow is looked for until it exists, first after ROUND_POLL_FIRST_MS, then at doubling
 * intervals up to ROUND_POLL_MAX_MS. Each miss is a failed gRPC call whose error the client builds with a
 * source-mapped stack: at a fixed 25 ms the misses were about a twentieth of the bench process's CPU,
 * load generation counted as the worker's. A round takes seconds, so it is found long before it ends.
 */
const ROUND_POLL_FIRST_MS = 25;
const ROUND_POLL_MAX_MS = 200;

/** A logger for bundling that keeps the benchmark's output to its figures. */
export const quietLogger = { trace: () => {}, debug: () => {}, info: () => {}, log: () => {}, warn: () => {}, error: console.error };
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Runs `task` over `items`, at most `limit` at a time. */
export async function inBatches<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += limit) results.push(...(await Promise.all(items.slice(start, start + limit).map(task))));
  return results;
}

export interface BenchStack {
  /** A short random ID of this run: every member, pool and task queue of the run carries it. */
  run: string;
  env: Record<string, string>;
  db: ReturnType<typeof createDbPool>;
  redis: ReturnType<typeof createRedis>;
  stripe: ReturnType<typeof createStripe>;
  /** The Stripe secret key of this run alone: its objects and the sandbox's record of its requests stay apart. */
  stripeKey: string;
  sandbox: ReturnType<typeof createSandboxClient>;
  members: ReturnType<typeof createMemberPayments>;
  connection: Connection;
  workerConnection: NativeConnection;
  close(): Promise<void>;
}

/** Connects to the test stack (`npm run stack -- test`, whose .data/test.env is read). */
export async function connectBenchStack(name: string): Promise<BenchStack> {
  loadTestStackEnv();
  installTemporalRuntime('WARN');
  const run = randomUUID().slice(0, 8);
  const env = process.env as Record<string, string>;
  const db = createDbPool(env.DATABASE_URL!, { applicationName: `poolflow-bench-${name}`, connectionsMax: 20 });
  const redis = createRedis(env.REDIS_URL!, `bench-${run}:`);
  const stripeKey = `sk_test_${name}${run}`;
  const stripe = createStripe({
    STRIPE_SECRET_KEY: stripeKey,
    STRIPE_API_URL: env.STRIPE_API_URL!,
    STRIPE_WEBHOOK_SECRET: env.STRIPE_WEBHOOK_SECRET ?? 'whsec_bench',
  });
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
  const workerConnection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS! });
  return {
    run,
    env,
    db,
    redis,
    stripe,
    stripeKey,
    sandbox: createSandboxClient(env.STRIPE_API_URL!),
    members: createMemberPayments({ stripe, db }),
    connection,
    workerConnection,
    async close() {
      await workerConnection.close();
      await connection.close();
      await db.end();
      redis.disconnect();
    },
  };
}

export function benchClient(stack: BenchStack, dataConverter: DataConverter): Client {
  return new Client({ connection: stack.connection, namespace: 'default', dataConverter });
}

/** Members with a card that succeeds and an onboarded payout account, `SETUP_CONCURRENCY_MAX` at a time. */
export async function setUpMembers(stack: BenchStack, memberIds: string[]): Promise<string[]> {
  return inBatches(memberIds, SETUP_CONCURRENCY_MAX, async (memberId) => {
    await stack.members.registerMember({ memberId, displayName: 'Bench Member', email: `${memberId}@example.com` });
    await stack.members.attachPaymentMethod(memberId, 'pm_card_visa');
    await stack.sandbox.onboardAccount((await stack.members.ensureConnectAccount(memberId)).accountId);
    return memberId;
  });
}

/** A rotating pool of `members` members, every member paid once, no grace period. */
export function rotatingBenchConfig(name: string, members: number): PoolConfig {
  return poolConfigSchema.parse({
    kind: 'rotating',
    name,
    currency: 'usd',
    cadence: { type: 'monthly', dayOfMonth: 28, hourUtc: 3 },
    membersMin: members,
    membersMax: members,
    contributionMinor: 1_000,
    gracePeriodHours: 0,
  });
}

/** What accepting the invitation through the API records: the charge activity refuses without it. */
export async function recordBenchAgreements(stack: BenchStack, poolId: string, config: PoolConfig, memberIds: string[]): Promise<void> {
  await inBatches(memberIds, SETUP_CONCURRENCY_MAX, (memberId) =>
    recordAgreement(stack.db, { poolId, memberId, terms: agreementTerms(config, null), requestId: `bench-${stack.run}` }),
  );
}

/** A pool workflow started, joined by `memberIds` (each with a recorded agreement) and activated. */
export async function startActivePool(client: Client, stack: BenchStack, taskQueue: string, poolId: string, config: PoolConfig, memberIds: string[]) {
  const handle = await client.workflow.start(poolWorkflow, {
    taskQueue,
    workflowId: workflowIds.pool(poolId),
    args: [{ poolId, managerId: 'bench', config, seed: stack.run }],
  });
  await recordBenchAgreements(stack, poolId, config, memberIds);
  // Sent as every client sends pool commands: again while the pool hands over to its next run.
  for (const memberId of memberIds) await executePoolUpdate(handle, joinPoolUpdate, { args: [{ memberId }] });
  await executePoolUpdate(handle, activatePoolUpdate, { args: [] });
  return handle;
}

/** Resolves once round `round` of the pool has finished (its workflow may not exist yet). */
export async function roundFinished(client: Client, poolId: string, round: number): Promise<void> {
  const handle = client.workflow.getHandle(workflowIds.round(poolId, round));
  for (let pollMs = ROUND_POLL_FIRST_MS; ; pollMs = Math.min(pollMs * 2, ROUND_POLL_MAX_MS)) {
    try {
      await handle.result();
      return;
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      await sleep(pollMs);
    }
  }
}

export interface PoolsBenchWorkers {
  /** The pools worker's task queue (the production wiring, `createPoolsWorker`). */
  poolsQueue: string;
  /** The bench-only workflows' task queue (bench/pools/workflows.ts: the no-op baselines). */
  baselineQueue: string;
  /** Stops both workers and waits until they have drained. */
  shutdown(): Promise<void>;
}

/** A pools worker and a baseline worker (its activities do nothing) on task queues of the run's own, running. */
export async function startPoolsBenchWorkers(stack: BenchStack, client: Client, name: string): Promise<PoolsBenchWorkers> {
  const poolsQueue = `bench-${name}-${stack.run}`;
  const baselineQueue = `bench-${name}-baseline-${stack.run}`;
  const bundle = (workflowsPath: string, interceptorModules?: string[]) =>
    bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: interceptorModules, failureConverterPath: FAILURE_CONVERTER_PATH, logger: quietLogger });
  const [poolsBundle, baselineBundle] = await Promise.all([
    bundle(WORKFLOWS_PATH, workflowInterceptorModules()),
    bundle(fileURLToPath(new URL('./pools/workflows.ts', import.meta.url))),
  ]);
  const poolsWorker = await createPoolsWorker({
    connection: stack.workerConnection,
    namespace: 'default',
    client,
    db: stack.db,
    redis: stack.redis,
    stripe: stack.stripe,
    taskQueue: poolsQueue,
    workflowBundle: poolsBundle,
  });
  const baselineActivities: BaselineActivities = { noop: async () => {} };
  const baselineWorker = await Worker.create({
    connection: stack.workerConnection,
    namespace: 'default',
    taskQueue: baselineQueue,
    workflowBundle: baselineBundle,
    activities: baselineActivities,
    // The client encrypts what it sends, so the baseline's worker must decode it as the pools worker does.
    dataConverter: poolflowDataConverter(),
  });
  const running = Promise.all([poolsWorker.run(), baselineWorker.run()]);
  return {
    poolsQueue,
    baselineQueue,
    async shutdown() {
      poolsWorker.shutdown();
      baselineWorker.shutdown();
      await running;
    },
  };
}
