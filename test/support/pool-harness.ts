// Everything a pool workflow test needs: the time-skipping server with a real worker on it, a Stripe
// sandbox of the test's own (test/support/payments-kit.ts), members with cards and onboarded payout
// accounts, and helpers to drive rounds and read what happened at Stripe and in the ledger.
import { randomUUID } from 'node:crypto';
import { type Client, type Connection, ScheduleNotFoundError, WorkflowClient, type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Redis } from '../../cache/redis';
import { checkLedgerInvariants } from '../../db/ledger/invariants';
import { getBalances } from '../../db/ledger/accounts';
import type { TransferState } from '../../db/ledger/transfers';
import { agreementTerms, recordAgreement } from '../../db/consent';
import { commitDrawSecret } from '../../db/pools/draw-secrets';
import type { Db } from '../../db/pool';
import { poolConfigSchema, type PoolConfigInput } from '../../domain/pools/pool-config';
import type { PoolView } from '../../domain/pools/pool-view';
import { createLogger } from '../../observability/log';
import { parseMovementMetadata } from '../../payments/metadata';
import { startPaymentsTestKit, type PaymentsTestKit } from './payments-kit';
import { createWebhookRouter } from '../../payments/webhook-router';
import type { SandboxEvent, SandboxSettings } from '../../tools/stripe-sandbox/state';
import { poolflowDataConverter } from '../../temporal-config/data-converter';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { createPoolsWorker } from '../../workers/pools/worker';
import { executePoolUpdate } from '../../api/pools/pool-commands';
import { activatePoolUpdate, joinPoolUpdate, poolStateQuery, poolWorkflow, roundDueSignal } from '../../workflows/pools/pool';
import { roundResultOf, type RoundReport } from '../../domain/pools/round-report';
import { roundProgressQuery, type RoundProgress, type RoundResult } from '../../workflows/pools/round';
import type { EndpointPolicy } from '../../activities/notifications/endpoint-policy';
import { createMailer } from '../../activities/notifications/mailer';
import { devServerClient, testConfig, testDb, testRedis, timeSkippingEnvironment, uniqueId, workflowBundle } from './env';

/** A charge, transfer or refund the sandbox holds, with the business key Poolflow wrote in its metadata. */
export interface StripeMovement {
  id: string;
  memberId: string;
  round: number;
  purpose: string;
  amount: number;
  /** PaymentIntent and refund status; null for transfers (a refused transfer is never stored). */
  status: string | null;
  object: Record<string, unknown>;
}

export interface PoolHarness {
  env: TestWorkflowEnvironment;
  client: Client;
  /** A client of the dev server, where the pools' schedules live (the time-skipping server has none). */
  dev: Client;
  db: Db;
  redis: Redis;
  kit: PaymentsTestKit;
  taskQueue: string;
  /** A member with a saved card (pm_card_visa unless given) and an onboarded payout account. */
  member(testCard?: string): Promise<string>;
  /** `drawSecret` starts the pool as the API does: with a commitment to a secret held in the database, no seed. */
  startPool(
    config: PoolConfigInput,
    options?: { poolId?: string; seed?: string; managerId?: string; drawSecret?: boolean },
  ): Promise<WorkflowHandle<typeof poolWorkflow>>;
  /** Signals that a round is due and waits (in skipped time) until the round has finished. */
  runRound(handle: WorkflowHandle<typeof poolWorkflow>): Promise<RoundResult>;
  ledgerViolations(poolId: string): Promise<unknown[]>;
  balance(accountKey: string): Promise<bigint>;
  /** Stripe objects of this harness's secret key, by type. */
  stripeObjects(type: 'payment_intent' | 'transfer' | 'refund'): Promise<Array<{ id: string; object: Record<string, unknown> }>>;
  /** The pool's PaymentIntents, transfers or refunds at the sandbox, in the order they were created. */
  poolStripe(type: 'payment_intent' | 'transfer' | 'refund', poolId: string): Promise<StripeMovement[]>;
  /** Every ledger transfer of the pool, by idempotency key. */
  ledgerTransfers(poolId: string): Promise<Map<string, TransferState>>;
  roundProgress(poolId: string, round: number): Promise<RoundProgress>;
  /** Polls a round's progress until `ready` holds (queries do not skip time). */
  waitForRoundProgress(poolId: string, round: number, ready: (progress: RoundProgress) => boolean, timeoutMs?: number): Promise<RoundProgress>;
  /**
   * Feeds the sandbox's events of this harness that `select` picks through the real webhook router, as
   * the API's webhook endpoint does; returns how many signals were delivered.
   */
  routeStripeEvents(select: (event: SandboxEvent) => boolean): Promise<number>;
  /** The pool's schedule on the dev server: missing, or whether it is paused. */
  scheduleState(poolId: string): Promise<'missing' | { paused: boolean }>;
  /**
   * Replays the histories these workflows have so far against the current workflow bundle, as a worker
   * does after a restart or an eviction; the replays that failed, by workflow ID (none: an empty list).
   */
  replayFailures(workflowIds: string[]): Promise<string[]>;
  close(): Promise<void>;
}

