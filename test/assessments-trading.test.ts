// Trading an assessment through the API against real market data in Redis and the risk monitor, on the
// dev server: a price move alone, with no trade, fails the assessment through the monitor's signal and
// the workflow's own re-check (tick-to-verdict latency measured); a stop-loss closes its position when
// the price crosses it; orders that break a rule are refused and change nothing; imported fill batches
// apply whole or not at all.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { listEvents } from '../db/assessments/events';
import { workflowIds } from '../temporal-config/workflow-ids';
import { assessmentViewQuery } from '../workflows/assessments/assessment';
import { tokenFor } from './support/api';
import { startAssessmentHarness, type AssessmentHarness } from './support/assessment-harness';
import { leaderboardKey, leaderboardNamesKey } from '../cache/keys';

type View = {
  status: string;
  version: number;
  endedReason: string | null;
  evaluation: { live: { equityMinor: string; openPositions: number; balanceMinor: string }; violations: Array<{ rule: string; explanation: string }> };
};

describe('trading an assessment', () => {
  let h: AssessmentHarness;

  before(async () => {
    h = await startAssessmentHarness();
  });
  after(async () => {
    await h.close();
  });

  async function activeAssessment(tier = 'two-step-100k'): Promise<{ traderId: string; assessmentId: string }> {
    const traderId = await h.trader();
    const bought = await h.call<{ assessment: { assessmentId: string } }>('POST', '/v1/assessments', traderId, 'trader', { tier, displayName: 'Trader T' });
    assert.equal(bought.status, 201, JSON.stringify(bought.body));
    await h.waitFor(bought.body.assessment.assessmentId, (row) => row.status === 'active');
    await until(
      () => view(bought.body.assessment.assessmentId),
      (v) => v !== null,
    );
    return { traderId, assessmentId: bought.body.assessment.assessmentId };
  }

  const view = (assessmentId: string) => h.client.workflow.getHandle(workflowIds.assessment(assessmentId)).query(assessmentViewQuery) as Promise<View | null>;

  async function until<T>(read: () => Promise<T>, ready: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (ready(value)) return value;
      if (Date.now() > deadline) throw new Error(`never ready: ${String(JSON.stringify(value)).slice(0, 500)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  test('a price move alone fails the assessment, with the numbers, within a bounded tick-to-verdict latency', async () => {
    const latenciesMs: number[] = [];
    for (let run = 0; run < 3; run++) {
      await h.tick('BTC-USD', '64000');
      const { traderId, assessmentId } = await activeAssessment();
      const order = await h.call<{ fill: { price: string; commissionMinor: string } }>('POST', `/v1/assessments/${assessmentId}/orders`, traderId, 'trader', {
        action: 'open',
        symbol: 'BTC-USD',
        side: 'long',
        quantity: '10',
      });
      assert.equal(order.status, 201, JSON.stringify(order.body));
      assert.equal(order.body.fill.price, '64005'); // the ask: price + half spread of 5
      assert.equal(order.body.fill.commissionMinor, '3000');
      const afterOrder = await until(
        () => Promise.resolve(h.monitor.evaluator.watching(assessmentId)),
        (w) => w?.positions === 1,
      );
      const eventsBefore = (await listEvents(h.db, assessmentId, 0)).length;

      // 10 BTC valued at the bid 63,395 against 64,005: -6,100 USD, and -30 commission: equity 93,870 < 95,000.
      const publishedAt = performance.now();
      await h.tick('BTC-USD', '63400');
      const failed = await until(
        () => view(assessmentId),
        (v) => v?.status === 'failed',
      );
      latenciesMs.push(performance.now() - publishedAt);

      // The failed account is liquidated at the bid, paying the closing commission too: 93,840 USD.
      assert.equal(failed!.evaluation.live.equityMinor, '9384000');
      assert.equal(failed!.evaluation.live.openPositions, 0);
      const dailyLoss = failed!.evaluation.violations.find((v) => v.rule === 'daily-loss');
      assert.ok(dailyLoss, JSON.stringify(failed!.evaluation.violations));
      assert.match(failed!.endedReason ?? '', /daily/i);
      const row = await h.waitFor(assessmentId, (r) => r.status === 'failed');
      assert.ok(row.endedAt);
      // Nothing was traded to cause it: after the order, only prices entered the log.
      const events = await listEvents(h.db, assessmentId, 0);
      assert.ok(
        events.slice(eventsBefore).every((e) => e.kind === 'tick'),
        JSON.stringify(events.slice(eventsBefore)),
      );
      assert.ok(events.slice(eventsBefore).some((e) => e.source === 'risk-monitor'));
      assert.ok(afterOrder);
      const violations = await h.call<{ violations: Array<{ rule: string; severity: string }> }>(
        'GET',
        `/v1/assessments/${assessmentId}/violations`,
        traderId,
        'trader',
      );
      assert.ok(violations.body.violations.some((v) => v.rule === 'daily-loss' && v.severity === 'hard'));
      // The phase's report was written when it ended: statistics, violations explained, the equity curve.
      const report = await h.call<{ result: string; statistics: Record<string, unknown>; evaluation: { violations: Array<{ explanation: string }> } }>(
        'GET',
        `/v1/assessments/${assessmentId}/report`,
        traderId,
        'trader',
      );
      assert.equal(report.status, 200, JSON.stringify(report.body));
      assert.equal(report.body.result, 'failed');
      assert.ok(report.body.statistics);
      assert.ok(report.body.evaluation.violations.some((v) => v.explanation.length > 20));
      const svg = await fetch(`${h.baseUrl}/v1/assessments/${assessmentId}/report.svg`, {
        headers: { authorization: `Bearer ${await tokenFor(traderId, 'trader')}` },
      });
      assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
      assert.match(await svg.text(), /^<svg[\s\S]*<\/svg>$/);
      // The monitor stopped watching the ended assessment.
      await until(
        () => Promise.resolve(h.monitor.evaluator.watching(assessmentId)),
        (w) => w === undefined,
      );
    }
    const sorted = [...latenciesMs].sort((a, b) => a - b);
    console.log(
      `tick-to-verdict latency over ${sorted.length} breaches: min ${sorted[0]!.toFixed(0)} ms, median ${sorted[1]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`,
    );
    // Generous: the machine is shared; the point is a verdict on the price, not at the next trade.
    assert.ok(sorted.at(-1)! < 10_000, `tick-to-verdict took ${sorted.at(-1)} ms`);
  });

  test('a stop-loss closes its position when the price crosses it', async () => {
    await h.tick('ETH-USD', '3200');
    const { traderId, assessmentId } = await activeAssessment();
    const order = await h.call('POST', `/v1/assessments/${assessmentId}/orders`, traderId, 'trader', {
      action: 'open',
      symbol: 'ETH-USD',
      side: 'long',
      quantity: '2',
      stopLoss: '3150',
      takeProfit: '3400',
    });
    assert.equal(order.status, 201, JSON.stringify(order.body));
    await until(
      () => Promise.resolve(h.monitor.evaluator.watching(assessmentId)),
      (w) => w?.positions === 1,
    );
    await h.tick('ETH-USD', '3140');
    const flat = await until(
      () => view(assessmentId),
      (v) => v?.evaluation.live.openPositions === 0,
    );
    assert.equal(flat!.status, 'active');
    const trades = await until(
      async () => (await h.db.query<{ reason: string }>(`SELECT reason FROM assessment_trades WHERE assessment_id = $1`, [assessmentId])).rows,
      (rows) => rows.length > 0,
    );
    assert.deepEqual(
      trades.map((r) => r.reason),
      ['stop-loss'],
    );
    // While the phase runs, its report is built on demand.
    const report = await h.call<{ result: string; trades: Array<{ reason: string }> }>('GET', `/v1/assessments/${assessmentId}/report`, traderId, 'trader');
    assert.equal(report.status, 200, JSON.stringify(report.body));
    assert.equal(report.body.result, 'in-progress');
    assert.deepEqual(
      report.body.trades.map((t) => t.reason),
      ['stop-loss'],
    );
  });

  test('a refused order changes nothing, and a close order closes at the bid', async () => {
    await h.tick('SOL-USD', '150');
    const { traderId, assessmentId } = await activeAssessment('futures-50k');
    const before = (await view(assessmentId))!;
    // The futures pack allows at most 10 units in one symbol.
    const tooBig = await h.call<{ title: string; detail: string }>('POST', `/v1/assessments/${assessmentId}/orders`, traderId, 'trader', {
      action: 'open',
      symbol: 'SOL-USD',
      side: 'long',
      quantity: '11',
    });
    assert.equal(tooBig.status, 422, JSON.stringify(tooBig.body));
    assert.equal(tooBig.body.title, 'OrderRefused');
    assert.match(tooBig.body.detail, /max-position-size/);
    assert.equal((await view(assessmentId))!.version, before.version);
    const noPrice = await h.call('POST', `/v1/assessments/${assessmentId}/orders`, traderId, 'trader', {
      action: 'open',
      symbol: 'ZZZ-USD',
      side: 'long',
      quantity: '1',
    });
    assert.equal(noPrice.status, 409);

    const opened = await h.call<{ fill: { fillId: string } }>('POST', `/v1/assessments/${assessmentId}/orders`, traderId, 'trader', {
      action: 'open',
      symbol: 'SOL-USD',
      side: 'short',
      quantity: '5',
    });
    assert.equal(opened.status, 201);
    await h.tick('SOL-USD', '140');
    const closed = await h.call<{ fill: { price: string }; view: View }>('POST', `/v1/assessments/${assessmentId}/orders`, traderId, 'trader', {
      action: 'close',
      positionId: opened.body.fill.fillId,
    });
    assert.equal(closed.status, 201, JSON.stringify(closed.body));
    assert.equal(closed.body.fill.price, '140.02'); // a short closes at the ask
    // Sold at the bid 149.98, bought back at 140.02: 9.96 × 5 = 49.80 USD, less 2 × 5 × 0.02 commission.
    assert.equal(BigInt(closed.body.view.evaluation.live.balanceMinor) - 5_000_000n, 4_980n - 20n);
  });

  test('leaderboards rank a tier by return with display names only, and rebuild from the database alike', async () => {
    type Board = { rows: Array<{ rank: number; assessmentId: string; displayName: string; returnBps: number }> };
    const { traderId } = await activeAssessment();
    const board = await until(
      () => h.call<Board>('GET', '/v1/assessment-leaderboards/two-step-100k?limit=100', traderId, 'trader'),
      (r) => r.status === 200 && r.body.rows.length >= 4,
    );
    assert.equal(board.status, 200);
    assert.ok(
      board.body.rows.every((row, i, all) => i === 0 || all[i - 1]!.returnBps >= row.returnBps),
      'ordered by return',
    );
    assert.ok(
      board.body.rows.every((row) => Object.keys(row).sort().join() === 'assessmentId,displayName,rank,returnBps' && !JSON.stringify(row).includes('trader-')),
    );
    await h.redis.del(leaderboardKey('two-step-100k'), leaderboardNamesKey('two-step-100k'));
    assert.equal((await h.call('POST', '/v1/assessment-leaderboards/two-step-100k/rebuild', traderId, 'trader')).status, 403);
    const rebuilt = await h.call<Board>('POST', '/v1/assessment-leaderboards/two-step-100k/rebuild', 'ops-1', 'ops');
    assert.equal(rebuilt.status, 200, JSON.stringify(rebuilt.body));
    // The test database is shared with other test files: the rebuilt board may hold their assessments
    // too, and must hold this board's with the same names and returns, in the same order.
    const ours = new Set(board.body.rows.map((row) => row.assessmentId));
    const strip = (rows: Board['rows']) => rows.filter((row) => ours.has(row.assessmentId)).map(({ rank: _rank, ...row }) => row);
    assert.deepEqual(strip(rebuilt.body.rows), strip(board.body.rows));
    assert.ok(rebuilt.body.rows.every((row, i, all) => i === 0 || all[i - 1]!.returnBps >= row.returnBps));
  });

  test('imported fills apply as a whole batch, or not at all', async () => {
    const { traderId, assessmentId } = await activeAssessment('one-step-50k');
    // Fills executed after the assessment began (an external platform's clock, a little ahead).
    const now = Date.now() + 2_000;
    const batch = {
      fills: [
        {
          externalId: 'ext-1',
          kind: 'open',
          symbol: 'ETH-USD',
          side: 'long',
          quantity: '1',
          price: '3000',
          commissionMinor: '50',
          executedAtMs: now,
          stopLoss: '2990',
        },
        { externalId: 'ext-2', kind: 'close', openedBy: 'ext-1', quantity: '1', price: '3010', commissionMinor: '50', executedAtMs: now + 1_000 },
      ],
    };
    const imported = await h.call<{ applied: number; view: View }>('POST', `/v1/assessments/${assessmentId}/fills`, traderId, 'trader', batch);
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    assert.equal(imported.body.applied, 2);
    assert.equal(imported.body.view.evaluation.live.balanceMinor, String(5_000_000 + 1_000 - 100));
    const again = await h.call<{ applied: number; duplicates: number }>('POST', `/v1/assessments/${assessmentId}/fills`, traderId, 'trader', batch);
    assert.equal(again.status, 200);
    assert.deepEqual([again.body.applied, again.body.duplicates], [0, 2]);

    const versionBefore = (await view(assessmentId))!.version;
    const eventsBefore = (await listEvents(h.db, assessmentId, 0)).length;
    // The second fill closes a position nobody opened: the whole batch is refused, the first not applied.
    const bad = await h.call('POST', `/v1/assessments/${assessmentId}/fills`, traderId, 'trader', {
      fills: [
        {
          externalId: 'ext-3',
          kind: 'open',
          symbol: 'ETH-USD',
          side: 'long',
          quantity: '1',
          price: '3000',
          commissionMinor: '50',
          executedAtMs: now + 2_000,
          stopLoss: '2990',
        },
        { externalId: 'ext-4', kind: 'close', openedBy: 'nobody', quantity: '1', price: '3010', commissionMinor: '50', executedAtMs: now + 3_000 },
      ],
    });
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    assert.equal((await view(assessmentId))!.version, versionBefore);
    assert.equal((await listEvents(h.db, assessmentId, 0)).length, eventsBefore);
  });
});
