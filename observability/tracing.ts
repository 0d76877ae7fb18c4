// OpenTelemetry traces: one tracer provider per process (W3C trace context, AsyncLocalStorage for the
// active span), exporting by OTLP over HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set; spans are still
// made without it, so that logs carry trace IDs that join the API's lines to the worker's. Helpers here
// trace an HTTP request (Hono middleware) and any awaited call (PostgreSQL, Redis, Stripe).
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';

const TRACER_NAME = 'poolflow';

export interface Tracing {
  resource: Resource;
  /** Where finished spans go: the OTLP exporter, a test's in-memory exporter, or nowhere. */
  spanProcessor: SpanProcessor;
  /** Whether spans go anywhere: workers bundle workflow spans only then (observability/temporal-tracing.ts). */
  exportsSpans: boolean;
  shutdown(): Promise<void>;
}

let installed: Tracing | undefined;

/**
 * Installs the process's tracer provider once (later calls return the first): spans go to
 * `spanProcessor` if given, else by OTLP to `otlpEndpoint` if set, else nowhere.
 */
export function installTracing(options: { serviceName: string; otlpEndpoint?: string; spanProcessor?: SpanProcessor }): Tracing {
  if (installed) return installed;
  const resource = new Resource({ 'service.name': options.serviceName });
  const spanProcessor =
    options.spanProcessor ??
    (options.otlpEndpoint ? new BatchSpanProcessor(new OTLPTraceExporter({ url: new URL('/v1/traces', options.otlpEndpoint).href })) : new NoopSpanProcessor());
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager(), propagator: new W3CTraceContextPropagator() });
  const exportsSpans = options.spanProcessor !== undefined || Boolean(options.otlpEndpoint);
  installed = { resource, spanProcessor, exportsSpans, shutdown: () => provider.shutdown() };
  return installed;
}

/** The installed tracing, or one that exports nowhere (workers need a span processor for workflow spans). */
export function currentTracing(): Tracing {
  return (
    installed ?? {
      resource: new Resource({ 'service.name': 'poolflow' }),
      spanProcessor: new NoopSpanProcessor(),
      exportsSpans: false,
      shutdown: async () => {},
    }
  );
}

/** Runs `fn` in a new active span named `name`; the span records a thrown error and ends either way. */
export function traced<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, kind: SpanKind = SpanKind.CLIENT): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * A client span, child of the active one, from now until `settled` settles: for a call already under
 * way that starts no spans of its own (a Redis command). Unlike `traced` it switches no context and
 * wraps nothing, which the hottest calls of every request would otherwise pay for.
 */
export function spanUntilSettled(name: string, attributes: Attributes, settled: Promise<unknown>): void {
  const span = trace.getTracer(TRACER_NAME).startSpan(name, { kind: SpanKind.CLIENT, attributes });
  settled.then(
    () => span.end(),
    (error: unknown) => {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      span.end();
    },
  );
}

/** The active span's trace and span IDs, for log lines; nothing outside a span. */
export function traceFields(): { traceId: string; spanId: string } | Record<string, never> {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : {};
}

/** A server span per HTTP request, named by method and matched route, active while the request runs. */
export function httpTracing(): MiddlewareHandler {
  return (c, next) =>
    traced(
      `HTTP ${c.req.method}`,
      { 'http.request.method': c.req.method, 'url.path': c.req.path },
      async (span) => {
        await next();
        const route = matchedRoutes(c).findLast((r) => r.method !== 'ALL')?.path;
        if (route) span.updateName(`${c.req.method} ${route}`).setAttribute('http.route', route);
        span.setAttribute('http.response.status_code', c.res.status);
        if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      },
      SpanKind.SERVER,
    );
}
