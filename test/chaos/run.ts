// The chaos suite: a seeded fault matrix against a private stack — a pools worker and the API in
// processes of their own, PostgreSQL, Redis and Temporal behind proxies that can cut them off, and a
// Stripe sandbox of its own — driving rotating pools through the API, then checking from outside that
// no money moved twice or went missing and that no pool was left stuck.
//
// Faults run in waves: each wave drives `poolsPerFault` pools through all their rounds while one kind of
// fault is injected at seeded moments, then checks the invariants for those pools. The same seed gives
// the same pools, fault moments and webhook orders, so a failing run can be replayed. The checks end by
// replaying every workflow a pool ran against the current code (a nondeterminism would strand a pool
// the next time a worker restarts).
import { poolflowDataConverter } from '../../temporal-config/data-converter';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { Role } from '../../api/auth';
import { createReconciliationActivities } from '../../activities/core/reconciliation';
import { checkLedgerInvariants } from '../../db/ledger/invariants';
import type { Db } from '../../db/pool';
import type { PoolView } from '../../domain/pools/pool-view';
import { parseMovementMetadata } from '../../payments/metadata';
import { startPaymentsTestKit, TEST_WEBHOOK_SECRET, type PaymentsTestKit } from '../support/payments-kit';
import { createWebhookRouter } from '../../payments/webhook-router';
import { createLogger } from '../../observability/log';
import { tracingWorkerOptions } from '../../observability/temporal-tracing';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { poolStateQuery } from '../../workflows/pools/pool';
import { roundProgressQuery } from '../../workflows/pools/round';
import { TEST_AUTH, tokenFor } from '../support/api';
import { testConfig, testDb, uniqueId, workflowBundle } from '../support/env';
import { removeSharedBundle, startTestProcess, startWorkerProcess, type TestProcess } from '../support/worker-process';
import { mulberry32 } from '../../tools/stripe-sandbox/seeded-random';
import { startFaultProxy, type FaultProxy } from './proxy';

export const FAULTS = [
  'worker-kill',
  'api-kill',
  'postgres-restart',
  'redis-restart',
  'temporal-restart',
  'stripe-before',
  'stripe-after',
  'webhooks-duplicated',
  'webhooks-delayed-shuffled',
  'webhooks-lost',
  'conflicting-commands',
] as const;
export type FaultName = (typeof FAULTS)[number];

export interface ChaosProfile {
  name: 'ci' | 'full';
  faults: readonly FaultName[];
  poolsPerFault: number;
  /** Members per pool, hence rounds per pool (a rotating pool pays each member once). */
  members: number;
  /** Faults injected per pool wave, at seeded moments. */
  injectionsPerWave: number;
  /** A wave whose pools have not all finished by then counts its unfinished pools as stuck. */
  waveDeadlineMs: number;
}

export const PROFILES: Record<'ci' | 'full', ChaosProfile> = {
  ci: {
    name: 'ci',
    faults: ['worker-kill', 'api-kill', 'postgres-restart', 'stripe-after', 'webhooks-duplicated', 'conflicting-commands'],
    poolsPerFault: 1,
    members: 2,
    injectionsPerWave: 1,
    waveDeadlineMs: 120_000,
  },
  full: { name: 'full', faults: FAULTS, poolsPerFault: 3, members: 3, injectionsPerWave: 2, waveDeadlineMs: 240_000 },
};

/** A command is retried under its Idempotency-Key for this long (it spans any outage the suite makes). */
const COMMAND_RETRY_MS = 90_000;
const HTTP_TIMEOUT_MS = 20_000;
/** How long a process kill or a dependency outage lasts. */
const OUTAGE_MS_MIN = 2_000;
const OUTAGE_MS_MAX = 6_000;
const POLL_MS = 250;
/** While a round runs, every this many polls of its pool also ask the round whether it waits for operations. */
const ROUND_PROBE_EVERY_POLLS = 8;
/** The chaos API's request log (its processes come and go; one file keeps them all). */
export const API_LOG_PATH = join(tmpdir(), 'poolflow-chaos-api.log');

export interface FaultResult {
  fault: FaultName;
  runs: number;
  duplicates: number;
  missing: number;
  stuck: number;
  escalated: number;
  /** From each injection to the end of the round it hit. */
  recoveryMs: number[];
  problems: string[];
}

