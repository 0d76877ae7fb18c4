// Values built on first use instead of when their module is evaluated. The workflow sandbox evaluates
// every module of its bundle again for each new workflow, and most workflows (every round) never use
// the command and configuration schemas that the pool workflow and the API share.

/**
 * A stand-in for what `build` returns, built (once) when a property of it is first read: property
 * reads, `in` and `instanceof` reach the built value, so callers use it as they would the value itself.
 */
export function lazily<T extends object>(build: () => T): T {
  let value: T | undefined;
  const built = () => (value ??= build());
  return new Proxy({} as T, {
    get: (_, key) => {
      const target = built();
      return Reflect.get(target, key, target);
    },
    has: (_, key) => Reflect.has(built(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(built()),
  });
}
