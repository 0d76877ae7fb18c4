// /v1/simulations through the real app, a simulations worker on the dev server, PostgreSQL and Redis:
// a 10-million path-step batch runs with visible progress (query and event stream) and renders its
// charts; the same request is answered from the stored batch; bad input is a 422 naming the field;
// only those who asked (or ops, or the pool's manager) see a batch; "simulate this pool" reads the pool's
// live state and history from the database and refuses members and strangers.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Client, Connection } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Hono } from 'hono';
import { createPoolProjectionActivities } from '../../activities/pools/pool-projections';
import { createThreadPool, type ThreadPool } from '../../activities/simulations/thread-pool';
import type { Redis } from '../../cache/redis';
import { ensureAccounts } from '../../db/ledger/accounts';
import { chart } from '../../db/ledger/chart';
import { postTransfer } from '../../db/ledger/transfers';
import type { Db } from '../../db/pool';
import { parseCurrency } from '../../domain/core/money';
import { poolConfigSchema } from '../../domain/pools/pool-config';
import type { PoolView } from '../../domain/pools/pool-view';
import { createLogger } from '../../observability/log';
import { contractChecker } from '../../test/support/contract';
import { authHeaders, testApiDeps, testApp } from '../../test/support/api';
import { devServerClient, devServerWorkerConnection, testDb, testRedis, testStripe, uniqueId, workflowBundle } from '../../test/support/env';
import { eventually } from '../../test/support/eventually';
import { parseSvgElements } from '../../test/support/svg';
import { createSimulationsWorker } from '../../workers/simulations-worker';
import type { AppEnv } from '../context';

interface Batch {
  batchId: string;
  status: string;
  seed: number;
  pathCount: number;
  progress: { pathsDone: number; pathCount: number; chunksDone: number; chunkCount: number; status: string };
  result: { pathSteps: number; report: Record<string, unknown>; histograms: Array<{ name: string }> } | null;
  links: { fanChart: string; histogram: string; events: string; progress: string };
}

// Seeds differ per run: the test database keeps batches between runs of one file, and equal requests share a batch.
const runSeed = randomInt(2 ** 40);
const TEN_MILLION = {
  model: 'investment',
  paths: 40_000,
  seed: runSeed,
  chunks: 8,
  params: {
    initialMinor: 1_000_000,
    contributionMinor: 10_000,
    periods: 250,
    periodsPerYear: 250,
    managementFeeBps: 100,
    returns: { type: 'gbm', drift: 0.07, volatility: 0.25 },
  },
};

