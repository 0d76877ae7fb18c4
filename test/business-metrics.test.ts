// Metrics move with the business: a round with a defaulting member counts paid and defaulted
// contributions, dunning retries, declined charges and the payout; a payout that fails every attempt
// counts an escalation. The endpoints answer: Poolflow's registry over HTTP, the API's request metrics
// by route, and the Temporal SDK's runtime metrics of a worker process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Hono } from 'hono';
import { businessMetrics, httpMetrics, metricsRegistry, serveMetrics } from '../observability/metrics';
import { workflowIds } from '../temporal-config/workflow-ids';
import { poolStateQuery, roundDueSignal } from '../workflows/pools/pool';
import { retryPayoutSignal } from '../workflows/pools/round';
import { startDevPoolHarness } from './support/dev-pool-harness';
import { uniqueId } from './support/env';
import { eventually } from './support/eventually';
import { freePort } from './support/own-dev-server';
import { testAlertRules } from './support/promtool';
import { activate, joinAll, rotatingPool, startPoolHarness, waitForRound, waitForView, type PoolHarness } from './support/pool-harness';
import { removeSharedBundle, startWorkerProcess } from './support/worker-process';

const DECLINING_CARD = 'pm_card_chargeDeclined';
const HOUR_MS = 3_600_000;

/** A counter's current value for the given labels (0 when never incremented). */
async function value(
  counter: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await counter.get();
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

describe('business metrics of pool rounds', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness()));
  after(async () => h.close());

  test('a round with a defaulter moves the contribution, dunning, failure, default and payout counters', async () => {
    const read = async () => ({
      paid: await value(businessMetrics.contributions, { outcome: 'paid' }),
      defaulted: await value(businessMetrics.contributions, { outcome: 'defaulted' }),
      defaults: await value(businessMetrics.defaults),
      dunning: await value(businessMetrics.dunningCharges),
      failed: await value(businessMetrics.chargesFailed, { reason: 'card_declined' }),
      payouts: await value(businessMetrics.payouts),
    });
    const [a, b] = await Promise.all([h.member(), h.member()]);
    const defaulter = await h.member(DECLINING_CARD);
    const handle = await h.startPool(rotatingPool(3, { defaultPolicy: 'suspend', dunningRetryHours: [24, 48] }));
    await joinAll(handle, [defaulter, a!, b!]);
    await activate(handle);

    const before = await read();
    const result = await h.runRound(handle);
    assert.deepEqual(result.members.map((m) => m.outcome).sort(), ['defaulted', 'paid', 'paid']);
    const moved = await read();
    assert.deepEqual(
      {
        paid: moved.paid - before.paid,
        defaulted: moved.defaulted - before.defaulted,
        defaults: moved.defaults - before.defaults,
        dunning: moved.dunning - before.dunning,
        failed: moved.failed - before.failed,
        payouts: moved.payouts - before.payouts,
      },
      { paid: 2, defaulted: 1, defaults: 1, dunning: 2, failed: 3, payouts: 1 },
      'first charge and two dunning retries declined; one payout',
    );
  });

  test('a payout that fails every attempt counts one escalation', async () => {
    const members = await Promise.all(Array.from({ length: 2 }, () => h.member()));
    const handle = await h.startPool(rotatingPool(2));
    await joinAll(handle, members);
    await activate(handle);
    const poolId = (await handle.query(poolStateQuery)).poolId;
    const before = await value(businessMetrics.payoutEscalations);
    const fault = await h.kit.control.addFault({
      kind: 'error',
      method: 'POST',
      pathPrefix: '/v1/transfers',
      secretKey: h.kit.secretKey,
      times: 100,
      status: 400,
      error: { type: 'invalid_request_error', code: 'account_invalid', message: 'The destination account cannot receive transfers right now.' },
    });
    try {
      await handle.signal(roundDueSignal);
      await waitForView(handle, (v) => v.roundInProgress === 1);
      await h.env.sleep(HOUR_MS);
      await h.waitForRoundProgress(poolId, 1, (p) => p.phase === 'payout-escalated');
      await eventually('the escalation to be counted', async () => ((await value(businessMetrics.payoutEscalations)) === before + 1 ? true : undefined));
    } finally {
      await h.kit.control.removeFault(fault.id);
    }
    await h.client.workflow.getHandle(workflowIds.round(poolId, 1)).signal(retryPayoutSignal);
    await waitForRound(handle, 1);
    const escalated = await value(businessMetrics.payoutEscalations);
    assert.equal(escalated, before + 1, 'the retried payout escalates nothing more');

    // What Prometheus scraped before and after the escalation makes the alert rule fire (and not before).
    const series = 'poolflow_payout_escalations_total{job="poolflow-worker",instance="worker-1"}';
    const output = await testAlertRules(`evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: '${series}'
        values: '${before} ${before} ${before} ${escalated} ${escalated} ${escalated}'
    alert_rule_test:
      - { eval_time: 2m, alertname: PoolflowPayoutEscalated, exp_alerts: [] }
      - eval_time: 4m
        alertname: PoolflowPayoutEscalated
        exp_alerts:
          - exp_labels: { severity: page, job: poolflow-worker, instance: worker-1 }
            exp_annotations:
              summary: A round's payout failed every attempt and waits for operations
              description: "1 payout escalation(s) in the last 30 minutes on worker-1."
              runbook: docs/operations.md#payout-escalated
`);
    assert.match(output, /SUCCESS/);
  });
});

