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