export interface PoolHarnessOptions {
  /** Run the notifications on the worker too (email to the test stack's mail catcher). */
  notifications?: { webhookPolicy?: EndpointPolicy; smtpUrl?: string };
}

export async function startPoolHarness(sandboxSettings: Partial<SandboxSettings> = {}, options: PoolHarnessOptions = {}): Promise<PoolHarness> {
  const db = testDb();
  const redis = testRedis();
  recordAgreementsIn(db);
  const kit = await startPaymentsTestKit(db, sandboxSettings);
  const env = await timeSkippingEnvironment();
  // Schedules are not offered by the time-skipping server, so schedule activities use the dev server.
  const dev = await devServerClient();
  const taskQueue = uniqueId('pools');
  const mailer = options.notifications
    ? createMailer({ smtpUrl: options.notifications.smtpUrl ?? testConfig.smtpUrl, from: 'Poolflow tests <notices@poolflow.test>' })
    : undefined;
  const worker: Worker = await createPoolsWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    client: dev.client,
    db,
    redis,
    stripe: kit.stripe,
    taskQueue,
    workflowBundle: await workflowBundle(),
    ...(mailer ? { notifications: { mailer, webhookPolicy: options.notifications?.webhookPolicy ?? { httpsOnly: false, blockPrivateAddresses: false } } } : {}),
  });
  const running = worker.run();

  const router = createWebhookRouter({ db, temporal: env.client, stripe: kit.stripe, log: createLogger('pool-harness-webhooks') });

  const harness: PoolHarness = {
    env,
    client: env.client,
    dev: dev.client,
    db,
    redis,
    kit,
    taskQueue,
    async member(testCard = 'pm_card_visa') {
      const memberId = uniqueId('m');
      await kit.members.registerMember({ memberId, displayName: 'Pool Member', email: `${memberId}@example.com` });
      await kit.members.attachPaymentMethod(memberId, testCard);
      const account = await kit.members.ensureConnectAccount(memberId);
      await kit.control.onboardAccount(account.accountId);
      return memberId;
    },
    async startPool(input, options = {}) {
      const poolId = options.poolId ?? uniqueId('pool');
      const config = poolConfigSchema.parse(input);
      const seeding = options.drawSecret ? { seedCommitment: await commitDrawSecret(db, poolId) } : { seed: options.seed ?? randomUUID() };
      return env.client.workflow.start(poolWorkflow, {
        workflowId: workflowIds.pool(poolId),
        taskQueue,
        // The time-skipping server has no custom search attributes; the dev-server tests cover them.
        args: [{ poolId, managerId: options.managerId ?? 'manager-1', config, ...seeding, searchAttributes: false }],
      });
    },
    async runRound(handle) {
      const lastRound = (view: PoolView) => view.recentRounds.at(-1)?.round ?? 0;
      const before = lastRound(await handle.query(poolStateQuery));
      await handle.signal(roundDueSignal);
      // A short round may finish between two polls: then it shows among the recent rounds.
      const view = await waitForView(handle, (v) => v.roundInProgress !== null || lastRound(v) > before);
      return waitForRound(handle, view.roundInProgress ?? lastRound(view));
    },
    ledgerViolations: (poolId) => checkLedgerInvariants(db, { accountPrefix: `pool:${poolId}:` }),
    async balance(accountKey) {
      const [balance] = await getBalances(db, [accountKey]);
      return balance ? balance.creditsPostedMinor - balance.debitsPostedMinor : 0n;
    },
    async stripeObjects(type) {
      const objects = await kit.control.objects({ type, secretKey: kit.secretKey });
      return objects.map((o) => ({ id: o.id, object: o.object as Record<string, unknown> }));
    },
    async poolStripe(type, poolId) {
      const movements: StripeMovement[] = [];
      for (const { id, object } of await harness.stripeObjects(type)) {
        const key = parseMovementMetadata(object.metadata as Record<string, string> | null);
        if (key?.poolId !== poolId) continue;
        const status = typeof object.status === 'string' && type !== 'transfer' ? object.status : null;
        movements.push({ id, memberId: key.memberId, round: key.round, purpose: key.purpose, amount: object.amount as number, status, object });
      }
      return movements;
    },
    async ledgerTransfers(poolId) {
      const { rows } = await db.query<{ idempotency_key: string; state: TransferState }>(
        `SELECT idempotency_key, state FROM ledger_transfers WHERE metadata->>'poolId' = $1 ORDER BY created_at, idempotency_key`,
        [poolId],
      );
      return new Map(rows.map((row) => [row.idempotency_key, row.state]));
    },
    roundProgress: (poolId, round) => env.client.workflow.getHandle(workflowIds.round(poolId, round)).query(roundProgressQuery),
    async waitForRoundProgress(poolId, round, ready, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const progress = await harness.roundProgress(poolId, round).catch(() => null);
        if (progress && ready(progress)) return progress;
        if (Date.now() > deadline) throw new Error(`round ${round} of ${poolId} never reached the awaited state: ${JSON.stringify(progress)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async routeStripeEvents(select) {
      let delivered = 0;
      for (const event of await kit.control.events({ secretKey: kit.secretKey })) {
        if (!select(event)) continue;
        const result = await router.ingest(event as unknown as Parameters<typeof router.ingest>[0]);
        if (result.delivered) delivered++;
      }
      return delivered;
    },
    async scheduleState(poolId) {
      try {
        const description = await dev.client.schedule.getHandle(workflowIds.poolSchedule(poolId)).describe();
        return { paused: description.state.paused };
      } catch (error) {
        if (error instanceof ScheduleNotFoundError) return 'missing';
        throw error;
      }
    },
    async replayFailures(ids) {
      const failures: string[] = [];
      const bundle = await workflowBundle();
      for (const workflowId of ids) {
        const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
        try {
          await Worker.runReplayHistory(
            { workflowBundle: bundle, dataConverter: poolflowDataConverter(), replayName: 'pool-harness-replay' },
            history,
            workflowId,
          );
        } catch (error) {
          failures.push(`${workflowId}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      return failures;
    },
    async close() {
      worker.shutdown();
      await running;
      await env.teardown();
      await (dev.connection as Connection).close();
      await kit.close();
      mailer?.close();
      await db.end();
      redis.disconnect();
    },
  };
  return harness;
}

