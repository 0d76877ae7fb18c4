// Assessments against their own baselines, in the same run on the same machine:
//   1. trades per second through the assessment workflow (market orders as Temporal updates: price,
//      pure rules, recording) versus pure evaluation of the very same logged events (applyEvent);
//   2. risk-monitor tick throughput with BENCH_OPEN_ASSESSMENTS (10,000) open assessments versus a bare
//      loop marking the same positions without rules;
//   3. tick-to-verdict latency (p50/p99) under load: one breaching tick fails BENCH_BREACHES assessments
//      at once, through the risk monitor, the workflows' re-check and their verdicts.
// Each is measured BENCH_RUNS (3) times; min / median / max are printed.
// Run: set -a; . .data/test.env; set +a; npx tsx bench/assessments/evaluation.ts   (see bench/README.md)
import { listEvents } from '../../db/assessments/events';
import { findPack } from '../../db/assessments/rule-packs';
import { applyEvent, applyFill, startPhase, type AccountEvent, type AccountState } from '../../domain/assessments/index';
import { assessmentUpdateId } from '../../domain/core/idempotency-keys';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { loadTestStackEnv } from '../../test/support/stack-env';
import { createSyntheticWalk } from '../../workers/assessments/market-data/synthetic-feed';
import { createRiskEvaluator } from '../../workers/assessments/risk-monitor/evaluator';
import { assessmentViewQuery, placeOrderUpdate } from '../../workflows/assessments/assessment';

// The harness' modules read the stack's variables and install the Temporal runtime as they load.
loadTestStackEnv();
const { startAssessmentHarness } = await import('../../test/support/assessment-harness');

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TRADERS = Number(process.env.BENCH_TRADERS ?? 4);
/** Orders per trader per run (half open, half close). */
const ORDERS = Number(process.env.BENCH_ORDERS ?? 40);
const OPEN_ASSESSMENTS = Number(process.env.BENCH_OPEN_ASSESSMENTS ?? 10_000);
const TICKS = Number(process.env.BENCH_TICKS ?? 200);
const BREACHES = Number(process.env.BENCH_BREACHES ?? 20);
const PURE_MS_MIN = 300;

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! };
};
const fmt = (s: { min: number; median: number; max: number }, digits = 0) =>
  `min ${s.min.toFixed(digits)} / median ${s.median.toFixed(digits)} / max ${s.max.toFixed(digits)}`;
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)]!;

