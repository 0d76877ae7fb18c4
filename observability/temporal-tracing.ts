// Temporal's OpenTelemetry interceptors, wired once for every Poolflow client and worker: a client call
// (start, signal, update, query) continues the caller's trace into the workflow's headers; the worker
// continues it through the workflow (spans exported by a sink, since the sandbox has no I/O) into each
// activity, whose PostgreSQL, Redis and Stripe calls are traced by observability/instrumentation.ts.
import { createRequire } from 'node:module';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import { currentTracing } from './tracing';

/** The workflow-side interceptors, bundled into the sandbox with Poolflow's own. */
export const OTEL_WORKFLOW_INTERCEPTORS_PATH = createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

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
