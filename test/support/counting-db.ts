// A database pool whose calls of the named methods are counted, so that a test can assert how many
// queries (or checked-out clients) a piece of code costs.
import type { Db } from '../../db/pool';

export function countingDb(db: Db, counted: ReadonlyArray<'query' | 'connect'> = ['query']): { db: Db; count: () => number } {
  let count = 0;
  const proxy = new Proxy(db, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if ((counted as readonly PropertyKey[]).includes(property))
        return (...args: unknown[]) => (count++, (value as (...a: unknown[]) => unknown).apply(target, args));
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return { db: proxy, count: () => count };
}
