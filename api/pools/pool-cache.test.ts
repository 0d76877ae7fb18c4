// The cached pool view against real PostgreSQL and Redis: a read that refills the cache from the
// database can be overtaken by a newer projection (the read took the older row, then the projection
// wrote and invalidated, then the read wrote). The cache must never end holding the older version.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createPoolProjectionActivities } from '../../activities/pools/pool-projections';
import { poolCacheKey } from '../../cache/keys';
import type { Db } from '../../db/pool';
import { poolConfigSchema } from '../../domain/pools/pool-config';
import type { PoolView } from '../../domain/pools/pool-view';
import { testDb, testRedis, uniqueId } from '../../test/support/env';
import { LOCAL_VIEW_TTL_MS, readPoolEntry } from './pool-access';

describe('pool view cache refills', () => {
  const db = testDb();
  const redis = testRedis();
  const projections = createPoolProjectionActivities({ db, redis });
  after(async () => {
    await db.end();
    redis.disconnect();
  });

  const viewOf = (poolId: string, version: number, name: string): PoolView => ({
    poolId,
    managerId: 'mgr-cache',
    config: poolConfigSchema.parse({
      kind: 'rotating',
      name,
      currency: 'usd',
      cadence: { type: 'interval', every: 7, unit: 'days' },
      membersMin: 2,
      membersMax: 4,
      contributionMinor: '5000',
    }),
    status: 'open',
    members: [],
    payoutOrder: [],
    roundsCompleted: 0,
    roundsPlanned: 0,
    roundInProgress: null,
    bidding: null,
    potMinor: '0',
    recentRounds: [],
    version,
  });

  /**
   * The database as the API reads it, except that the read of pool views (`SELECT view FROM pools`)
   * hands back its rows only once `release` is called: a slow refill, its data already read.
   */
  function slowViewReads(): { db: Db; read: Promise<void>; release: () => void } {
    let release!: () => void;
    let signalRead!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const read = new Promise<void>((resolve) => (signalRead = resolve));
    const query = async (...args: unknown[]) => {
      const result = await (db.query as (...a: unknown[]) => Promise<unknown>)(...args);
      if (typeof args[0] === 'string' && args[0].startsWith('SELECT view FROM pools')) {
        signalRead();
        await released;
      }
      return result;
    };
    const slow = new Proxy(db, { get: (target, prop, receiver) => (prop === 'query' ? query : Reflect.get(target, prop, receiver)) });
    return { db: slow, read, release };
  }

  const cachedVersion = async (poolId: string) => {
    const json = await redis.get(poolCacheKey(poolId));
    return json === null ? null : (JSON.parse(json) as PoolView).version;
  };

  for (const newer of ['projectPoolChange', 'projectPool'] as const) {
    test(`a slow refill of version 1 overtaken by ${newer} of version 2 leaves no version 1 in the cache`, async () => {
      const poolId = uniqueId('cache');
      await projections.projectPool(viewOf(poolId, 1, 'First'));
      await redis.del(poolCacheKey(poolId)); // expired: the next read refills it from the database

      const slow = slowViewReads();
      const refill = readPoolEntry({ db: slow.db, redis }, poolId);
      await slow.read; // the refill holds version 1 from the database

      const second = viewOf(poolId, 2, 'Second');
      if (newer === 'projectPool') {
        await projections.projectPool(second);
      } else {
        const { members, ...summary } = second;
        await projections.projectPoolChange({ poolId, change: { summary, memberCount: members.length, members: [] } });
      }
      slow.release();
      assert.equal((await refill)?.view.version, 1, 'the slow read itself answers with what it read');

      const cached = await cachedVersion(poolId);
      assert.ok(cached === null || cached === 2, `the cache holds version ${cached}, older than the projection's 2`);
      // A later refill brings the newer version in.
      await redis.del(poolCacheKey(poolId));
      await new Promise((resolve) => setTimeout(resolve, LOCAL_VIEW_TTL_MS + 50)); // past the process's own copy
      assert.equal((await readPoolEntry({ db, redis }, poolId))?.view.version, 2);
      assert.equal(await cachedVersion(poolId), 2);
    });
  }
});
