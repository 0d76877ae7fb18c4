// Migrations on a throwaway database: concurrent migrators apply each migration exactly once, a second
// run applies nothing, and an edited migration is refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testConfig, testDb, uniqueId } from '../test/support/env';
import { migrate, MigrationChangedError, readMigrations, type Migration } from './migrate';
import { createDbPool, type Db } from './pool';

describe('migrate()', () => {
  let admin: Db;
  const dbName = `migrate_${uniqueId('t').replace(/-/g, '_')}`;
  let url: string;

  before(async () => {
    admin = testDb();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const parsed = new URL(testConfig.databaseUrl);
    parsed.pathname = `/${dbName}`;
    url = parsed.toString();
  });
  after(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  });

  test('concurrent migrators apply each migration once', async () => {
    const migrations = await readMigrations();
    assert.ok(migrations.length > 0);
    const pools = Array.from({ length: 4 }, () => createDbPool(url, { connectionsMax: 2 }));
    try {
      const results = await Promise.all(pools.map((pool) => migrate(pool, migrations)));
      const appliedAll = results.flat().sort((a, b) => a - b);
      assert.deepEqual(
        appliedAll,
        migrations.map((m) => m.version),
        'each version applied by exactly one migrator',
      );
      const { rows } = await pools[0]!.query<{ version: bigint }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        rows.map((r) => Number(r.version)),
        migrations.map((m) => m.version),
      );
      assert.deepEqual(await migrate(pools[0]!, migrations), [], 'a second run applies nothing');
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  test('refuses a migration edited after it was applied', async () => {
    const pool = createDbPool(url, { connectionsMax: 1 });
    try {
      const [first, ...rest] = await readMigrations();
      const edited: Migration = { ...first!, sql: `${first!.sql}\n-- edited`, checksum: 'different' };
      await assert.rejects(migrate(pool, [edited, ...rest]), MigrationChangedError);
    } finally {
      await pool.end();
    }
  });

  test('a failing migration leaves no trace', async () => {
    const pool = createDbPool(url, { connectionsMax: 1 });
    try {
      const broken: Migration = { version: 999_001, name: 'broken', sql: 'CREATE TABLE half_done (id INT8); SELECT 1/0;', checksum: 'x' };
      await assert.rejects(migrate(pool, [broken]), /division by zero/);
      const { rowCount } = await pool.query('SELECT 1 FROM schema_migrations WHERE version = 999001');
      assert.equal(rowCount, 0, 'the version is not recorded');
      const { rows } = await pool.query<{ t: string | null }>("SELECT to_regclass('half_done')::text AS t");
      assert.equal(rows[0]!.t, null, 'its DDL was rolled back');
    } finally {
      await pool.end();
    }
  });
});
