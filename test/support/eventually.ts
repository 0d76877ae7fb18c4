// Polling with a bounded deadline, for what a real Temporal server does asynchronously: visibility is
// eventually consistent, schedules are deleted by an activity, signals take a worker round trip.

/** How often `eventually` asks again. */
export const POLL_INTERVAL_MS = 100;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `probe` until it returns something other than undefined, and returns that; throws naming
 * `what` (and the last error `probe` threw) once `timeoutMs` has passed.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `: last error ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** What `settled` needs of a workflow handle (typed loosely so any workflow's handle fits). */
interface SettlingHandle {
  describe(): Promise<{ raw: { pendingWorkflowTask?: unknown; pendingActivities?: unknown[] | null; pendingChildren?: unknown[] | null } }>;
}

/**
 * Waits until the workflow has handled everything sent to it so far and has no activity or child
 * running: whatever it was going to do in reply (start a child, schedule an activity) has then been
 * done, so a test can assert that something did NOT happen without sleeping for a while first.
 */
export async function settled(handle: SettlingHandle, timeoutMs = 20_000): Promise<void> {
  await eventually(
    'the workflow to handle everything sent to it',
    async () => {
      const { raw } = await handle.describe();
      const busy = raw.pendingWorkflowTask || (raw.pendingActivities?.length ?? 0) > 0 || (raw.pendingChildren?.length ?? 0) > 0;
      return busy ? undefined : true;
    },
    timeoutMs,
  );
}
