// The pool's life as a state machine: which command moves a pool from which status to which. The
// workflow consults it before acting, and update validators use it to refuse a command with a reason.

export const POOL_STATUSES = ['draft', 'open', 'active', 'paused', 'completed', 'cancelled'] as const;
export type PoolStatus = (typeof POOL_STATUSES)[number];

export type PoolCommand = 'open' | 'activate' | 'pause' | 'resume' | 'complete' | 'cancel';

const TRANSITIONS: Record<PoolStatus, Partial<Record<PoolCommand, PoolStatus>>> = {
  draft: { open: 'open', cancel: 'cancelled' },
  open: { activate: 'active', cancel: 'cancelled' },
  active: { pause: 'paused', complete: 'completed', cancel: 'cancelled' },
  paused: { resume: 'active', cancel: 'cancelled' },
  completed: {},
  cancelled: {},
};

/** The status `command` leads to from `status`, or undefined when the command is not allowed there. */
export function nextStatus(status: PoolStatus, command: PoolCommand): PoolStatus | undefined {
  return TRANSITIONS[status][command];
}

export function isFinal(status: PoolStatus): boolean {
  return Object.keys(TRANSITIONS[status]).length === 0;
}

/** Members may join while a pool is recruiting, and only then. */
export function acceptsMembers(status: PoolStatus): boolean {
  switch (status) {
    case 'open':
      return true;
    case 'draft':
    case 'active':
    case 'paused':
    case 'completed':
    case 'cancelled':
      return false;
    default:
      return assertNever(status);
  }
}

/** Ends every exhaustive switch: the type checker fails the build when a case is missing. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
