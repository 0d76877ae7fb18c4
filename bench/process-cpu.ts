// CPU time used by the local stack's processes, read from /proc (Linux), so that a benchmark can turn a
// phase's CPU into a cost per unit of work: the Temporal dev server, PostgreSQL (the postmaster and its
// backends), redis-server, and this process (the worker under test). Found by the ports they serve.
// Also this process's main thread alone, which on a small machine competes with its worker threads, and
// this process split by thread: main thread, Temporal core, the rest (the workflow sandbox among them).
import { readdirSync, readFileSync } from 'node:fs';

export interface StackCpuMs {
  temporal: number;
  postgres: number;
  redis: number;
  worker: number;
}

const CLOCK_TICKS_PER_S = 100;

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
  cpuMs: number;
}

function processes(): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime, plus cutime and cstime: the CPU of children it reaped (PostgreSQL backends that
      // ended), which would otherwise vanish from the sum between two readings.
      const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      found.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' '),
        cpuMs: (ticks * 1_000) / CLOCK_TICKS_PER_S,
      });
    } catch {
      // The process ended while being read.
    }
  }
  return found;
}

/** The processes serving these ports and their children; zero for a part not found (say, a remote one). */
export function stackCpuMs(ports: { temporal: string; postgres: string; redis: string }): StackCpuMs {
  const all = processes();
  const withChildren = (match: (p: Proc) => boolean) => {
    const roots = new Set(all.filter(match).map((p) => p.pid));
    // A root's reaped children are in its own figure; its living children are added one by one.
    return all.filter((p) => roots.has(p.pid) || (roots.has(p.ppid) && !match(p))).reduce((sum, p) => sum + p.cpuMs, 0);
  };
  const usage = process.cpuUsage();
  return {
    temporal: withChildren((p) => p.cmdline.includes('start-dev') && p.cmdline.includes(`--port ${ports.temporal} `)),
    postgres: withChildren((p) => /(^|\/)postgres /.test(p.cmdline) && p.cmdline.includes(`-p ${ports.postgres}`)),
    redis: withChildren((p) => p.cmdline.includes('redis-server') && p.cmdline.includes(`:${ports.redis}`)),
    worker: (usage.user + usage.system) / 1_000,
  };
}

export function cpuDelta(after: StackCpuMs, before: StackCpuMs): StackCpuMs {
  return {
    temporal: after.temporal - before.temporal,
    postgres: after.postgres - before.postgres,
    redis: after.redis - before.redis,
    worker: after.worker - before.worker,
  };
}

/**
 * CPU time of this process's main thread alone (its event loop), not of its worker threads: the
 * scheduler's run time in nanoseconds, finer than the 10 ms ticks of `stat`.
 */
export function mainThreadCpuMs(): number {
  const [runNs] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
  return Number(runNs) / 1e6;
}

/** This process's CPU by thread, from `/proc/self/task` (Linux). */
export interface ThreadsCpuMs {
  /** The event loop: activities, the worker's dispatch of tasks, the bench's own client calls. */
  main: number;
  /** The Rust threads of Temporal's core SDK (polling, history, gRPC to the server). */
  core: number;
  /**
   * Everything else: Node's worker threads (the workflow sandbox runs in one), V8's garbage-collection
   * and compiler helpers, libuv's pool; also any thread that ended between two readings.
   */
  other: number;
}

/** Names the Temporal core SDK gives its threads (`comm`, cut to 15 characters). */
const CORE_THREAD = /^(tokio-|workflow-proces|temporal-)/;

function taskTicksMs(tid: string): { name: string; cpuMs: number } | null {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { name: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(), cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1_000) / CLOCK_TICKS_PER_S };
  } catch {
    return null; // The thread ended while being read.
  }
}

export function threadsCpuMs(): ThreadsCpuMs {
  const usage = process.cpuUsage();
  const totalMs = (usage.user + usage.system) / 1_000;
  const main = mainThreadCpuMs();
  let core = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    const task = tid === String(process.pid) ? null : taskTicksMs(tid);
    if (task && CORE_THREAD.test(task.name)) core += task.cpuMs;
  }
  return { main, core, other: Math.max(0, totalMs - main - core) };
}

export function threadsDelta(after: ThreadsCpuMs, before: ThreadsCpuMs): ThreadsCpuMs {
  return { main: after.main - before.main, core: after.core - before.core, other: after.other - before.other };
}