const h = await startAssessmentHarness();
try {
  async function activeAssessment(): Promise<{ traderId: string; assessmentId: string }> {
    const traderId = await h.trader();
    const bought = await h.call<{ assessment: { assessmentId: string } }>('POST', '/v1/assessments', traderId, 'trader', {
      tier: 'two-step-100k',
      displayName: 'Bench B',
    });
    const { assessmentId } = bought.body.assessment;
    await h.waitFor(assessmentId, (row) => row.status === 'active');
    for (;;) {
      if (await h.client.workflow.getHandle(workflowIds.assessment(assessmentId)).query(assessmentViewQuery)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { traderId, assessmentId };
  }
  const pack = (await findPack(h.db, 'two-step-100k-v1'))!.pack;

  // 1. Trades through the workflow versus pure evaluation of the same events.
  const workflowRates: number[] = [];
  const pureRates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await h.tick('ETH-USD', '3200');
    const assessments = await Promise.all(Array.from({ length: TRADERS }, activeAssessment));
    const startedAt = performance.now();
    await Promise.all(
      assessments.map(async ({ assessmentId }, trader) => {
        const handle = h.client.workflow.getHandle(workflowIds.assessment(assessmentId));
        for (let i = 0; i < ORDERS / 2; i++) {
          const key = `bench-${run}-${trader}-${i}`;
          const opened = await handle.executeUpdate(placeOrderUpdate, {
            args: [{ orderKey: key, order: { action: 'open', symbol: 'ETH-USD', side: 'long', quantity: '1' } }],
            updateId: assessmentUpdateId('order', key),
          });
          await handle.executeUpdate(placeOrderUpdate, {
            args: [{ orderKey: `${key}-c`, order: { action: 'close', positionId: opened.fill!.fillId } }],
            updateId: assessmentUpdateId('order', `${key}-c`),
          });
        }
      }),
    );
    const workflowSeconds = (performance.now() - startedAt) / 1000;
    workflowRates.push((TRADERS * ORDERS) / workflowSeconds);

    // The same logged events (prices and fills) applied by the pure rules alone, repeated for a stable figure.
    const logs = await Promise.all(
      assessments.map(async ({ assessmentId }) =>
        (await listEvents(h.db, assessmentId, 0)).map((e) => e.event as AccountEvent | { kind: 'phase-start'; atMs: number }),
      ),
    );
    let fills = 0;
    let rounds = 0;
    const pureStartedAt = performance.now();
    while (performance.now() - pureStartedAt < PURE_MS_MIN) {
      for (const log of logs) {
        const start = log[0] as { kind: 'phase-start'; atMs: number };
        let state = startPhase(pack, 0, start.atMs);
        for (const event of log.slice(1) as AccountEvent[]) {
          state = applyEvent(state, pack, event).state;
          if (event.kind === 'fill' && rounds === 0) fills++;
        }
      }
      rounds++;
    }
    pureRates.push((fills * rounds) / ((performance.now() - pureStartedAt) / 1000));
  }
  const wf = stats(workflowRates);
  const pure = stats(pureRates);
  console.log(`trades/s through the workflow (${TRADERS} traders × ${ORDERS} orders, updates on the dev server): ${fmt(wf)}`);
  console.log(`trades/s by pure evaluation of the same logged events:                  ${fmt(pure)}`);
  console.log(`workflow / pure (median): ${((wf.median / pure.median) * 100).toFixed(3)} %  (pure is ${(pure.median / wf.median).toFixed(0)}× faster)`);

  // 2. Risk-monitor tick throughput with OPEN_ASSESSMENTS open assessments versus a bare loop.
  const evaluator = createRiskEvaluator();
  const t0 = Date.now();
  for (let i = 0; i < OPEN_ASSESSMENTS; i++) {
    let account: AccountState = startPhase(pack, 0, t0);
    account = applyFill(account, pack, {
      kind: 'open',
      fillId: `p-${i}`,
      atMs: t0,
      symbol: 'BTC-USD',
      side: i % 2 === 0 ? 'long' : 'short',
      quantity: '0.1',
      price: '64000',
      commissionMinor: '30',
    }).state;
    evaluator.update(`a-${i}`, { assessmentId: `a-${i}`, packId: 'two-step-100k-v1', version: 1, account }, pack);
  }
  const walk = createSyntheticWalk('bench', [{ symbol: 'BTC-USD', start: '64000', stepBpsMax: 3, jumpPpm: 0, jumpBps: 0 }]);
  const ticks = Array.from({ length: TICKS }, (_, i) => ({ symbol: 'BTC-USD', price: walk.next()[0]!.price, atMs: t0 + 1 + i }));
  const monitorRates: number[] = [];
  const bareRates: number[] = [];
  let signals = 0;
  for (let run = 0; run < RUNS; run++) {
    const offset = (run + 1) * TICKS;
    let startedAt = performance.now();
    for (const tick of ticks) signals += evaluator.onTick({ ...tick, atMs: tick.atMs + offset }, Date.now()).length;
    monitorRates.push((TICKS * OPEN_ASSESSMENTS) / ((performance.now() - startedAt) / 1000));
    startedAt = performance.now();
    let total = 0n;
    for (const tick of ticks) total += evaluator.bareMark(tick);
    bareRates.push((TICKS * OPEN_ASSESSMENTS) / ((performance.now() - startedAt) / 1000));
    if (total === -1n) console.log('unreachable');
  }
  const mon = stats(monitorRates);
  const bare = stats(bareRates);
  console.log(
    `risk monitor, ${OPEN_ASSESSMENTS} open assessments × ${TICKS} ticks: account evaluations/s ${fmt(mon)} (ticks/s median ${(mon.median / OPEN_ASSESSMENTS).toFixed(1)}); signals ${signals}`,
  );
  console.log(`bare loop over the same positions:                      marks/s ${fmt(bare)} (ticks/s median ${(bare.median / OPEN_ASSESSMENTS).toFixed(1)})`);
  console.log(`monitor / bare loop (median): ${((mon.median / bare.median) * 100).toFixed(1)} %`);

  // 3. Tick-to-verdict under load: one tick breaches BREACHES assessments at once.
  const p50s: number[] = [];
  const p99s: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await h.tick('BTC-USD', '64000');
    const assessments = await Promise.all(Array.from({ length: BREACHES }, activeAssessment));
    for (const { traderId, assessmentId } of assessments) {
      const order = await h.call('POST', `/v1/assessments/${assessmentId}/orders`, traderId, 'trader', {
        action: 'open',
        symbol: 'BTC-USD',
        side: 'long',
        quantity: '10',
      });
      if (order.status !== 201) throw new Error(`order refused: ${JSON.stringify(order.body)}`);
    }
    while (assessments.some(({ assessmentId }) => h.monitor.evaluator.watching(assessmentId)?.positions !== 1))
      await new Promise((resolve) => setTimeout(resolve, 20));
    const publishedAt = performance.now();
    await h.tick('BTC-USD', '63000');
    const latencies = await Promise.all(
      assessments.map(async ({ assessmentId }) => {
        const handle = h.client.workflow.getHandle(workflowIds.assessment(assessmentId));
        for (;;) {
          if ((await handle.query(assessmentViewQuery))?.status === 'failed') return performance.now() - publishedAt;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }),
    );
    p50s.push(percentile(latencies, 50));
    p99s.push(percentile(latencies, 99));
  }
  console.log(`tick-to-verdict, ${BREACHES} assessments breached by one tick: p50 ms ${fmt(stats(p50s))}; p99 ms ${fmt(stats(p99s))}`);
} finally {
  await h.close();
}
