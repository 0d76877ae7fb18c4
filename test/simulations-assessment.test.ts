// "Simulate this assessment" through the API on the dev server, with an assessments worker and a
// simulations worker: the batch's parameters come from the running assessment (its pack, the account as
// the workflow holds it, the phase's own closed trades) and the batch completes; another trader and other
// roles are told the assessment does not exist; bad input is a 4xx that starts nothing, and so is an
// assessment with no closed trade to draw from.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Hono } from 'hono';
import type { AppEnv } from '../api/context';
import { createThreadPool, type ThreadPool } from '../activities/simulations/thread-pool';
import { listTrades } from '../db/assessments/events';
import type { ClosedTrade } from '../domain/assessments/account-state';
import { createLogger } from '../observability/log';
import { workflowIds } from '../temporal-config/workflow-ids';
import { createSimulationsWorker } from '../workers/simulations-worker';
import { assessmentAccountQuery } from '../workflows/assessments/assessment';
import { authHeaders, testApiDeps, testApp } from './support/api';
import { startAssessmentHarness, type AssessmentHarness } from './support/assessment-harness';
import { contractChecker } from './support/contract';
import { devServerWorkerConnection, uniqueId, workflowBundle } from './support/env';
import { eventually } from './support/eventually';

// The test database keeps batches between runs of one file, and equal requests share a batch: a seed per run.
const runSeed = randomInt(2 ** 40);

interface Batch {
  batchId: string;
  status: string;
  result: { report: Record<string, { estimate: number }> } | null;
}

