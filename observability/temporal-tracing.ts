// Temporal's OpenTelemetry interceptors, wired once for every Poolflow client and worker: a client call
// (start, signal, update, query) continues the caller's trace into the workflow's headers; the worker
// continues it through the workflow into each activity, whose PostgreSQL, Redis and Stripe calls are
// traced by observability/instrumentation.ts. Workflow spans (exported by a sink, since the sandbox has
// no I/O) cost about a quarter of a workflow's CPU, so a worker bundles them only when spans go somewhere.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import { currentTracing, type Tracing } from './tracing';

/**
 * How a worker's workflows take part in traces: `spans`, OpenTelemetry's workflow interceptors (a span
 * for each workflow run, handler and call it makes); `propagation`, the caller's trace context passed on
 * to what the workflow schedules, with no spans of its own (workflows/core/trace-propagation.ts).
 */
export type WorkflowTracing = 'spans' | 'propagation';

/** The workflow-side interceptor module of each, bundled into the sandbox with Poolflow's own. */
export const WORKFLOW_TRACING_INTERCEPTORS: Record<WorkflowTracing, string> = {
  spans: createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
  propagation: fileURLToPath(new URL('../workflows/core/trace-propagation.ts', import.meta.url)),
};

/** Workflow spans when the process exports spans (an OTLP endpoint, or a test's exporter), else propagation only. */
export function workflowTracing(tracing: Tracing = currentTracing()): WorkflowTracing {
  return tracing.exportsSpans ? 'spans' : 'propagation';
}

export function tracingClientInterceptor(): WorkflowClientInterceptor {
  return new OpenTelemetryWorkflowClientInterceptor();
}

/** Activity interceptors and the workflow span sink, to merge into a worker's options. */
export function tracingWorkerOptions(): {
  activityInterceptors: NonNullable<NonNullable<WorkerOptions['interceptors']>['activity']>;
  sinks: NonNullable<WorkerOptions['sinks']>;
} {
  const { spanProcessor, resource } = currentTracing();
  return {
    activityInterceptors: [
      (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
    ],
    sinks: { exporter: makeWorkflowExporter(spanProcessor, resource) },
  };
}
