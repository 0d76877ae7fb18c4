// Starts test/support/pools-worker-process.ts as a child process (a pools worker a test may SIGKILL)
// and waits until it polls. The child gets the test stack's environment plus its own task queue,
// Stripe sandbox and key, and the workflow bundle this process built, so it starts in a second or two.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { killOnExit } from './child-lifetime';
import { workflowBundle } from './env';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = 'test/support/pools-worker-process.ts';
/** Starting tsx, connecting and loading the bundle take a few seconds; a loaded machine gets this long. */
const READY_TIMEOUT_MS = 60_000;

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves with the signal (or exit code) the process ended with. */
  exited: Promise<string>;
}

export interface WorkerProcessEnv {
  TEMPORAL_ADDRESS: string;
  POOLS_TASK_QUEUE: string;
  STRIPE_API_URL: string;
  STRIPE_SECRET_KEY: string;
  REDIS_KEY_PREFIX: string;
  /** host:port for the SDK's Prometheus endpoint; none unless given. */
  SDK_METRICS_BIND_ADDRESS?: string;
  /** Where the worker finds PostgreSQL and Redis, when not the test stack's own (the chaos suite's proxies). */
  DATABASE_URL?: string;
  REDIS_URL?: string;
  /** Deliver notices too, mailing through this SMTP server. */
  NOTIFICATIONS_SMTP_URL?: string;
}

let bundlePath: Promise<string> | undefined;
/** The workflow bundle written once to a temporary file, for every child to load. */
function sharedBundlePath(): Promise<string> {
  bundlePath ??= (async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'poolflow-bundle-')), 'workflows.js');
    await writeFile(path, (await workflowBundle()).code);
    return path;
  })();
  return bundlePath;
}

/** Removes the bundle file once no more children will start. */
export async function removeSharedBundle(): Promise<void> {
  if (!bundlePath) return;
  const path = await bundlePath;
  bundlePath = undefined;
  await rm(dirname(path), { recursive: true, force: true });
}

export function startWorkerProcess(env: WorkerProcessEnv): Promise<WorkerProcess> {
  return startTestProcess(SCRIPT, { ...env });
}

/** Starts `script` (relative to the repository) with the test stack's environment plus `env`; waits for "ready". */
export async function startTestProcess(script: string, env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env, WORKFLOW_BUNDLE_PATH: await sharedBundlePath() },
    // stdin stays open for as long as this process lives: the child ends when it closes (child-lifetime.ts).
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  killOnExit(child);
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left starting behind the caller's back: the caller never gets a handle to stop it.
      child.kill('SIGKILL');
      reject(new Error(`the worker process did not start within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    lines.on('line', (line) => {
      if (line !== 'ready') return;
      clearTimeout(timer);
      resolve();
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`the worker process ended (${how}) before it was ready`));
    });
  });
  await ready;
  return { child, exited };
}