describe('simulate this assessment', () => {
  let h: AssessmentHarness;
  let threads: ThreadPool;
  let workerConnection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let app: Hono<AppEnv>;
  let check: ReturnType<typeof contractChecker>;
  let owner: string;
  let assessmentId: string;
  let path: string;

  const call = async (sub: string, role: 'trader' | 'ops' | 'manager' | 'member', body: unknown, to = path) =>
    app.request(to, { method: 'POST', headers: await authHeaders(sub, role), body: JSON.stringify(body) });
  const batchCount = async () => (await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM simulation_batches')).rows[0]!.n;
  const order = async (body: unknown) => {
    const response = await h.call<{ fill: { fillId: string } }>('POST', `/v1/assessments/${assessmentId}/orders`, owner, 'trader', body);
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.fill.fillId;
  };

  before(async () => {
    h = await startAssessmentHarness({ monitor: false });
    const simulationsQueue = uniqueId('simassess');
    threads = createThreadPool(1);
    workerConnection = await devServerWorkerConnection();
    worker = await createSimulationsWorker({
      connection: workerConnection,
      namespace: 'default',
      db: h.db,
      redis: h.redis,
      threads,
      log: createLogger('simassess-test'),
      identity: 'simassess',
      taskQueue: simulationsQueue,
      workflowBundle: await workflowBundle(),
    });
    running = worker.run();
    app = testApp({
      ...testApiDeps({ temporal: h.client, db: h.db, redis: h.redis, stripe: h.kit.stripe, poolsTaskQueue: uniqueId('unused'), redisKeyPrefix: h.keyPrefix }),
      assessmentsTaskQueue: h.taskQueue,
      simulationsTaskQueue: simulationsQueue,
    });
    check = contractChecker((await (await app.request('/openapi.json')).json()) as Parameters<typeof contractChecker>[0]);

    await h.tick('BTC-USD', '64000');
    owner = await h.trader();
    const bought = await h.call<{ assessment: { assessmentId: string } }>('POST', '/v1/assessments', owner, 'trader', {
      tier: 'two-step-100k',
      displayName: 'Owner S',
    });
    assessmentId = bought.body.assessment.assessmentId;
    path = `/v1/simulations/assessments/${assessmentId}`;
    await h.waitFor(assessmentId, (row) => row.status === 'active');
  });

  after(async () => {
    worker.shutdown();
    await running;
    await threads.close();
    await workerConnection.close();
    await h.close();
  });

  test('bad input, and an assessment with no closed trade to draw from, are refused and start nothing', async () => {
    const before = await batchCount();
    for (const body of [{ paths: 0 }, { paths: 1_024, tradesPerDay: 0 }, { paths: 1_024, winRate: 0.9 }, {}]) {
      const response = await call(owner, 'trader', body);
      assert.equal(response.status, 422, JSON.stringify(body));
      await check('post', '/v1/simulations/assessments/{assessmentId}', response);
    }
    assert.equal((await call(owner, 'trader', { paths: 1_024 }, '/v1/simulations/assessments/not-an-id')).status, 422);
    const noTrades = await call(owner, 'trader', { paths: 1_024 });
    assert.equal(noTrades.status, 409);
    assert.match(((await noTrades.json()) as { detail: string }).detail, /no closed trades/);
    assert.equal(await batchCount(), before);
  });

  test('another trader and other roles are told it does not exist; its trader and ops may simulate it', async () => {
    // Two closed trades: a loss and a gain.
    const first = await order({ action: 'open', symbol: 'BTC-USD', side: 'long', quantity: '0.5' });
    await h.tick('BTC-USD', '63500');
    await order({ action: 'close', positionId: first });
    const second = await order({ action: 'open', symbol: 'BTC-USD', side: 'long', quantity: '0.5' });
    await h.tick('BTC-USD', '65000');
    await order({ action: 'close', positionId: second });

    const before = await batchCount();
    const intruder = await h.trader();
    for (const [sub, role] of [
      [intruder, 'trader'],
      ['some-manager', 'manager'],
      ['some-member', 'member'],
    ] as const) {
      const response = await call(sub, role, { paths: 1_024 });
      assert.equal(response.status, 404, `${role} ${sub}`);
      await check('post', '/v1/simulations/assessments/{assessmentId}', response);
    }
    assert.equal((await call('ops-1', 'ops', { paths: 1_024 }, `/v1/simulations/assessments/${crypto.randomUUID()}`)).status, 404);
    assert.equal(await batchCount(), before, 'nothing started for a refused caller');

    const created = await call(owner, 'trader', { paths: 4_096, seed: runSeed, tradesPerDay: 4 });
    assert.equal(created.status, 202);
    const batch = (await check('post', '/v1/simulations/assessments/{assessmentId}', created)) as Batch;

    // The parameters are the assessment's: its pack and phase, its account as the workflow holds it, its own trades.
    const account = (await h.client.workflow.getHandle(workflowIds.assessment(assessmentId)).query(assessmentAccountQuery))!;
    const trades = await listTrades<ClosedTrade>(h.db, assessmentId, account.phaseIndex);
    assert.equal(trades.length, 2);
    const stored = (
      await h.db.query<{
        params: {
          rules: { rulePack: { tierId: string }; phase: number };
          tradesPerDay: number;
          initialBalanceMinor: number;
          fromHere: Record<string, unknown>;
        };
      }>('SELECT params FROM simulation_batches WHERE batch_id = $1', [batch.batchId])
    ).rows[0]!.params;
    assert.equal(stored.rules.rulePack.tierId, 'two-step-100k');
    assert.equal(stored.rules.phase, account.phaseIndex);
    assert.equal(stored.tradesPerDay, 4);
    assert.equal(stored.initialBalanceMinor, Number(account.initialBalanceMinor));
    assert.deepEqual(stored.fromHere, {
      tradePnlMinor: trades.map((t) => Number(t.netPnlMinor)),
      balanceMinor: Number(account.balanceMinor),
      endOfDayHighMinor: Number(account.endOfDayHighMinor),
      highMinor: Number(account.equityHighMinor),
      bestDayMinor: Number(account.closedDays.bestDayPnlMinor),
      day: account.closedDays.count,
      tradingDays: account.closedDays.countedTradingDays,
    });
    assert.ok(trades.some((t) => BigInt(t.netPnlMinor) < 0n) && trades.some((t) => BigInt(t.netPnlMinor) > 0n), 'a loss and a gain to draw from');

    const done = await eventually(
      'the assessment batch to complete',
      async () => {
        const response = await app.request(`/v1/simulations/${batch.batchId}`, { headers: await authHeaders(owner, 'trader') });
        const b = (await response.json()) as Batch;
        return b.status === 'completed' ? b : undefined;
      },
      120_000,
    );
    const report = done.result!.report;
    assert.ok(Math.abs(report.pass!.estimate + report.fail!.estimate + report.timeout!.estimate - 1) < 1e-12);
    // Another trader cannot read the batch either; ops asking the same of the same assessment get the batch already run.
    assert.equal((await app.request(`/v1/simulations/${batch.batchId}`, { headers: await authHeaders(intruder, 'trader') })).status, 404);
    const byOps = await call('ops-1', 'ops', { paths: 4_096, seed: runSeed, tradesPerDay: 4 });
    assert.equal(byOps.status, 200);
    assert.equal(((await byOps.json()) as Batch).batchId, batch.batchId);
  });
});