/** Deterministic pseudo-random numbers (mulberry32) from the run's seed. */
function prng(seed: number) {
  const next = mulberry32(seed);
  return {
    next,
    between: (min: number, max: number) => Math.floor(min + next() * (max - min + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!,
  };
}
type Rng = ReturnType<typeof prng>;

/** Waits `ms`; rejects at once when the run is aborted, so every loop of the run unwinds with it. */
const sleep = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The private stack: proxies, a sandbox, one worker process and one API process, restartable. */
class ChaosStack {
  worker!: TestProcess;
  api!: TestProcess;
  readonly taskQueue = uniqueId('chaos');
  readonly keyPrefix = `${uniqueId('chaos')}:`;
  private constructor(
    /** Aborted when the run is abandoned (its time is up): every loop stops and the processes die. */
    readonly signal: AbortSignal,
    readonly db: Db,
    readonly kit: PaymentsTestKit,
    readonly client: Client,
    private readonly connection: Connection,
    readonly proxies: { postgres: FaultProxy; redis: FaultProxy; temporal: FaultProxy },
    readonly apiPort: number,
  ) {}

  static async start(signal: AbortSignal): Promise<ChaosStack> {
    const db = testDb();
    const kit = await startPaymentsTestKit(db);
    const pg = new URL(testConfig.databaseUrl);
    const redis = new URL(testConfig.redisUrl);
    const [temporalHost, temporalPort] = testConfig.temporalAddress.split(':') as [string, string];
    const proxies = {
      postgres: await startFaultProxy(pg.hostname, Number(pg.port)),
      redis: await startFaultProxy(redis.hostname, Number(redis.port)),
      temporal: await startFaultProxy(temporalHost, Number(temporalPort)),
    };
    const connection = await Connection.connect({ address: testConfig.temporalAddress });
    const stack = new ChaosStack(signal, db, kit, new Client({ connection, dataConverter: poolflowDataConverter() }), connection, proxies, await freePort());
    try {
      await stack.startWorker();
      await stack.startApi();
    } catch (error) {
      await stack.close();
      throw error;
    }
    return stack;
  }

  private env() {
    const pg = new URL(testConfig.databaseUrl);
    pg.host = `127.0.0.1:${this.proxies.postgres.port}`;
    const redis = new URL(testConfig.redisUrl);
    redis.host = `127.0.0.1:${this.proxies.redis.port}`;
    return {
      DATABASE_URL: pg.toString(),
      REDIS_URL: redis.toString(),
      TEMPORAL_ADDRESS: this.proxies.temporal.address,
      POOLS_TASK_QUEUE: this.taskQueue,
      STRIPE_API_URL: this.kit.sandbox.url,
      STRIPE_SECRET_KEY: this.kit.secretKey,
      REDIS_KEY_PREFIX: this.keyPrefix,
    };
  }

  async startWorker() {
    this.worker = await startWorkerProcess(this.env());
  }

  async startApi() {
    // Its log (one JSON line per request) goes to API_LOG_PATH; an API needs no workflow bundle.
    const env = { ...this.env(), PORT: String(this.apiPort), STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, ...TEST_AUTH };
    this.api = await startTestProcess('test/chaos/api-process.ts', env, { name: 'API process', stderrPath: API_LOG_PATH, workflowBundlePath: false });
  }

  async killWorker() {
    this.worker.child.kill('SIGKILL');
    await this.worker.exited;
  }

  async killApi() {
    this.api.child.kill('SIGKILL');
    await this.api.exited;
  }

  get apiUrl() {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  async close() {
    for (const child of [this.worker?.child, this.api?.child]) if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all([this.worker?.exited, this.api?.exited]);
    await removeSharedBundle();
    for (const proxy of Object.values(this.proxies)) await proxy.close();
    await this.connection.close();
    await this.kit.close();
    await this.db.end();
  }
}

/** An API call as a client makes it: retried under the same Idempotency-Key while the API is unreachable or answers 5xx/409-in-progress. */
async function call<T>(
  stack: ChaosStack,
  method: string,
  path: string,
  sub: string,
  role: Role,
  body?: unknown,
  key: string = randomUUID(),
): Promise<{ status: number; body: T }> {
  const deadline = Date.now() + COMMAND_RETRY_MS;
  const token = await tokenFor(sub, role);
  for (;;) {
    try {
      const response = await fetch(`${stack.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any([AbortSignal.timeout(HTTP_TIMEOUT_MS), stack.signal]),
      });
      const text = await response.text();
      const parsed = (text ? JSON.parse(text) : null) as T & { title?: string };
      const inProgress = response.status === 409 && parsed?.title === 'Request In Progress';
      if ((response.status < 500 && response.status !== 429 && !inProgress) || Date.now() > deadline) return { status: response.status, body: parsed };
      await sleep(Math.min(Number(response.headers.get('retry-after') ?? '1'), 5) * 1_000, stack.signal);
    } catch {
      stack.signal.throwIfAborted();
      // No answer (a killed API, a timeout): an unacknowledged command, which the checks do not count on.
      if (Date.now() > deadline) return { status: 0, body: null as T };
      await sleep(500, stack.signal);
    }
  }
}

interface PoolRun {
  poolId: string;
  manager: string;
  members: string[];
  /** Writes the API acknowledged (2xx): joins and round triggers, checked at the end. */
  acknowledged: { joined: Set<string>; roundsTriggered: Set<number> };
  roundEndedAt: Map<number, number>;
  done: boolean;
  /** Why the pool waits for operations (its own escalation or its running round's), once it does. */
  escalation: string | null;
}

/**
 * Waits until the API shows the manager the new pool, open. Under heavy load the create answers 201 once
 * its wait for the pool's projection runs out, and a join sent at once would find no pool (404).
 */
async function waitUntilVisible(stack: ChaosStack, poolId: string, manager: string): Promise<void> {
  const deadline = Date.now() + COMMAND_RETRY_MS;
  for (;;) {
    const read = await call<PoolView>(stack, 'GET', `/v1/pools/${poolId}`, manager, 'manager');
    // Members may join once the pool is open (a draft pool is no one's to join yet).
    if (read.status === 200 && read.body.status !== 'draft') return;
    if ((read.status !== 404 && read.status !== 200) || Date.now() > deadline)
      throw new Error(`reading the new pool ${poolId} answered ${read.status}: ${JSON.stringify(read.body)}`);
    await sleep(POLL_MS, stack.signal);
  }
}

/** Creates a pool through the API, has its members join (and, for conflicting commands, join at once several times), activates it. */
async function createPool(stack: ChaosStack, profile: ChaosProfile, conflicting: boolean, processingCards: boolean): Promise<PoolRun> {
  const manager = uniqueId('mgr');
  const members: string[] = [];
  for (let i = 0; i < profile.members; i++) {
    const memberId = uniqueId('m');
    await stack.kit.members.registerMember({ memberId, displayName: 'Chaos Member', email: `${memberId}@example.com` });
    await stack.kit.members.attachPaymentMethod(memberId, processingCards && i === 0 ? 'pm_card_sandbox_processing' : 'pm_card_visa');
    const account = await stack.kit.members.ensureConnectAccount(memberId);
    await stack.kit.control.onboardAccount(account.accountId);
    members.push(memberId);
  }
  const created = await call<PoolView>(stack, 'POST', '/v1/pools', manager, 'manager', {
    kind: 'rotating',
    name: 'Chaos pool',
    currency: 'usd',
    cadence: { type: 'interval', every: 30, unit: 'days' },
    gracePeriodHours: 0,
    membersMin: profile.members,
    membersMax: profile.members,
    contributionMinor: 2_500,
  });
  if (created.status !== 201) throw new Error(`creating a pool answered ${created.status}: ${JSON.stringify(created.body)}`);
  await waitUntilVisible(stack, created.body.poolId, manager);
  const run: PoolRun = {
    poolId: created.body.poolId,
    manager,
    members,
    acknowledged: { joined: new Set(), roundsTriggered: new Set() },
    roundEndedAt: new Map(),
    done: false,
    escalation: null,
  };
  for (const memberId of members) {
    const attempts = conflicting ? 4 : 1;
    const answers = await Promise.all(
      Array.from({ length: attempts }, () => call(stack, 'POST', `/v1/pools/${run.poolId}/members`, memberId, 'member', { agreeToCharges: true })),
    );
    if (answers.some((a) => a.status === 201)) run.acknowledged.joined.add(memberId);
  }
  const activated = await call(stack, 'POST', `/v1/pools/${run.poolId}/activate`, manager, 'manager');
  if (activated.status !== 200) throw new Error(`activating ${run.poolId} answered ${activated.status}: ${JSON.stringify(activated.body)}`);
  return run;
}

/** Reads the pool straight from Temporal (not through the proxies the faults cut). */
async function poolView(stack: ChaosStack, poolId: string): Promise<PoolView | null> {
  try {
    return await stack.client.workflow.getHandle(workflowIds.pool(poolId)).query(poolStateQuery);
  } catch {
    return null;
  }
}

/** The phase of a running round, when it waits for operations (a charge or payout it cannot fix itself). */
async function roundEscalation(stack: ChaosStack, poolId: string, round: number): Promise<string | null> {
  try {
    const progress = await stack.client.workflow.getHandle(workflowIds.round(poolId, round)).query(roundProgressQuery);
    if (progress.phase !== 'collection-escalated' && progress.phase !== 'payout-escalated') return null;
    return `round ${round} ${progress.phase} (${progress.members.map((m) => `${m.memberId} ${m.state}`).join(', ')})`;
  } catch {
    return null;
  }
}

/**
 * Runs every round of the pool through the API, one trigger per round (several at once when
 * conflicting). Stops early when the pool or its round waits for operations: nothing will move then.
 */
async function driveRounds(
  stack: ChaosStack,
  run: PoolRun,
  rounds: number,
  conflicting: boolean,
  deadlineMs: number,
  log: (line: string) => void,
): Promise<void> {
  for (let round = 1; round <= rounds; round++) {
    const key = uniqueId(`trigger-${round}`);
    const triggers = conflicting ? [key, uniqueId('rival'), uniqueId('rival')] : [key];
    const answers = await Promise.all(
      triggers.map((k) => call<{ round?: number }>(stack, 'POST', `/v1/pools/${run.poolId}/rounds`, run.manager, 'manager', { round }, k)),
    );
    for (const answer of answers) if (answer.status === 202) run.acknowledged.roundsTriggered.add(answer.body.round ?? -1);
    for (let polls = 1; ; polls++) {
      const view = await poolView(stack, run.poolId);
      if (view && (view.roundsCompleted >= round || view.status === 'completed')) break;
      run.escalation = view?.roundEscalation
        ? `pool escalated round ${view.roundEscalation.round}: ${view.roundEscalation.reason}`
        : view?.roundInProgress === round && polls % ROUND_PROBE_EVERY_POLLS === 0
          ? await roundEscalation(stack, run.poolId, round)
          : null;
      if (run.escalation) {
        log(`  ${run.poolId}: waits for operations: ${run.escalation}`);
        return;
      }
      if (Date.now() > deadlineMs) {
        log(
          `  ${run.poolId}: round ${round} not done by the wave's deadline (${view ? `${view.status}, round ${view.roundInProgress ?? '-'} running` : 'no answer'})`,
        );
        return;
      }
      await sleep(POLL_MS, stack.signal);
    }
    run.roundEndedAt.set(round, Date.now());
    log(`  ${run.poolId}: round ${round} done`);
  }
  run.done = true;
}

/** Injects one fault now; resolves once it is over (the process is back, the outage has ended). */
async function inject(stack: ChaosStack, fault: FaultName, rng: Rng): Promise<void> {
  const outageMs = rng.between(OUTAGE_MS_MIN, OUTAGE_MS_MAX);
  switch (fault) {
    case 'worker-kill':
      await stack.killWorker();
      await sleep(outageMs, stack.signal);
      await stack.startWorker();
      return;
    case 'api-kill':
      await stack.killApi();
      await sleep(outageMs, stack.signal);
      await stack.startApi();
      return;
    case 'postgres-restart':
    case 'redis-restart':
    case 'temporal-restart': {
      const proxy = stack.proxies[fault === 'postgres-restart' ? 'postgres' : fault === 'redis-restart' ? 'redis' : 'temporal'];
      proxy.cut(rng.next() < 0.5 ? 'refuse' : 'blackhole');
      await sleep(outageMs, stack.signal);
      proxy.restore();
      return;
    }
    case 'stripe-before':
    case 'stripe-after': {
      const when = fault === 'stripe-before' ? 'before' : 'after';
      const kind = when === 'before' ? rng.pick(['rate_limit', 'api_error', 'drop', 'hang'] as const) : rng.pick(['api_error', 'drop', 'hang'] as const);
      const pathPrefix = rng.pick(['/v1/payment_intents', '/v1/transfers']);
      await stack.kit.control.addFault({ kind, when, method: 'POST', pathPrefix, secretKey: stack.kit.secretKey, times: rng.between(1, 3), holdMs: outageMs });
      return;
    }
    case 'webhooks-duplicated':
    case 'webhooks-delayed-shuffled':
    case 'webhooks-lost':
    case 'conflicting-commands':
      // Set up for the whole wave instead (addEndpoint, createPool, driveRounds).
      return;
  }
}

/** The webhook endpoint of a wave: how the sandbox delivers (or fails to deliver) events to the API. */
async function addEndpoint(stack: ChaosStack, fault: FaultName, rng: Rng) {
  const url = `${stack.apiUrl}/v1/webhooks/stripe`;
  const base = { url, secretKey: stack.kit.secretKey, retriesMax: 8, retryBaseMs: 500 };
  switch (fault) {
    case 'webhooks-duplicated':
      return stack.kit.control.addWebhookEndpoint({ ...base, copies: 3 });
    case 'webhooks-delayed-shuffled':
      return stack.kit.control.addWebhookEndpoint({
        ...base,
        delayMs: rng.between(500, 3_000),
        batchWindowMs: 1_000,
        order: 'shuffle',
        seed: rng.between(1, 1_000_000),
      });
    case 'webhooks-lost':
      // Settlements of processing payments never arrive; everything else does.
      return stack.kit.control.addWebhookEndpoint({
        ...base,
        eventTypes: [
          'payment_intent.created',
          'payment_intent.processing',
          'charge.succeeded',
          'transfer.created',
          'charge.refunded',
          'refund.created',
          'refund.updated',
        ],
      });
    case 'worker-kill':
    case 'api-kill':
    case 'postgres-restart':
    case 'redis-restart':
    case 'temporal-restart':
    case 'stripe-before':
    case 'stripe-after':
    case 'conflicting-commands':
      return stack.kit.control.addWebhookEndpoint(base);
  }
}

/** Checks what the wave's pools did, from outside: Stripe's request record, the ledger, reconciliation, Temporal. */
async function checkPools(stack: ChaosStack, runs: PoolRun[], result: FaultResult): Promise<void> {
  const intents = await stack.kit.control.objects({ type: 'payment_intent', secretKey: stack.kit.secretKey });
  const transfers = await stack.kit.control.objects({ type: 'transfer', secretKey: stack.kit.secretKey });
  const router = createWebhookRouter({ db: stack.db, temporal: stack.client, stripe: stack.kit.stripe, log: createLogger('chaos-reconcile') });
  const reconcile = createReconciliationActivities({ stripe: stack.kit.stripe, db: stack.db });
  for (const run of runs) {
    const view = await poolView(stack, run.poolId);
    const escalated = run.escalation !== null;
    // Every fault the suite injects is one the system must ride out alone: a pool that waits for
    // operations is counted, with its reason, and fails the run like a stuck one.
    if (escalated) {
      result.escalated++;
      result.problems.push(`${run.poolId}: waits for operations: ${run.escalation}`);
    }
    if (!view || (!run.done && !escalated) || (view.status !== 'completed' && !escalated)) {
      result.stuck++;
      result.problems.push(
        `${run.poolId}: ${view ? `${view.status}, ${view.roundsCompleted} rounds done, round ${view.roundInProgress ?? '-'} running` : 'no workflow'}`,
      );
    }
    const completed = view?.roundsCompleted ?? 0;
    const mine = (objects: typeof intents) =>
      objects
        .map((o) => ({ o, key: parseMovementMetadata((o.object as { metadata?: Record<string, string> }).metadata ?? null) }))
        .filter((x) => x.key?.poolId === run.poolId);
    for (let round = 1; round <= completed; round++) {
      for (const memberId of run.members) {
        const succeeded = mine(intents).filter(
          (x) => x.key!.round === round && x.key!.memberId === memberId && (x.o.object as { status?: string }).status === 'succeeded',
        ).length;
        if (succeeded > 1) {
          result.duplicates += succeeded - 1;
          result.problems.push(`${run.poolId} round ${round}: ${memberId} charged ${succeeded} times`);
        }
        if (succeeded === 0) {
          result.missing++;
          result.problems.push(`${run.poolId} round ${round}: no succeeded charge of ${memberId}`);
        }
      }
      const pots = mine(transfers).filter((x) => x.key!.round === round).length;
      if (pots !== 1) {
        if (pots > 1) result.duplicates += pots - 1;
        else result.missing++;
        result.problems.push(`${run.poolId} round ${round}: ${pots} transfers`);
      }
    }
    // Acknowledged writes: every member whose join was answered 201 is in the pool, every 202 round exists.
    for (const memberId of run.acknowledged.joined) {
      if (!view?.members.some((m) => m.memberId === memberId)) {
        result.missing++;
        result.problems.push(`${run.poolId}: acknowledged join of ${memberId} lost`);
      }
    }
    if (view && view.members.length !== new Set(view.members.map((m) => m.memberId)).size) {
      result.duplicates++;
      result.problems.push(`${run.poolId}: a member is listed twice`);
    }
    for (const round of run.acknowledged.roundsTriggered) {
      if (round > completed && !(view?.roundInProgress === round)) {
        result.missing++;
        result.problems.push(`${run.poolId}: acknowledged trigger of round ${round} ran no round`);
      }
    }
    const violations = await checkLedgerInvariants(stack.db, { accountPrefix: `pool:${run.poolId}:` });
    if (violations.length > 0) result.problems.push(`${run.poolId}: ledger ${JSON.stringify(violations).slice(0, 300)}`);
    // Rounds: none still running unless the pool says why.
    for (let round = 1; round <= completed + 1; round++) {
      try {
        const { status } = await stack.client.workflow.getHandle(workflowIds.round(run.poolId, round)).describe();
        if (status.name === 'RUNNING' && !escalated && view?.roundInProgress !== round) result.problems.push(`${run.poolId}: round ${round} still running`);
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    }
    // Every workflow the pool ran replays against the current code: a worker restarted at any later
    // moment would continue it rather than fail on nondeterminism.
    const workflowIdsOfPool = [workflowIds.pool(run.poolId), ...Array.from({ length: completed + 1 }, (_, i) => workflowIds.round(run.poolId, i + 1))];
    for (const workflowId of workflowIdsOfPool) {
      const history = await stack.client.workflow
        .getHandle(workflowId)
        .fetchHistory()
        .catch(() => null);
      if (!history) continue;
      try {
        // The worker's span sink is registered (replay never calls it), as the bundle's interceptors expect.
        await Worker.runReplayHistory(
          { workflowBundle: await workflowBundle(), replayName: workflowId, dataConverter: poolflowDataConverter(), sinks: tracingWorkerOptions().sinks },
          history,
          workflowId,
        );
      } catch (error) {
        result.problems.push(`${workflowId}: does not replay: ${String(error).slice(0, 300)}`);
      }
    }
    // Strict: after redelivery, Stripe, our records and the workflows agree on everything, signals too
    // (an event for a round that has finished is recorded as handled, not owed).
    await router.redeliverPending({ poolId: run.poolId });
    const report = await reconcile.reconcilePool({ poolId: run.poolId });
    if (report.mismatches.length > 0) result.problems.push(`${run.poolId}: reconciliation ${JSON.stringify(report.mismatches).slice(0, 300)}`);
  }
}

async function runWave(stack: ChaosStack, profile: ChaosProfile, fault: FaultName, rng: Rng, log: (line: string) => void): Promise<FaultResult> {
  const waveStartedAt = Date.now();
  const result: FaultResult = { fault, runs: profile.poolsPerFault, duplicates: 0, missing: 0, stuck: 0, escalated: 0, recoveryMs: [], problems: [] };
  const endpoint = await addEndpoint(stack, fault, rng);
  try {
    const conflicting = fault === 'conflicting-commands';
    const processing = fault.startsWith('webhooks-');
    const runs = await Promise.all(Array.from({ length: profile.poolsPerFault }, () => createPool(stack, profile, conflicting, processing)));
    const deadline = Date.now() + profile.waveDeadlineMs;
    log(`  ${fault}: pools ${runs.map((run) => run.poolId).join(', ')} created`);
    const driving = Promise.all(runs.map((run) => driveRounds(stack, run, profile.members, conflicting, deadline, log)));
    // Handled here too, so an aborted injection below leaves no rejection unobserved.
    driving.catch(() => {});
    const startedAt = Date.now();
    const injections: number[] = [];
    for (let i = 0; i < profile.injectionsPerWave && !conflicting && !processing; i++) {
      await sleep(rng.between(100, 2_500), stack.signal);
      if (runs.every((run) => run.done)) break;
      injections.push(Date.now());
      log(`  ${fault}: injecting at +${Date.now() - startedAt} ms`);
      await inject(stack, fault, rng);
    }
    await driving;
    for (const at of processing || conflicting ? [startedAt] : injections) {
      // Recovery: until the first round of each pool that ended after the injection.
      const ends = runs.map((run) => [...run.roundEndedAt.values()].find((end) => end >= at)).filter((end): end is number => end !== undefined);
      if (ends.length > 0) result.recoveryMs.push(Math.max(...ends) - at);
    }
    await stack.kit.control.clearFaults();
    await checkPools(stack, runs, result);
  } finally {
    if (!stack.signal.aborted) await stack.kit.control.removeWebhookEndpoint(endpoint.id);
  }
  log(`  ${fault}: ${result.problems.length === 0 ? 'held' : `${result.problems.length} problems`} in ${Math.round((Date.now() - waveStartedAt) / 1_000)} s`);
  for (const problem of result.problems) log(`    ${problem}`);
  return result;
}

/**
 * Runs the profile's waves against a fresh private stack. Past `budgetMs`, or once `signal` aborts, the
 * run is abandoned: every loop stops, the worker and API processes are killed, and it rejects.
 */
export async function runChaos(options: {
  profile: ChaosProfile;
  seed: number;
  log?: (line: string) => void;
  budgetMs?: number;
  signal?: AbortSignal;
}): Promise<FaultResult[]> {
  const log = options.log ?? (() => {});
  const rng = prng(options.seed);
  const signal = AbortSignal.any([...(options.signal ? [options.signal] : []), ...(options.budgetMs ? [AbortSignal.timeout(options.budgetMs)] : [])]);
  const stack = await ChaosStack.start(signal);
  const results: FaultResult[] = [];
  try {
    for (const fault of options.profile.faults) {
      log(`wave ${fault} (${options.profile.poolsPerFault} pools)`);
      results.push(await runWave(stack, options.profile, fault, rng, log));
    }
    const global = await checkLedgerInvariants(stack.db);
    if (global.length > 0) results.at(-1)!.problems.push(`global ledger: ${JSON.stringify(global).slice(0, 300)}`);
  } catch (error) {
    if (!signal.aborted) throw error;
    throw new Error(`the chaos run was abandoned after ${results.length} of ${options.profile.faults.length} waves: ${String(signal.reason)}`, {
      cause: error,
    });
  } finally {
    await stack.close();
  }
  return results;
}

export function passed(results: FaultResult[]): boolean {
  return results.every((r) => r.duplicates === 0 && r.missing === 0 && r.stuck === 0 && r.problems.length === 0);
}

/** The results as a Markdown table: per fault, runs, duplicates, missing, stuck, escalated and recovery time. */
export function resultTable(results: FaultResult[]): string {
  const ms = (values: number[], pick: (sorted: number[]) => number) =>
    values.length === 0 ? '-' : `${(pick([...values].sort((a, b) => a - b)) / 1_000).toFixed(1)} s`;
  const rows = results.map((r) =>
    [
      r.fault,
      r.runs,
      r.duplicates,
      r.missing,
      r.stuck,
      r.escalated,
      ms(r.recoveryMs, (s) => s[0]!),
      ms(r.recoveryMs, (s) => s[Math.floor(s.length / 2)]!),
      ms(r.recoveryMs, (s) => s.at(-1)!),
    ].join(' | '),
  );
  return [
    '| fault | runs | duplicates | missing | stuck | escalated | recovery (min) | recovery (median) | recovery (max) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}
