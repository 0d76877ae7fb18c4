// Routes the Temporal SDK's own logs (worker state, workflow task failures) into our JSON log lines,
// at a chosen level, by installing the SDK runtime once per process before any worker is created; with
// a bind address, the runtime also serves the SDK's metrics (task latencies, slots, sticky cache,
// activity failures) to Prometheus at http://{address}/metrics.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { createLogger } from './log';

export function installTemporalRuntime(level: LogLevel, options: { metricsBindAddress?: string } = {}): void {
  const log = createLogger('temporal-sdk');
  const logger = new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
    const fields = { ...meta, ...(meta?.error instanceof Error ? { error: meta.error.message } : {}) };
    if (entryLevel === 'ERROR') log.error(message, fields);
    else if (entryLevel === 'WARN') log.warn(message, fields);
    else if (entryLevel === 'INFO') log.info(message, fields);
    else log.debug(message, fields);
  });
  const prometheus = options.metricsBindAddress ? { bindAddress: options.metricsBindAddress, countersTotalSuffix: true, useSecondsForDurations: true } : undefined;
  Runtime.install({ logger, ...(prometheus ? { telemetryOptions: { metrics: { prometheus } } } : {}) });
}
