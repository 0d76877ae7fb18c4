// Workflow log lines join the caller's trace with either kind of workflow tracing: with propagation only
// (workflows/core/trace-propagation.ts) under the client's start span, with OpenTelemetry's interceptors
// under the workflow's own run span.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { tracingWorkerOptions, type WorkflowTracing } from '../../observability/temporal-tracing';
import { installTracing, traced } from '../../observability/tracing';
import { LOG_MESSAGE, logsOnce } from '../../test/fixtures/workflows/logs-once';
import { timeSkippingEnvironment, uniqueId } from '../../test/support/env';
import { workflowInterceptorModules } from '../../workers/pools/worker';

// Installed before any client exists, so that the client's spans go here.
const exporter = new InMemorySpanExporter();
installTracing({ serviceName: 'poolflow-test', spanProcessor: new SimpleSpanProcessor(exporter) });

/** The span whose ID a workflow's log lines carry, by kind of workflow tracing. */
const LOGGED_SPAN: Record<WorkflowTracing, string> = { propagation: 'StartWorkflow:logsOnce', spans: 'RunWorkflow:logsOnce' };

describe('workflow log lines in the trace', () => {
  let env: TestWorkflowEnvironment;
  before(async () => (env = await timeSkippingEnvironment()));
  after(async () => env?.teardown());

  for (const tracing of ['propagation', 'spans'] as const) {
    test(`with ${tracing}, a workflow's log line carries the caller's trace`, async () => {
      const ignore = () => {};
      const bundle = await bundleWorkflowCode({
        workflowsPath: fileURLToPath(new URL('../../test/fixtures/workflows/logs-once.ts', import.meta.url)),
        workflowInterceptorModules: workflowInterceptorModules(tracing),
        logger: { trace: ignore, debug: ignore, info: ignore, log: ignore, warn: ignore, error: console.error },
      });
      const lines: { message: string; attributes: Record<string, unknown> }[] = [];
      const capture = {
        fn: (_info: unknown, message: string, attributes: Record<string, unknown>) => {
          lines.push({ message, attributes });
        },
      };
      const taskQueue = uniqueId('logs-once');
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: bundle,
        // The SDK's logger sink, under the name it still accepts from a worker's options, and the span exporter.
        sinks: { ...tracingWorkerOptions().sinks, defaultWorkerLogger: { trace: capture, debug: capture, info: capture, warn: capture, error: capture } },
      });
      const traceId = await worker.runUntil(
        traced('caller', {}, async (span) => {
          await env.client.workflow.execute(logsOnce, { taskQueue, workflowId: uniqueId('logs-once') });
          return span.spanContext().traceId;
        }),
      );
      const line = lines.find((l) => l.message === LOG_MESSAGE);
      assert.ok(line, 'the workflow logged its line');
      const logged = exporter.getFinishedSpans().find((s) => s.spanContext().traceId === traceId && s.name === LOGGED_SPAN[tracing]);
      assert.ok(logged, `the trace has a ${LOGGED_SPAN[tracing]} span`);
      assert.deepEqual({ traceId: line.attributes.trace_id, spanId: line.attributes.span_id }, { traceId, spanId: logged.spanContext().spanId });
    });
  }
});
