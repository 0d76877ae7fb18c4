// Trace propagation without workflow spans, for workers that export no spans: the trace context a client
// put on a start, signal or update is copied onto what the workflow then schedules, so that the API's
// trace still reaches the activities' spans and the workflow's log lines, at a fraction of the cost.
//
// A run may move between a worker with these interceptors and one with OpenTelemetry's (when an exporter
// is turned on or off), so each method here settles after exactly as many microtask turns as its
// OpenTelemetry counterpart and consults the same SDK flags: the order in which concurrent code emits
// commands, and the flags recorded in the history, are the same under both. Nexus operations and timers
// are left alone, as OpenTelemetry's interceptors leave timers; no Poolflow workflow starts a Nexus one.
import { defaultPayloadConverter, type Headers, type Payload } from '@temporalio/common';
import {
  AsyncLocalStorage,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { SdkFlags } from '@temporalio/workflow/lib/flags';
import { getActivator } from '@temporalio/workflow/lib/global-attributes';

/** The header OpenTelemetry's Temporal interceptors carry the W3C trace context in (a JSON text map). */
const TRACE_HEADER = '_tracer-data';
/** `version-traceId-spanId-flags`, as W3C trace context writes it. */
const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;

/** A caller's trace context: the header to pass on, and its IDs for log lines. */
interface Trace {
  header: Payload;
  logAttributes: { trace_id: string; span_id: string; trace_flags: string } | undefined;
}

function traceIn(headers: Headers): Trace | undefined {
  const header = headers[TRACE_HEADER];
  if (header === undefined) return undefined;
  const parts = TRACEPARENT.exec(defaultPayloadConverter.fromPayload<{ traceparent?: string }>(header).traceparent ?? '');
  return { header, logAttributes: parts ? { trace_id: parts[1]!, span_id: parts[2]!, trace_flags: parts[3]! } : undefined };
}

const hasFlag = (flag: (typeof SdkFlags)[keyof typeof SdkFlags]) => getActivator().hasFlag(flag);

export const interceptors = (): WorkflowInterceptors => {
  // One per workflow (this factory runs once per workflow; the sandbox disables it when the workflow goes).
  const current = new AsyncLocalStorage<Trace>();

  // The awaits of OpenTelemetry's `instrument()` and `wrapWithSpan()`, one for one: a span started in the
  // active context or, given a caller's context, in that one (a context switch around the same).
  async function settled<T>(result: () => Promise<T>): Promise<T> {
    const value = await result();
    return value;
  }
  async function asSpan<T>(trace: Trace | undefined, result: () => Promise<T>): Promise<T> {
    if (trace) return await current.run(trace, async () => await (async () => await settled(result))());
    return await (async () => await settled(result))();
  }
  /** The caller's trace on what the workflow schedules; OpenTelemetry's interceptors yield here on old histories. */
  async function withTrace<I extends { headers: Headers }, T>(input: I, next: (input: I) => Promise<T>): Promise<T> {
    const trace = current.getStore();
    const headers = trace ? { ...input.headers, [TRACE_HEADER]: trace.header } : input.headers;
    if (!hasFlag(SdkFlags.OpenTelemetryInterceporsAvoidsExtraYields)) await Promise.resolve();
    return next({ ...input, headers });
  }

  const inbound: WorkflowInboundCallsInterceptor = {
    async execute(input, next) {
      const trace = traceIn(input.headers);
      if (!hasFlag(SdkFlags.OpenTelemetryInterceporsAvoidsExtraYields)) await Promise.resolve();
      return await asSpan(trace, () => next(input));
    },
    async handleSignal(input, next) {
      if (!hasFlag(SdkFlags.OpenTelemetryInterceptorsTracesInboundSignals)) return next(input);
      const trace = traceIn(input.headers);
      if (!hasFlag(SdkFlags.OpenTelemetryInterceporsAvoidsExtraYields)) await Promise.resolve();
      return await asSpan(trace, () => next(input));
    },
    async handleUpdate(input, next) {
      if (!hasFlag(SdkFlags.OpenTelemetryInterceptorsInstrumentsAllMethods)) return next(input);
      return await asSpan(traceIn(input.headers), () => next(input));
    },
    validateUpdate(input, next) {
      // Asked for its record in the history alone: a validator schedules nothing and has no awaits.
      hasFlag(SdkFlags.OpenTelemetryInterceptorsInstrumentsAllMethods);
      next(input);
    },
    async handleQuery(input, next) {
      if (!hasFlag(SdkFlags.OpenTelemetryInterceptorsInstrumentsAllMethods)) return next(input);
      return await asSpan(traceIn(input.headers), () => next(input));
    },
  };

  const outbound: WorkflowOutboundCallsInterceptor = {
    async scheduleActivity(input, next) {
      return await asSpan(undefined, () => withTrace(input, next));
    },
    async scheduleLocalActivity(input, next) {
      if (!hasFlag(SdkFlags.OpenTelemetryInterceptorsTracesLocalActivities)) return next(input);
      return await asSpan(undefined, () => withTrace(input, next));
    },
    async startChildWorkflowExecution(input, next) {
      return await asSpan(undefined, () => withTrace(input, next));
    },
    async signalWorkflow(input, next) {
      return await asSpan(undefined, () => withTrace(input, next));
    },
    async continueAsNew(input, next) {
      return await asSpan(undefined, () => withTrace(input, next));
    },
    getLogAttributes(input, next) {
      const ids = current.getStore()?.logAttributes;
      return next(ids ? { ...ids, ...input } : input);
    },
  };

  return { inbound: [inbound], outbound: [outbound] };
};
