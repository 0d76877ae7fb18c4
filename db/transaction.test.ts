// The retry helper under real contention: concurrent read-modify-write transactions at SERIALIZABLE
// force genuine 40001 failures, which the helper must retry until every increment lands exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDb, uniqueId } from '../test/support/env';
import type { Db } from './pool';
import { isRetryableSqlError, SerializationRetriesExhaustedError, transaction } from './transaction';

describe('transaction()', () => {
  let db: Db;
  const table = `txn_counter_${uniqueId('t').replace(/-/g, '_')}`;

  before(async () => {
    db = testDb();
    await db.query(`CREATE TABLE ${table} (id TEXT PRIMARY KEY, value INT8 NOT NULL)`);
  });
  after(async () => {
    await db.query(`DROP TABLE IF EXISTS ${table}`);
    await db.end();
  });

  test('retries serialization failures and ends consistent', async () => {
    await db.query(`INSERT INTO ${table} (id, value) VALUES ('hot', 0)`);
    const writers = 16;
    let retries = 0;
    await Promise.all(
      Array.from({ length: writers }, () =>
        transaction(
          db,
          async (client) => {
            const { rows } = await client.query<{ value: bigint }>(`SELECT value FROM ${table} WHERE id = 'hot'`);
            // Hold the read a moment so that the writers overlap and genuinely conflict.
            await new Promise((resolve) => setTimeout(resolve, 5));
            await client.query(`UPDATE ${table} SET value = $1 WHERE id = 'hot'`, [rows[0]!.value + 1n]);
          },
          { attemptsMax: 100, onRetry: () => retries++ },
        ),
      ),
    );
    const { rows } = await db.query<{ value: bigint }>(`SELECT value FROM ${table} WHERE id = 'hot'`);
    assert.equal(rows[0]!.value, BigInt(writers), 'every increment applied exactly once');
    assert.ok(retries > 0, `expected serialization retries under contention, saw ${retries}`);
  });

  test('returns the function result and commits', async () => {
    const id = uniqueId('row');
    const result = await transaction(db, async (client) => {
      await client.query(`INSERT INTO ${table} (id, value) VALUES ($1, 7)`, [id]);
      return 'done';
    });
    assert.equal(result, 'done');
    const { rowCount } = await db.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id]);
    assert.equal(rowCount, 1);
  });

  test('rolls back and does not retry other errors', async () => {
    const id = uniqueId('row');
    let attempts = 0;
    await assert.rejects(
      transaction(db, async (client) => {
        attempts++;
        await client.query(`INSERT INTO ${table} (id, value) VALUES ($1, 1)`, [id]);
        throw new Error('business rule failed');
      }),
      /business rule failed/,
    );
    assert.equal(attempts, 1);
    const { rowCount } = await db.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id]);
    assert.equal(rowCount, 0, 'the insert was rolled back');
  });

  test('gives up after attemptsMax serialization failures', async () => {
    let attempts = 0;
    await assert.rejects(
      transaction(
        db,
        async () => {
          attempts++;
          throw Object.assign(new Error('could not serialize access'), { code: '40001' });
        },
        { attemptsMax: 3, backoffBaseMs: 1 },
      ),
      (error: unknown) => error instanceof SerializationRetriesExhaustedError && error.attempts === 3,
    );
    assert.equal(attempts, 3);
  });

  test('recognises serialization failures and deadlocks only', () => {
    assert.equal(isRetryableSqlError({ code: '40001' }), true);
    assert.equal(isRetryableSqlError({ code: '40P01' }), true);
    assert.equal(isRetryableSqlError({ code: '23505' }), false);
    assert.equal(isRetryableSqlError(new Error('x')), false);
  });
});
