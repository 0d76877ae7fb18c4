// The standings kept in the process, against the test stack's PostgreSQL: what one caller's lookup leaves
// grants nobody else anything, a change made elsewhere shows within STANDING_TTL_MS, one made here at once
// (even over a lookup then in flight), and the lookups of one turn share one query.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../db/pool';
import { countingDb } from '../../test/support/counting-db';
import { testDb, uniqueId } from '../../test/support/env';
import type { Principal } from '../auth';
import { allowed } from './pool-access';
import { forgetStandings, STANDING_TTL_MS, standingOf } from './pool-standings';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('pool standings', () => {
  const db = testDb();
  const manager = uniqueId('mgr');
  const member = uniqueId('mbr');
  let poolId = '';
  const as = (sub: string, role: Principal['role']): Principal => ({ sub, role });
  const mayRead = async (principal: Principal, database: Db = db) => {
    const standing = await standingOf(database, poolId, principal);
    return standing !== null && allowed(principal, standing, 'read');
  };
  const setMemberStatus = (status: string) => db.query('UPDATE pool_members SET status = $3 WHERE pool_id = $1 AND member_id = $2', [poolId, member, status]);

  before(async () => {
    poolId = uniqueId('pool');
    await db.query(
      `INSERT INTO pools (pool_id, manager_id, name, kind, currency, status, view, version) VALUES ($1, $2, 'Standings', 'rotating', 'usd', 'open', '{}', 1)`,
      [poolId, manager],
    );
    await db.query(`INSERT INTO pool_members (pool_id, member_id, status, join_seq) VALUES ($1, $2, 'active', 1)`, [poolId, member]);
  });
  after(async () => {
    await db.query('DELETE FROM pool_members WHERE pool_id = $1', [poolId]);
    await db.query('DELETE FROM pools WHERE pool_id = $1', [poolId]);
    await db.end();
  });

  test("what one caller's lookup leaves grants nothing to another manager or a stranger", async () => {
    forgetStandings(poolId);
    assert.equal(await mayRead(as(manager, 'manager')), true);
    assert.equal(await mayRead(as('ops-1', 'ops')), true);
    assert.equal(await mayRead(as(member, 'member')), true);
    // Right after, with the pool's facts and a member's standing kept: other tenants still see nothing.
    assert.equal(await mayRead(as(uniqueId('mgr-other'), 'manager')), false);
    assert.equal(await mayRead(as(uniqueId('stranger'), 'member')), false);
    // The member's subject under another role is judged by that role, not by the kept membership.
    assert.equal(await mayRead(as(member, 'manager')), false);
    assert.equal(await standingOf(db, uniqueId('no-such-pool'), as(manager, 'manager')), null);
  });

  test('a member removed elsewhere loses access within STANDING_TTL_MS', async () => {
    forgetStandings(poolId);
    await setMemberStatus('active');
    assert.equal(await mayRead(as(member, 'member')), true);
    // As another API instance's projection would: this process is not told.
    await setMemberStatus('left');
    await sleep(STANDING_TTL_MS + 50);
    assert.equal(await mayRead(as(member, 'member')), false);
    await setMemberStatus('active');
  });

  test("this process's own change is seen at once, even over a lookup that was in flight", async () => {
    forgetStandings(poolId);
    await setMemberStatus('active');
    // A database whose answers are held back: the lookup reads before the change, and answers after it.
    let sent!: () => void;
    const querySent = new Promise<void>((resolve) => (sent = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held = new Proxy(db, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (property !== 'query' || typeof value !== 'function') return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        return async (...args: unknown[]) => {
          const answer = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          sent();
          await released;
          return answer;
        };
      },
    });
    const inFlight = mayRead(as(member, 'member'), held);
    await querySent;
    // A command of this process expels the member (the projection is written, then the pool forgotten).
    await setMemberStatus('expelled');
    forgetStandings(poolId);
    release();
    assert.equal(await inFlight, true, 'answered with what it read before the change');
    assert.equal(await mayRead(as(member, 'member')), false, 'the in-flight answer was not kept');
    await setMemberStatus('active');
  });

  test('lookups of one turn share one query; a kept standing costs none', async () => {
    forgetStandings(poolId);
    const counting = countingDb(db);
    const callers = [as(manager, 'manager'), as('ops-1', 'ops'), as('ops-2', 'ops'), as(member, 'member'), as(uniqueId('stranger'), 'member')];
    const readable = await Promise.all(callers.map((caller) => mayRead(caller, counting.db)));
    assert.deepEqual(readable, [true, true, true, true, false]);
    assert.equal(counting.count(), 1);
    assert.deepEqual(await Promise.all(callers.map((caller) => mayRead(caller, counting.db))), readable);
    assert.equal(counting.count(), 1, 'answered from what the first query read');
  });
});
