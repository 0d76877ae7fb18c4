// For scripts run by hand against the test stack (history recording, benchmarks): variables already
// set win; the rest come from .data/test.env, which `npm run stack -- test` (and `npm test`) write.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function loadTestStackEnv(): void {
  const file = `${ROOT}.data/test.env`;
  if (existsSync(file)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/^export ([A-Z_]+)=(.*)$/gm)) {
      process.env[match[1]!] ??= match[2]!.trim();
    }
  }
  // scripts/lib.sh installs the time-skipping server here.
  process.env.TEMPORAL_TEST_SERVER_PATH ??= `${ROOT}.tools/venv/bin/temporal-test-server`;
  if (!process.env.TEMPORAL_ADDRESS) {
    throw new Error('the test stack is not up: start it with `npm run stack -- test` (it writes .data/test.env), or set its variables');
  }
}
