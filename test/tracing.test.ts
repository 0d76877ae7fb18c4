// One trace from an HTTP request into the Stripe call it leads to: the API's span, the Temporal client's
// start, the pool workflow, its round (a child workflow), the charge activity and the Stripe request,
// with the activities' PostgreSQL and Redis calls in the same trace; captured by an in-memory exporter.
// Both kinds of workflow tracing carry it: with workflow spans (OpenTelemetry's interceptors) and with
// propagation only, and each run's histories replay under the other kind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { Worker } from '@temporalio/worker';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { PoolView } from '../domain/pools/pool-view';
import { createLogger } from '../observability/log';
import { tracingWorkerOptions, type WorkflowTracing } from '../observability/temporal-tracing';
import { installTracing, spanUntilSettled, traced } from '../observability/tracing';
import { poolflowDataConverter } from '../temporal-config/data-converter';
import { workflowIds } from '../temporal-config/workflow-ids';
import { activatePoolUpdate, cancelPoolUpdate, type poolWorkflow, roundDueSignal } from '../workflows/pools/pool';
import { authHeaders } from './support/api';
import { startApiHarness, type ApiHarness } from './support/api-harness';
import { onboardedMember } from './support/dev-pool-harness';
import { uniqueId, workflowBundle } from './support/env';
import { eventually } from './support/eventually';
import { joinAll, recordAgreementsIn, waitForView } from './support/pool-harness';

// Installed before any client or worker exists, so that both trace into this exporter.
const exporter = new InMemorySpanExporter();
installTracing({ serviceName: 'poolflow-test', spanProcessor: new SimpleSpanProcessor(exporter) });

/** The chain of span names from `span` up to its trace's root. */
function ancestry(span: ReadableSpan, spans: ReadableSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const names: string[] = [];
  for (let current: ReadableSpan | undefined = span; current; current = current.parentSpanId ? byId.get(current.parentSpanId) : undefined)
    names.push(current.name);
  return names.reverse();
}

