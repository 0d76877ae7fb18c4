// Structured JSON logs through pino, one object per line on stderr, for every process (API, workers,
// scripts): levels (LOG_LEVEL), errors with their type, message, stack and cause, and the context a
// line was written in — trace, HTTP request, Temporal activity — as fields a log shipper can index.
import { asyncLocalStorage as activityContext } from '@temporalio/activity';
import { pino, stdSerializers, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { z } from 'zod';
import { requestContext } from './request-context';
import { traceFields } from './tracing';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

const logEnv = z.object({ LOG_LEVEL: z.enum(logLevels).default('info') });

/**
 * Lines written in one turn of the event loop go out in one write to process.stderr: a busy API logs
 * every request, and one system call per line would cost as much as serving the request.
 */
function batchedStderr(): DestinationStream {
  let pending: string[] = [];
  let flushScheduled = false;
  const flush = (): void => {
    flushScheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    process.stderr.write(text);
  };
  // Whatever is still buffered when the process ends (normally or not) is written out.
  process.on('exit', flush);
  return {
    write(line: string) {
      pending.push(line);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    },
  };
}

/** The fields every line gets from where it was written: the active span, the API request, the activity. */
function contextFields(): Record<string, unknown> {
  const fields: Record<string, unknown> = traceFields();
  const request = requestContext.getStore();
  if (request) fields.requestId = request.requestId;
  const activity = activityContext.getStore()?.info;
  if (activity) {
    fields.workflowId = activity.workflowExecution?.workflowId;
    fields.activityType = activity.activityType;
    fields.activityId = activity.activityId;
    fields.attempt = activity.attempt;
  }
  return fields;
}

/** Money and counters are bigint: written as decimal strings, never as lossy JSON numbers. */
function bigintsAsStrings(fields: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(fields)) if (typeof value === 'bigint') fields[key] = value.toString();
  return fields;
}

function parseLevel(): LogLevel {
  const parsed = logEnv.safeParse(process.env);
  if (parsed.success) return parsed.data.LOG_LEVEL;
  throw new Error(`LOG_LEVEL must be one of ${logLevels.join(', ')} (got "${process.env.LOG_LEVEL}")`);
}

const rootOptions: pino.LoggerOptions = {
  level: parseLevel(),
  base: undefined,
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }), log: bigintsAsStrings },
  mixin: contextFields,
  // A thrown value logged under `err` or `error` keeps its type, message, stack and cause.
  serializers: { err: stdSerializers.err, error: stdSerializers.err },
};
const root: PinoLogger = pino(rootOptions, batchedStderr());

type Fields = Record<string, unknown>;
type Write = (msg: string, fields?: Fields) => void;

/** Message first, fields second, at every level; `child` adds fields to every line of a part. */
export interface Logger {
  trace: Write;
  debug: Write;
  info: Write;
  warn: Write;
  error: Write;
  child(fields: Fields): Logger;
}

function wrap(logger: PinoLogger): Logger {
  const at =
    (level: Exclude<LogLevel, 'fatal' | 'silent'>): Write =>
    (msg, fields) =>
      fields ? logger[level](fields, msg) : logger[level](msg);
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => wrap(logger.child(fields)),
  };
}

/**
 * The logger of one part of a process (`component` names it on every line); `level` overrides
 * LOG_LEVEL for this part only, e.g. to keep a chatty dependency at warnings; `destination` sends its
 * lines elsewhere than stderr (a benchmark that must not measure a terminal, a test reading them).
 */
export function createLogger(component: string, base: Fields = {}, options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  const parent = options.destination ? pino(rootOptions, options.destination) : root;
  return wrap(parent.child({ component, ...base }, options.level ? { level: options.level } : {}));
}

/** The message of anything thrown, for a database column or an HTTP answer (log the error itself). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
