// The benchmarks' sizes and durations, read from `BENCH_…` environment variables: a value that is not a
// whole number stops the run with its name, rather than turning into NaN and a meaningless figure.

/** A whole-number setting from the environment (`BENCH_…`), or its default; anything else stops the run saying so. */
export function benchSetting(name: string, defaultValue: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return defaultValue;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1, not '${text}'`);
  return value;
}