describe('simulations API', () => {
  let db: Db;
  let redis: Redis;
  let client: Client;
  let connection: Connection;
  let workerConnection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let threads: ThreadPool;
  let app: Hono<AppEnv>;
  let check: ReturnType<typeof contractChecker>;
  const keyPrefix = `${uniqueId('simapi')}:`;

  const call = async (method: string, path: string, sub: string, role: 'manager' | 'member' | 'ops', body?: unknown) =>
    app.request(path, { method, headers: await authHeaders(sub, role), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  before(async () => {
    db = testDb();
    redis = testRedis(keyPrefix);
    ({ client, connection } = await devServerClient());
    const taskQueue = uniqueId('simapi');
    threads = createThreadPool(2);
    workerConnection = await devServerWorkerConnection();
    worker = await createSimulationsWorker({
      connection: workerConnection,
      namespace: 'default',
      db,
      redis,
      threads,
      log: createLogger('simapi-test'),
      identity: 'api-test',
      taskQueue,
      workflowBundle: await workflowBundle(),
    });
    running = worker.run();
    app = testApp({
      ...testApiDeps({ temporal: client, db, redis, stripe: testStripe(), poolsTaskQueue: uniqueId('unused'), redisKeyPrefix: keyPrefix }),
      simulationsTaskQueue: taskQueue,
    });
    check = contractChecker((await (await app.request('/openapi.json')).json()) as Parameters<typeof contractChecker>[0]);
  });

  after(async () => {
    worker.shutdown();
    await running;
    await threads.close();
    await workerConnection.close();
    await connection.close();
    await db.end();
    redis.disconnect();
  });

  test('a batch of 10 million path-steps finishes with progress visible, and its charts render', async () => {
    const created = await call('POST', '/v1/simulations', 'analyst-1', 'manager', TEN_MILLION);
    assert.equal(created.status, 202);
    const batch = (await check('post', '/v1/simulations', created)) as Batch;
    assert.match(batch.batchId, /^sim_[0-9a-f]{40}$/);

    // Follow the event stream while polling progress.
    const events: Array<{ event: string; data: { pathsDone: number } }> = [];
    const streamed = (async () => {
      const response = await call('GET', batch.links.events, 'analyst-1', 'manager');
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const text = await response.text();
      for (const block of text.split('\n\n')) {
        const event = /^event: (\w+)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) as { pathsDone: number } });
      }
    })();
    const seen: number[] = [];
    const done = await eventually(
      'the batch to complete',
      async () => {
        const response = await call('GET', batch.links.progress, 'analyst-1', 'manager');
        const progress = (await check('get', '/v1/simulations/{batchId}/progress', response)) as Batch['progress'];
        seen.push(progress.pathsDone);
        return progress.status === 'completed' ? progress : undefined;
      },
      180_000,
    );
    await streamed;
    assert.equal(done.pathsDone, 40_000);
    assert.ok(
      seen.some((paths) => paths > 0 && paths < 40_000),
      `progress seen part-way: ${seen.join(', ')}`,
    );
    assert.ok(
      events.some((e) => e.event === 'progress' && e.data.pathsDone > 0 && e.data.pathsDone < 40_000),
      'a progress event part-way',
    );
    assert.equal(events.at(-1)?.event, 'completed');

    const finished = (await check('get', '/v1/simulations/{batchId}', await call('GET', `/v1/simulations/${batch.batchId}`, 'analyst-1', 'manager'))) as Batch;
    assert.equal(finished.status, 'completed');
    assert.equal(finished.result!.pathSteps, 10_000_000);
    assert.ok((finished.result!.report.lossProbability as { estimate: number }).estimate < 0.5);

    const fan = await call('GET', batch.links.fanChart, 'analyst-1', 'manager');
    assert.equal(fan.status, 200);
    const fanSvg = (await check('get', '/v1/simulations/{batchId}/charts/fan.svg', fan)) as string;
    const fanElements = parseSvgElements(fanSvg);
    assert.equal(fanElements.filter((e) => e === 'polygon').length, 2, 'two percentile bands');
    assert.equal(fanElements.filter((e) => e === 'polyline').length, 1, 'the median');
    assert.ok(fanElements.includes('title') && fanElements.filter((e) => e === 'text').length >= 10, 'title and axis labels');

    const histogram = await call('GET', `${batch.links.histogram}?outcome=terminalValueMinor`, 'analyst-1', 'manager');
    const histogramElements = parseSvgElements((await check('get', '/v1/simulations/{batchId}/charts/histogram.svg', histogram)) as string);
    const bars = histogramElements.filter((e) => e === 'rect').length - 1; // less the background
    assert.ok(bars >= 20 && bars <= 80, `${bars} bars`);
    const unknown = await call('GET', `${batch.links.histogram}?outcome=nothing`, 'analyst-1', 'manager');
    assert.equal(unknown.status, 404);

    // The same request again is the same batch, answered from the database at once.
    const again = await call('POST', '/v1/simulations', 'analyst-1', 'manager', { ...TEN_MILLION, chunks: 3 });
    assert.equal(again.status, 200);
    const cached = (await again.json()) as Batch;
    assert.equal(cached.batchId, batch.batchId);
    assert.deepEqual(cached.result, finished.result);
  });

  test('bad input is a 422 naming the field, and records nothing', async () => {
    const before = (await db.query('SELECT count(*)::int AS n FROM simulation_batches')).rows[0].n as number;
    const badParams = await call('POST', '/v1/simulations', 'analyst-2', 'manager', {
      model: 'investment',
      paths: 100,
      params: { initialMinor: -5, periods: 0, periodsPerYear: 12, returns: { type: 'gbm', drift: 0.1, volatility: 0.2 } },
    });
    assert.equal(badParams.status, 422);
    const problem = (await check('post', '/v1/simulations', badParams)) as { errors: Array<{ field: string }> };
    assert.deepEqual([...new Set(problem.errors.map((e) => e.field))].sort(), ['params.initialMinor', 'params.periods']);
    const tooMany = await call('POST', '/v1/simulations', 'analyst-2', 'manager', {
      model: 'investment',
      paths: 100_000_000,
      params: { initialMinor: 1, periods: 10_000, periodsPerYear: 12, returns: { type: 'gbm', drift: 0.1, volatility: 0.2 } },
    });
    assert.equal(tooMany.status, 422);
    assert.deepEqual(
      ((await tooMany.json()) as { errors: Array<{ field: string }> }).errors.map((e) => e.field),
      ['paths'],
    );
    const unknownModel = await call('POST', '/v1/simulations', 'analyst-2', 'manager', { model: 'lottery', paths: 10, params: {} });
    assert.equal(unknownModel.status, 422);
    assert.equal((await db.query('SELECT count(*)::int AS n FROM simulation_batches')).rows[0].n, before);
  });

  test('a batch is visible to whoever asked for it and to ops; to anyone else it does not exist', async () => {
    const body = {
      model: 'assessment',
      paths: 2_048,
      seed: runSeed + 1,
      params: {
        initialBalanceMinor: 100_000,
        tradesPerDay: 3,
        winRate: 0.5,
        rewardToRisk: 1.5,
        riskPerTradeMinor: 1_000,
        rules: { profitTargetMinor: 8_000, dailyLossMinor: 4_999, maxLossMinor: 9_999, timeLimitDays: 30, minTradingDays: 3 },
      },
    };
    const batch = (await (await call('POST', '/v1/simulations', 'trader-1', 'member', body)).json()) as Batch;
    const path = `/v1/simulations/${batch.batchId}`;
    assert.equal((await call('GET', path, 'trader-2', 'member')).status, 404);
    assert.equal((await call('GET', path, 'some-manager', 'manager')).status, 404);
    assert.equal((await call('POST', `${path}/cancel`, 'trader-2', 'member')).status, 404);
    assert.equal((await call('GET', path, 'ops-1', 'ops')).status, 200);
    await eventually(
      'the assessment batch to complete',
      async () => {
        const b = (await (await call('GET', path, 'trader-1', 'member')).json()) as Batch;
        return b.status === 'completed' ? b : undefined;
      },
      120_000,
    ).then((b) => {
      const report = b.result!.report as Record<string, { estimate: number }>;
      assert.ok(Math.abs(report.pass!.estimate + report.fail!.estimate + report.timeout!.estimate - 1) < 1e-12);
    });
    // Asking for the same batch makes the second trader a requester too.
    assert.equal((await call('POST', '/v1/simulations', 'trader-2', 'member', body)).status, 200);
    assert.equal((await call('GET', path, 'trader-2', 'member')).status, 200);
    // A finished batch cannot be cancelled; the fan chart of a model without values over time does not exist.
    assert.equal((await call('POST', `${path}/cancel`, 'trader-1', 'member')).status, 409);
    assert.equal((await call('GET', `${path}/charts/fan.svg`, 'trader-1', 'member')).status, 404);
    assert.equal((await call('GET', '/v1/simulations/not-an-id', 'trader-1', 'member')).status, 422);
  });

  test('simulate this pool: parameters from its live state and payment history; only its manager or ops may', async () => {
    const poolId = uniqueId('simpool');
    const members = ['m-a', 'm-b', 'm-c', 'm-d'];
    const config = poolConfigSchema.parse({
      kind: 'rotating',
      name: 'Sim pool',
      currency: 'usd',
      cadence: { type: 'interval', every: 7, unit: 'days' },
      membersMin: 2,
      membersMax: 10,
      contributionMinor: '5000',
      defaultPolicy: 'cover-from-reserve',
    });
    const view: PoolView = {
      poolId,
      managerId: 'mgr-sim',
      config,
      status: 'active',
      members: members.map((memberId, i) => ({
        memberId,
        status: 'active',
        joinSeq: i + 1,
        commitmentMinor: null,
        paidInMinor: '5000',
        arrearsMinor: '0',
        received: i === 0,
        replacedMemberId: null,
      })),
      payoutOrder: members,
      roundsCompleted: 1,
      roundsPlanned: 4,
      roundInProgress: null,
      bidding: null,
      potMinor: '0',
      recentRounds: [],
      version: 3,
    };
    const projections = createPoolProjectionActivities({ db, redis });
    await projections.projectPool(view);
    // Round 1: m-d did not pay and the reserve covered them.
    await projections.projectRound({
      poolId,
      kind: 'contribution',
      result: {
        round: 1,
        potMinor: '20000',
        payout: null,
        payoutAttempts: 0,
        members: members.map((memberId) => ({
          memberId,
          outcome: memberId === 'm-d' ? 'covered' : 'paid',
          owedMinor: '5000',
          paidMinor: memberId === 'm-d' ? '0' : '5000',
          lateFeeMinor: '0',
          arrearsPaidMinor: '0',
          policyApplied: memberId === 'm-d' ? 'covered' : 'none',
          paymentIntentId: null,
          failureCode: null,
        })),
      },
    });
    // The reserve holds 7,500 in the ledger.
    const reserve = chart.poolReserve(poolId, parseCurrency('usd'));
    const source = chart.memberContributed(poolId, 'm-a', parseCurrency('usd'));
    await ensureAccounts(db, [reserve, source]);
    await postTransfer(db, {
      idempotencyKey: `test:${poolId}:reserve`,
      currency: 'usd',
      postings: [
        { accountKey: source.key, direction: 'debit', amountMinor: 7_500n },
        { accountKey: reserve.key, direction: 'credit', amountMinor: 7_500n },
      ],
    });

    const path = `/v1/simulations/pools/${poolId}`;
    assert.equal((await call('POST', path, 'other-manager', 'manager', { paths: 2_048 })).status, 404);
    assert.equal((await call('POST', path, 'm-a', 'member', { paths: 2_048 })).status, 403);
    assert.equal((await call('POST', '/v1/simulations/pools/nope-pool', 'ops-1', 'ops', { paths: 2_048 })).status, 404);

    const created = await call('POST', path, 'mgr-sim', 'manager', { paths: 2_048, seed: runSeed + 2, defaultProbability: 0.05 });
    assert.equal(created.status, 202);
    const batch = (await check('post', '/v1/simulations/pools/{poolId}', created)) as Batch;
    const stored = (
      await db.query<{ params: { defaultProbabilities: number[]; rounds: number; reserveMinor: number; contributionMinor: number; defaultPolicy: string } }>(
        'SELECT params FROM simulation_batches WHERE batch_id = $1',
        [batch.batchId],
      )
    ).rows[0]!.params;
    // (defaults + 0.05·10) / (rounds + 10): m-d defaulted once in one round.
    assert.deepEqual(stored.defaultProbabilities, [0.5 / 11, 0.5 / 11, 0.5 / 11, 1.5 / 11]);
    assert.equal(stored.rounds, 3);
    assert.equal(stored.reserveMinor, 7_500);
    assert.equal(stored.contributionMinor, 5_000);
    assert.equal(stored.defaultPolicy, 'cover-from-reserve');

    // The pool's manager sees the batch (it is their pool's), ops too; a member does not.
    const done = await eventually(
      'the pool batch to complete',
      async () => {
        const b = (await (await call('GET', `/v1/simulations/${batch.batchId}`, 'ops-2', 'ops')).json()) as Batch;
        return b.status === 'completed' ? b : undefined;
      },
      120_000,
    );
    assert.ok((done.result!.report.shortProbability as { estimate: number }).estimate > 0);
    assert.equal((await call('GET', `/v1/simulations/${batch.batchId}`, 'm-b', 'member')).status, 404);
    const histogram = await call('GET', `/v1/simulations/${batch.batchId}/charts/histogram.svg?outcome=reserveNeededMinor`, 'mgr-sim', 'manager');
    assert.equal(histogram.status, 200);
    parseSvgElements(await histogram.text());
  });
});
