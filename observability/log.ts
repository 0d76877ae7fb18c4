// Structured JSON logs, one object per line on stderr, so that a log shipper can index every field.
// Lines written in one turn of the event loop go out in one write: a busy API logs every request, and
// one system call per line would cost as much as serving the request.
import { traceFields } from './tracing';

type Level = 'debug' | 'info' | 'warn' | 'error';

let pending: string[] = [];
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  const text = pending.join('');
  pending = [];
  process.stderr.write(text);
}
// Whatever is still buffered when the process ends (normally or not) is written out.
process.on('exit', flush);

function emit(line: string): void {
  pending.push(line);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

export type Logger = Record<Level, (msg: string, fields?: Record<string, unknown>) => void>;

export function createLogger(component: string, base: Record<string, unknown> = {}): Logger {
  const write = (level: Level) => (msg: string, fields: Record<string, unknown> = {}) => {
    // The active span's IDs join this line to the request's or workflow's trace (observability/tracing.ts).
    const line = { time: new Date().toISOString(), level, component, msg, ...traceFields(), ...base, ...fields };
    emit(JSON.stringify(line, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)) + '\n');
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** The message of anything thrown, for log fields. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
