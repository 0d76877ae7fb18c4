// Pool workflows on a real Temporal dev server (the test stack's, or one a test started itself), for
// what the time-skipping server lacks: schedules, visibility queries, continue-as-new suggestions and
// workers that die. A Stripe sandbox of the harness's own, members with cards and payout accounts, a
// pools worker on a task queue of its own (or none, when the test runs workers in other processes).
import { randomUUID } from 'node:crypto';
import { Client, Connection, ScheduleNotFoundError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Redis } from '../../cache/redis';
import { checkLedgerInvariants } from '../../db/ledger/invariants';
import type { Db } from '../../db/pool';
import { poolConfigSchema, type PoolConfigInput } from '../../domain/pools/pool-config';
import { startPaymentsTestKit, type PaymentsTestKit } from './payments-kit';
import type { SandboxSettings } from '../../tools/stripe-sandbox/state';
import { poolflowDataConverter } from '../../temporal-config/data-converter';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { createPoolsWorker } from '../../workers/pools/worker';
import { poolWorkflow } from '../../workflows/pools/pool';
import type { contributionRound, RoundResult } from '../../workflows/pools/round';
import { roundResultOf } from '../../domain/pools/round-report';
import { testConfig, testDb, testRedis, uniqueId, workflowBundle } from './env';
import { eventually } from './eventually';
import { tracingClientInterceptor } from '../../observability/temporal-tracing';
import { recordAgreementsIn } from './pool-harness';

export interface DevPoolHarnessOptions {
  /** The dev server to use; the test stack's (TEMPORAL_ADDRESS) unless given. */
  address?: string;
  sandboxSettings?: Partial<SandboxSettings>;
  /** Run a pools worker in this process (the default); off when the test runs its own worker processes. */
  worker?: boolean;
}

export interface DevPoolHarness {
  address: string;
  client: Client;
  db: Db;
  redis: Redis;
  kit: PaymentsTestKit;
  taskQueue: string;
  /** A member with a saved card (pm_card_visa unless given) and an onboarded payout account. */
  member(testCard?: string): Promise<string>;
  startPool(
    config: PoolConfigInput,
    options?: { poolId?: string; seed?: string; managerId?: string },
  ): Promise<WorkflowHandleWithFirstExecutionRunId<typeof poolWorkflow>>;
  /** Round `round` of the pool once it has finished (the pool starts it, so it may not exist yet). */
  roundResult(poolId: string, round: number, timeoutMs?: number): Promise<RoundResult>;
  ledgerViolations(poolId: string): Promise<unknown[]>;
  /** The idempotency keys of the pool's ledger transfers whose key starts `ledger:{kind}:{poolId}:`. */
  ledgerTransferKeys(kind: 'contribution' | 'cover' | 'fee' | 'payout' | 'refund', poolId: string): Promise<string[]>;
  /** Terminates what the harness's pools left running, deletes their schedules, closes everything. */
  close(): Promise<void>;
}

/** Registers a member with a saved card and an onboarded Express account in the kit's sandbox. */
export async function onboardedMember(kit: PaymentsTestKit, testCard = 'pm_card_visa'): Promise<string> {
  const memberId = uniqueId('m');
  await kit.members.registerMember({ memberId, displayName: 'Pool Member', email: `${memberId}@example.com` });
  await kit.members.attachPaymentMethod(memberId, testCard);
  const account = await kit.members.ensureConnectAccount(memberId);
  await kit.control.onboardAccount(account.accountId);
  return memberId;
}

export async function startDevPoolHarness(options: DevPoolHarnessOptions = {}): Promise<DevPoolHarness> {
  const address = options.address ?? testConfig.temporalAddress;
  const db = testDb();
  recordAgreementsIn(db);
  const redis = testRedis();
  const kit = await startPaymentsTestKit(db, options.sandboxSettings ?? {});
  const connection = await Connection.connect({ address });
  const client = new Client({
    connection,
    namespace: testConfig.namespace,
    dataConverter: poolflowDataConverter(),
    interceptors: { workflow: [tracingClientInterceptor()] },
  });
  const taskQueue = uniqueId('pools');
  let worker: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;
  if (options.worker !== false) {
    const workerConnection = await NativeConnection.connect({ address });
    const created = await createPoolsWorker({
      connection: workerConnection,
      namespace: testConfig.namespace,
      client,
      db,
      redis,
      stripe: kit.stripe,
      taskQueue,
      workflowBundle: await workflowBundle(),
    });
    worker = { worker: created, running: created.run(), connection: workerConnection };
  }
  const poolIds: string[] = [];

  /** Leaves nothing of this harness running on a dev server that other test files share. */
  const cleanUp = async (poolId: string) => {
    const running = client.workflow.list({ query: `PoolId = '${poolId}' AND ExecutionStatus = 'Running'` });
    const ids = new Set([workflowIds.pool(poolId)]);
    for await (const execution of running) ids.add(execution.workflowId);
    for (const id of ids) {
      const handle = client.workflow.getHandle(id);
      const { status } = await handle.describe().catch(() => ({ status: { name: 'NOT_FOUND' } }));
      if (status.name === 'RUNNING') await handle.terminate('test finished');
    }
    try {
      await client.schedule.getHandle(workflowIds.poolSchedule(poolId)).delete();
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
  };

  return {
    address,
    client,
    db,
    redis,
    kit,
    taskQueue,
    member: (testCard) => onboardedMember(kit, testCard),
    async startPool(input, start = {}) {
      const poolId = start.poolId ?? uniqueId('pool');
      poolIds.push(poolId);
      return client.workflow.start(poolWorkflow, {
        workflowId: workflowIds.pool(poolId),
        taskQueue,
        args: [{ poolId, managerId: start.managerId ?? 'manager-1', config: poolConfigSchema.parse(input), seed: start.seed ?? randomUUID() }],
      });
    },
    async roundResult(poolId, round, timeoutMs = 60_000) {
      const handle = client.workflow.getHandle<typeof contributionRound>(workflowIds.round(poolId, round));
      await eventually(`round ${round} of pool ${poolId} to start`, async () => (await handle.describe(), true), timeoutMs);
      return roundResultOf(await handle.result());
    },
    ledgerViolations: (poolId) => checkLedgerInvariants(db, { accountPrefix: `pool:${poolId}:` }),
    async ledgerTransferKeys(kind, poolId) {
      const { rows } = await db.query<{ idempotency_key: string }>(
        'SELECT idempotency_key FROM ledger_transfers WHERE starts_with(idempotency_key, $1) ORDER BY idempotency_key',
        [`ledger:${kind}:${poolId}:`],
      );
      return rows.map((row) => row.idempotency_key);
    },
    async close() {
      for (const poolId of poolIds) await cleanUp(poolId);
      if (worker) {
        worker.worker.shutdown();
        await worker.running;
        await worker.connection.close();
      }
      await connection.close();
      await kit.close();
      await db.end();
      redis.disconnect();
    },
  };
}