/** Polls the pool's state until `ready` holds (the worker needs a moment to take a signal). */
export async function waitForView(handle: WorkflowHandle<typeof poolWorkflow>, ready: (view: PoolView) => boolean, timeoutMs = 20_000): Promise<PoolView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await handle.query(poolStateQuery);
    if (ready(view)) return view;
    if (Date.now() > deadline) throw new Error(`pool ${view.poolId} never reached the awaited state: ${JSON.stringify(view).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits (in skipped time) for round `round` to finish, then for the pool to have applied its result. */
export async function waitForRound(handle: WorkflowHandle<typeof poolWorkflow>, round: number): Promise<RoundResult> {
  const view = await handle.query(poolStateQuery);
  const result = roundResultOf(await settledResult<RoundReport>(handle.client, workflowIds.round(view.poolId, round)));
  await waitForView(handle, (v) => v.roundInProgress !== round);
  return result;
}

/** How much server time one step of settledResult skips while the workflow it waits for still runs. */
export const SKIP_STEP_MS = 6 * 3_600_000;
/** settledResult gives up after skipping this much server time: longer than any round's grace period. */
export const SKIP_TOTAL_MAX_MS = 30 * 24 * 3_600_000;

/**
 * A workflow's result, skipping time in bounded steps while it runs. The time-skipping client's own
 * result() unlocks time for as long as it waits; if the awaited workflow closes a moment before time is
 * locked again, every other workflow idles without a timer and the server jumps ten years ahead to their
 * default execution timeout (seen under load). A step of skipped time never goes further than its end.
 */
export async function settledResult<T>(client: WorkflowClient, workflowId: string): Promise<T> {
  const plain = new WorkflowClient({ connection: client.connection, namespace: client.options.namespace, dataConverter: poolflowDataConverter() });
  const { testService } = client.connection as Connection;
  // A server that does not skip time has no such jump: wait for the result as usual.
  if (!testService) {
    await describeOnceStarted(plain, workflowId);
    return (await plain.getHandle(workflowId).result()) as T;
  }
  for (let skippedMs = 0; skippedMs <= SKIP_TOTAL_MAX_MS; skippedMs += SKIP_STEP_MS) {
    const { status } = await describeOnceStarted(plain, workflowId);
    if (status.name !== 'RUNNING') return (await plain.getHandle(workflowId).result()) as T;
    await testService.unlockTimeSkippingWithSleep({ duration: msToTs(SKIP_STEP_MS) });
  }
  throw new Error(`${workflowId} still runs after ${SKIP_TOTAL_MAX_MS / 86_400_000} days of skipped time (waiting for a signal?)`);
}

/** How long a child workflow the pool has started (its state says so) may take to exist on the server. */
const CHILD_START_WAIT_MS = 10_000;

/**
 * The workflow's description, waiting (in real time) while the server does not know it yet: a pool's
 * state shows a round as begun in the workflow task that asks for its start, a moment before the child
 * exists.
 */
async function describeOnceStarted(client: WorkflowClient, workflowId: string) {
  for (const deadline = Date.now() + CHILD_START_WAIT_MS; ; await new Promise((resolve) => setTimeout(resolve, 50))) {
    try {
      return await client.getHandle(workflowId).describe();
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError) || Date.now() > deadline) throw error;
    }
  }
}

/** The pool workflow's final view, once it has completed or been cancelled (see settledResult). */
export const finalView = (handle: WorkflowHandle<typeof poolWorkflow>) => settledResult<PoolView>(handle.client, handle.workflowId);

/**
 * Where joinAll records the members' agreements: the database of the harness started last (each test
 * file starts one). Tests join through the workflow directly, so they record what accepting an
 * invitation through the API records; without it the charge activity refuses to charge them.
 */
let agreementsDb: Db | undefined;
export function recordAgreementsIn(db: Db): void {
  agreementsDb = db;
}

export async function joinAll(handle: WorkflowHandle<typeof poolWorkflow>, memberIds: string[], commitments?: string[]): Promise<PoolView> {
  if (!agreementsDb) throw new Error('joinAll needs a harness started first (startPoolHarness or startDevPoolHarness)');
  const { poolId, config } = await handle.query(poolStateQuery);
  for (const [index, memberId] of memberIds.entries()) {
    const commitment = commitments?.[index];
    await recordAgreement(agreementsDb, { poolId, memberId, terms: agreementTerms(config, commitment ? BigInt(commitment) : null), requestId: 'test-join' });
    await executePoolUpdate(handle, joinPoolUpdate, { args: [{ memberId, ...(commitments ? { commitmentMinor: commitments[index]! } : {}) }] });
  }
  // A command answers with what it changed; the whole view is the pool's query.
  return handle.query(poolStateQuery);
}

/** Activates the pool; returns its view after. */
export async function activate(handle: WorkflowHandle<typeof poolWorkflow>): Promise<PoolView> {
  await executePoolUpdate(handle, activatePoolUpdate, { args: [] });
  return handle.query(poolStateQuery);
}

/** How many of `movements` each member has, for the members given (zero included). */
export function countByMember(movements: StripeMovement[], memberIds: string[]): Record<string, number> {
  return Object.fromEntries(memberIds.map((id) => [id, movements.filter((m) => m.memberId === id).length]));
}

/** A rotating pool of `size` members paying 100.00 a round, with a 1% platform fee; override the rest. */
export function rotatingPool(size: number, overrides: Partial<Extract<PoolConfigInput, { kind: 'rotating' }>> = {}): PoolConfigInput {
  return {
    kind: 'rotating',
    name: 'Test circle',
    currency: 'usd',
    cadence: { type: 'monthly', dayOfMonth: 1, hourUtc: 9 },
    membersMin: size,
    membersMax: size,
    contributionMinor: 10_000,
    platformFeeBps: 100,
    ...overrides,
  };
}