describe('metric endpoints', () => {
  test("Poolflow's registry is served over HTTP, and requests are counted by route, not by raw path", async () => {
    const app = new Hono();
    app.use('*', httpMetrics());
    app.get('/v1/pools/:id', (c) => c.json({ id: c.req.param('id') }));
    const before = await value(metricsRegistry.getSingleMetric('poolflow_http_requests_total') as never, { route: '/v1/pools/:id', status: '200' });
    await app.request('/v1/pools/p-1');
    await app.request('/v1/pools/p-2');
    await app.request('/nowhere');

    const port = await freePort();
    const server = await serveMetrics(port, '127.0.0.1');
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(text, /# TYPE poolflow_contributions_total counter/);
      assert.match(text, /poolflow_http_request_duration_seconds_bucket\{.*route="\/v1\/pools\/:id"/);
      assert.match(text, /poolflow_http_requests_total\{method="GET",route="unmatched",status="404"\}/);
      assert.ok(!text.includes('p-1'), 'raw paths never become labels');
      assert.equal(
        await value(metricsRegistry.getSingleMetric('poolflow_http_requests_total') as never, { route: '/v1/pools/:id', status: '200' }),
        before + 2,
      );
      assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
    } finally {
      server.close();
    }
  });

  test("a worker process serves the Temporal SDK's metrics: task slots, sticky cache, task latencies", { timeout: 120_000 }, async () => {
    const h = await startDevPoolHarness({ worker: false });
    const port = await freePort();
    const worker = await startWorkerProcess({
      TEMPORAL_ADDRESS: h.address,
      POOLS_TASK_QUEUE: h.taskQueue,
      STRIPE_API_URL: h.kit.sandbox.url,
      STRIPE_SECRET_KEY: h.kit.secretKey,
      REDIS_KEY_PREFIX: `${uniqueId('metrics')}:`,
      SDK_METRICS_BIND_ADDRESS: `127.0.0.1:${port}`,
    });
    try {
      const handle = await h.startPool(rotatingPool(2));
      await handle.query(poolStateQuery);
      // The pool's first workflow task runs its first activity (opening the ledger accounts, a local
      // activity: the pool's idempotent steps run in the worker that runs the workflow).
      const wanted = [
        'temporal_worker_task_slots_available',
        'temporal_sticky_cache_size',
        'temporal_workflow_task_execution_latency',
        'temporal_local_activity_execution_latency',
      ];
      const text = await eventually(
        'the SDK metrics to show task slots, sticky cache and task latencies',
        async () => {
          const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          return wanted.every((metric) => body.includes(metric)) ? body : undefined;
        },
        60_000,
      );
      assert.ok(/temporal_local_activity_execution_latency_bucket\{[^}]*activity_type="openPoolAccounts"/.test(text), 'activity latencies by activity type');
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      await removeSharedBundle();
      await h.close();
    }
  });
});
