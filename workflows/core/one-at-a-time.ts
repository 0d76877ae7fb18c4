// Local activities of one workflow run one at a time, in the order they were asked for, whichever handler
// or loop asks: a history records only their results (markers), not when each was delivered, so two in
// flight at once may resume their callers in another order on replay than they did live.
//
// Live, the worker hands each local activity's result to the workflow as soon as it has it; on replay,
// the results recorded in one workflow task may all arrive at once. An update handler and the main loop
// that each awaited one then write their next commands (the update's response, a child's start) in
// whichever order the JavaScript continuations happen to run, and a pool that replays (after a worker
// restart, or when the server rejects a task because an event arrived meanwhile) fails with a
// nondeterminism error on every workflow task from then on. With one in flight, each result is the only
// thing its activation resumes, live and on replay alike.

/** The same activities, each call waiting until every call made before it has finished. */
export function oneAtATime<T extends object>(activities: T): T {
  let busy = false;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else busy = false;
  };
  return new Proxy(activities, {
    get(target, name) {
      const call = Reflect.get(target, name) as (...args: unknown[]) => Promise<unknown>;
      return async (...args: unknown[]) => {
        // The lock passes straight to the next caller in line, so no later caller can slip in between.
        if (busy) await new Promise<void>((resolve) => waiting.push(resolve));
        else busy = true;
        try {
          return await call(...args);
        } finally {
          release();
        }
      };
    },
  });
}
