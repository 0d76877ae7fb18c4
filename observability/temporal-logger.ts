// Routes the Temporal SDK's logs — its Rust core, the worker, and the workflow `log` API (through the
// SDK's sinks) — into our pino log lines at a chosen level, by installing the SDK runtime once per
// process before any worker is created; with a bind address, the runtime also serves the SDK's metrics
// (task latencies, slots, sticky cache, activity failures) to Prometheus at http://{address}/metrics.
import type { LogLevel as SdkLogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { createLogger, type Logger } from './log';

const levelOf = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The SDK's Logger interface over ours: its metadata (workflow ID and type, run ID, task queue, activity
 * type, `sdkComponent`) become fields, and an `error` in it keeps its stack.
 */
export function temporalLoggerAdapter(log: Logger): SdkLogger {
  const at = (level: SdkLogLevel) => (message: string, meta?: LogMetadata) => log[levelOf[level]](message, meta);
  return {
    log: (level, message, meta) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}

/**
 * `forwardCoreLogs: false` leaves the core's lines on its own stderr output: forwarding holds the event
 * loop open until a worker or connection has come and gone, which a process that only sometimes
 * creates one (a test file) never sees, so it would never exit.
 */
export function installTemporalRuntime(level: SdkLogLevel, options: { metricsBindAddress?: string; forwardCoreLogs?: boolean } = {}): void {
  const logger = temporalLoggerAdapter(createLogger('temporal-sdk', {}, { level: levelOf[level] }));
  const prometheus = options.metricsBindAddress
    ? { bindAddress: options.metricsBindAddress, countersTotalSuffix: true, useSecondsForDurations: true }
    : undefined;
  Runtime.install({
    logger,
    telemetryOptions: {
      // The core's own lines (connections, polling, task failures) come through the same logger.
      logging: { filter: { core: level, other: level }, ...(options.forwardCoreLogs === false ? {} : { forward: {} }) },
      ...(prometheus ? { metrics: { prometheus } } : {}),
    },
  });
}
