// Starts test/chaos/api-process.ts as a child process (an API the chaos suite may SIGKILL) and waits
// until it listens.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { killOnExit } from '../support/child-lifetime';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = 'test/chaos/api-process.ts';
/** Starting tsx and connecting take a few seconds; a loaded machine gets this long. */
const READY_TIMEOUT_MS = 60_000;

export interface ApiProcess {
  child: ChildProcess;
  exited: Promise<string>;
}

/** Starts the API; its log (one JSON line per request) goes to `logPath`. */
export async function startApiProcess(env: Record<string, string>, logPath: string): Promise<ApiProcess> {
  const log = openSync(logPath, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', log] });
  // stdin stays open for as long as this process lives: the API ends when it closes (child-lifetime.ts).
  killOnExit(child);
  closeSync(log);
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left starting behind the caller's back: the caller never gets a handle to stop it.
      child.kill('SIGKILL');
      reject(new Error(`the API process did not start within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    lines.on('line', (line) => {
      if (line !== 'ready') return;
      clearTimeout(timer);
      resolve();
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`the API process ended (${how}) before it was ready`));
    });
  });
  return { child, exited };
}
