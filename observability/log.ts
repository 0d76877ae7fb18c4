// Structured JSON logs, one object per line on stderr, so that a log shipper can index every field.
type Level = 'debug' | 'info' | 'warn' | 'error';

export type Logger = Record<Level, (msg: string, fields?: Record<string, unknown>) => void>;

export function createLogger(component: string, base: Record<string, unknown> = {}): Logger {
  const write = (level: Level) => (msg: string, fields: Record<string, unknown> = {}) => {
    const line = { time: new Date().toISOString(), level, component, msg, ...base, ...fields };
    process.stderr.write(JSON.stringify(line, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)) + '\n');
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** The message of anything thrown, for log fields. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
