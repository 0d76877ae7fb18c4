// Scripts run by hand against `npm start` (demo, reconcile) talk to this checkout's own stack: what its
// stack wrote to .data/dev.env — ports shifted by POOLFLOW_PORT_OFFSET, this checkout's webhook secret,
// the mode — fills in every variable the shell does not set.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DEV_STACK_ENV_FILE = fileURLToPath(new URL('../.data/dev.env', import.meta.url));

/** Sets the variables of `file` that are not set already; false when there is no such file (no stack started here). */
export function loadDevStackEnv(file = DEV_STACK_ENV_FILE, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!existsSync(file)) return false;
  for (const match of readFileSync(file, 'utf8').matchAll(/^export ([A-Z_]+)=(.*)$/gm)) env[match[1]!] ??= match[2]!.trim();
  return true;
}
