// A test's child processes end with it (child-lifetime.ts), with real processes: a child that watches
// its stdin ends when its parent is SIGKILLed, and a child that watches nothing is SIGKILLed by a
// parent that exits normally. Without either, the chaos suite's workers and APIs outlived a timed-out
// test and kept the test runner from exiting.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually } from './eventually';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LIFETIME = JSON.stringify(fileURLToPath(new URL('./child-lifetime.ts', import.meta.url)));

/** A child that prints its pid and then idles, ending with its parent only if `watches`. */
const childCode = (watches: boolean) =>
  `${watches ? `const { exitWithParent } = await import(${LIFETIME}); exitWithParent();` : ''} console.log(process.pid); setInterval(() => {}, 1000);`;

/** A parent that starts the child with a piped stdin, prints the child's pid, then idles or exits at once. */
const parentCode = (childWatches: boolean, parentExits: boolean) => `
  import { spawn } from 'node:child_process';
  import { createInterface } from 'node:readline';
  const { killOnExit } = await import(${LIFETIME});
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ${JSON.stringify(childCode(childWatches))}], { stdio: ['pipe', 'pipe', 'inherit'] });
  killOnExit(child);
  createInterface({ input: child.stdout }).once('line', (pid) => {
    console.log(pid);
    ${parentExits ? 'process.exit(0);' : 'setInterval(() => {}, 1000);'}
  });`;

async function startParent(childWatches: boolean, parentExits: boolean) {
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', parentCode(childWatches, parentExits)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const childPid = Number(await new Promise<string>((resolve) => createInterface({ input: parent.stdout }).once('line', resolve)));
  assert.ok(childPid > 0);
  return { parent, childPid };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a child watching its stdin ends when its parent is SIGKILLed', async () => {
  const { parent, childPid } = await startParent(true, false);
  assert.ok(alive(childPid));
  parent.kill('SIGKILL');
  await eventually('the child to end', async () => (alive(childPid) ? undefined : true), 15_000);
});

test('a parent that exits SIGKILLs the children it registered, even ones that watch nothing', async () => {
  const { childPid } = await startParent(false, true);
  await eventually('the child to end', async () => (alive(childPid) ? undefined : true), 15_000);
});
