// Starts the processes a test may SIGKILL (a pools worker from test/support/pools-worker-process.ts,
// and through startTestProcess any other: the chaos suite's API, the assessments and simulations
// workers) and waits until they say "ready". A child gets the test stack's environment plus its own
// settings, and the workflow bundle this process built, so it starts in a second or two.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { killOnExit } from './child-lifetime';
import { workflowBundle } from './env';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = 'test/support/pools-worker-process.ts';
/** Starting tsx, connecting and loading a bundle take a few seconds; a loaded machine gets this long. */
const READY_TIMEOUT_MS = 60_000;

export interface TestProcess {
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

export function startWorkerProcess(env: WorkerProcessEnv): Promise<TestProcess> {
  return startTestProcess(SCRIPT, { ...env });
}

export interface TestProcessOptions {
  /** What the child is, for errors ("the API process did not start …"). */
  name?: string;
  /** Append the child's stderr to this file instead of this process's stderr. */
  stderrPath?: string;
  /** The workflow bundle file the child loads (WORKFLOW_BUNDLE_PATH): the shared pools bundle unless given; none for `false`. */
  workflowBundlePath?: string | false;
}

/**
 * Starts `script` (relative to the repository) with the test stack's environment plus `env`, and waits
 * until it prints "ready"; a child that does not within READY_TIMEOUT_MS is killed and the start fails.
 */
export async function startTestProcess(script: string, env: Record<string, string>, options: TestProcessOptions = {}): Promise<TestProcess> {
  const name = options.name ?? 'worker process';
  const bundle = options.workflowBundlePath ?? (await sharedBundlePath());
  const stderr = options.stderrPath === undefined ? 'inherit' : openSync(options.stderrPath, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env, ...(bundle ? { WORKFLOW_BUNDLE_PATH: bundle } : {}) },
    // stdin stays open for as long as this process lives: the child ends when it closes (child-lifetime.ts).
    stdio: ['pipe', 'pipe', stderr],
  });
  killOnExit(child);
  if (typeof stderr === 'number') closeSync(stderr);
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left starting behind the caller's back: the caller never gets a handle to stop it.
      child.kill('SIGKILL');
      reject(new Error(`the ${name} did not start within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    lines.on('line', (line) => {
      if (line !== 'ready') return;
      clearTimeout(timer);
      resolve();
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`the ${name} ended (${how}) before it was ready`));
    });
  });
  await ready;
  return { child, exited };
}