describe('tracing', () => {
  test('log lines written inside a span carry its trace and span IDs', async () => {
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
    let ids: { traceId: string; spanId: string } | undefined;
    try {
      await traced('log-test', {}, async (span) => {
        ids = { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
        createLogger('tracing-test').info('inside a span');
      });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.stderr.write = write;
    }
    const line = written
      .join('')
      .split('\n')
      .find((l) => l.includes('inside a span'));
    assert.ok(line, 'the line was written');
    const fields = JSON.parse(line) as { traceId?: string; spanId?: string };
    assert.deepEqual({ traceId: fields.traceId, spanId: fields.spanId }, ids);
  });

  test("a call's span lasts until the call settles, under the active span, and records a failure", async () => {
    let parent = '';
    let fail!: (error: Error) => void;
    const failing = new Promise<never>((_, reject) => (fail = reject));
    failing.catch(() => undefined);
    await traced('caller', {}, async (span) => {
      parent = span.spanContext().spanId;
      spanUntilSettled('call-ok', { 'db.system': 'test' }, Promise.resolve('reply'));
      spanUntilSettled('call-failed', {}, failing);
    });
    fail(new Error('no answer'));
    await new Promise((resolve) => setImmediate(resolve));
    const [ok, failed] = ['call-ok', 'call-failed'].map((name) => exporter.getFinishedSpans().find((s) => s.name === name));
    assert.equal(ok?.parentSpanId, parent);
    assert.equal(ok?.kind, SpanKind.CLIENT);
    assert.equal(failed?.parentSpanId, parent);
    assert.equal(failed?.status.message, 'no answer');
    assert.equal(failed?.events[0]?.name, 'exception');
  });
});

/** The spans from the API's span down to the Stripe charge, by kind of workflow tracing. */
const CHAINS: Record<WorkflowTracing, string[]> = {
  spans: [
    'POST /v1/pools',
    'StartWorkflow:poolWorkflow',
    'RunWorkflow:poolWorkflow',
    'StartChildWorkflow:contributionRound',
    'RunWorkflow:contributionRound',
    'StartActivity:chargeContributions',
    'RunActivity:chargeContributions',
    'stripe POST /v1/payment_intents',
  ],
  // No spans of the workflows: the activity's parent is the client's start, whose context the pool
  // passed to its round and the round to its activity.
  propagation: ['POST /v1/pools', 'StartWorkflow:poolWorkflow', 'RunActivity:chargeContributions', 'stripe POST /v1/payment_intents'],
};
const OTHER: Record<WorkflowTracing, WorkflowTracing> = { spans: 'propagation', propagation: 'spans' };
/** The SDK flags OpenTelemetry's workflow interceptors consult (@temporalio/workflow's SdkFlags 3 to 6). */
const OTEL_FLAGS = [3, 4, 5, 6];

for (const tracing of ['spans', 'propagation'] as const) {
  describe(`tracing through workflows with ${tracing}`, () => {
    let h: ApiHarness;
    before(async () => (h = await startApiHarness({}, { tracing })));
    after(async () => h.close());

    test('an HTTP request to create a pool traces through Temporal into the activities, PostgreSQL, Redis and the Stripe charge', async () => {
      exporter.reset();
      const manager = uniqueId('mgr');
      const response = await h.app.request('/v1/pools', {
        method: 'POST',
        headers: await authHeaders(manager, 'manager'),
        body: JSON.stringify({
          kind: 'rotating',
          name: 'Traced',
          currency: 'usd',
          cadence: { type: 'monthly', dayOfMonth: 1, hourUtc: 9 },
          membersMin: 2,
          membersMax: 2,
          contributionMinor: 1_000,
          gracePeriodHours: 0,
        }),
      });
      assert.equal(response.status, 201);
      const { poolId } = (await response.json()) as PoolView;
      const handle = h.client.workflow.getHandle<typeof poolWorkflow>(workflowIds.pool(poolId));
      // Members join through the workflow directly, with the agreement accepting an invitation records.
      recordAgreementsIn(h.db);
      await joinAll(handle, [await onboardedMember(h.kit), await onboardedMember(h.kit)]);
      await handle.executeUpdate(activatePoolUpdate, { args: [] });
      await handle.signal(roundDueSignal);
      const round = h.client.workflow.getHandle(workflowIds.round(poolId, 1));
      await eventually('the round to start', async () => (await round.describe(), true));
      await round.result();
      // A workflow's own span ends when the workflow does: cancelling the pool closes the chain.
      await waitForView(handle, (view) => view.roundInProgress === null && view.roundsCompleted === 1);
      await handle.executeUpdate(cancelPoolUpdate, { args: [{}] });
      await handle.result();

      const http = exporter.getFinishedSpans().find((s) => s.name === 'POST /v1/pools' && s.kind === SpanKind.SERVER);
      assert.ok(http, 'the HTTP request has a span named by its route');
      const traceId = http.spanContext().traceId;
      const stripeCharge = await eventually('the charge to Stripe to be traced', async () =>
        exporter.getFinishedSpans().find((s) => s.spanContext().traceId === traceId && s.name === 'stripe POST /v1/payment_intents'),
      );
      const chain = await eventually("the chain to the HTTP request's span to be exported", async () => {
        const names = ancestry(stripeCharge, exporter.getFinishedSpans());
        return names[0] === 'POST /v1/pools' ? names : undefined;
      });
      assert.deepEqual(chain, CHAINS[tracing]);
      const inTrace = exporter
        .getFinishedSpans()
        .filter((s) => s.spanContext().traceId === traceId)
        .map((s) => s.name);
      assert.ok(
        inTrace.some((name) => name.startsWith('pg ')),
        'PostgreSQL calls are in the trace',
      );
      assert.ok(
        inTrace.some((name) => name.startsWith('redis ')),
        'Redis calls are in the trace',
      );
      if (tracing === 'propagation')
        assert.deepEqual(
          exporter.getFinishedSpans().filter((s) => /^(RunWorkflow|StartActivity|StartChildWorkflow):/.test(s.name)),
          [],
          'no workflow spans',
        );

      // Either kind records the SDK flags of OpenTelemetry's interceptors (signals, local activities, no
      // extra yields, updates traced), and a worker that turns span export on or off replays the runs it
      // finds under the other kind.
      const [poolHistory, roundHistory] = await Promise.all([handle.fetchHistory(), round.fetchHistory()]);
      const flags = new Set(poolHistory.events?.flatMap((e) => e.workflowTaskCompletedEventAttributes?.sdkMetadata?.langUsedFlags ?? []));
      for (const flag of OTEL_FLAGS) assert.ok(flags.has(flag), `the pool's history records SDK flag ${flag}`);
      const other = { workflowBundle: await workflowBundle(OTHER[tracing]), dataConverter: poolflowDataConverter(), sinks: tracingWorkerOptions().sinks };
      await Worker.runReplayHistory({ ...other, replayName: `pool with ${OTHER[tracing]}` }, poolHistory, handle.workflowId);
      await Worker.runReplayHistory({ ...other, replayName: `round with ${OTHER[tracing]}` }, roundHistory, round.workflowId);
    });
  });
}
