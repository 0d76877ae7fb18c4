// Keeps a test's child processes (workers, APIs it kills and restarts) from outliving the test: the
// parent holds each child's stdin open for as long as it lives, and the child ends when that pipe
// closes (the parent ended, even by SIGKILL); a parent that exits normally SIGKILLs its children first.
import type { ChildProcess } from 'node:child_process';

/** In the child: end as soon as the parent does, rather than run on unwatched and keep a test runner waiting. */
export function exitWithParent(): void {
  process.stdin.once('end', () => process.exit(70));
  process.stdin.resume();
  // Watching the pipe must not by itself keep the child alive: a worker stopped by SIGTERM still exits
  // once it has drained, while a child that is still working hears the parent end.
  const pipe = process.stdin as NodeJS.ReadStream & { unref?: () => void };
  pipe.unref?.();
}

const children = new Set<ChildProcess>();
let hooked = false;

/** In the parent: the child (spawned with a piped stdin) is SIGKILLed if it is still running when this process exits. */
export function killOnExit(child: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const running of children) running.kill('SIGKILL');
    });
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
}
