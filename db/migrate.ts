// Applies the numbered plain-SQL migrations in db/migrations/ exactly once each, recording them in
// schema_migrations. Safe when several processes migrate at once without advisory locks (which
// CockroachDB ignores): each migration runs in one transaction that first claims its version row, and
// the primary key makes every other migrator wait for that transaction and then skip the migration.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './pool';
import { transaction } from './transaction';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
const FILE_PATTERN = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** Thrown when an already-applied migration file was edited: migrations are append-only. */
export class MigrationChangedError extends Error {}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new Error(`migration file ${file} must be named NNN_snake_case_name.sql`);
    const sql = await readFile(path.join(dir, file), 'utf8');
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) throw new Error(`two migrations share version ${version}`);
    migrations.push({ version, name: match[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}

async function ensureMigrationsTable(db: Db): Promise<void> {
  const ddl = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version INT8 PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`;
  try {
    await db.query(ddl);
  } catch (error) {
    // Two first-time migrators can race on IF NOT EXISTS: PostgreSQL then reports the loser's duplicate
    // as a unique violation on its catalog (23505), a duplicate table (42P07) or a duplicate row type
    // (42710). The winner's table is there either way, so the loser moves on.
    const code = (error as { code?: string }).code;
    if (code !== '23505' && code !== '42P07' && code !== '42710') throw error;
  }
}

/** Applies every pending migration; returns the versions this call applied. */
export async function migrate(db: Db, migrations?: Migration[]): Promise<number[]> {
  const all = migrations ?? (await readMigrations());
  await ensureMigrationsTable(db);
  const applied: number[] = [];
  for (const migration of all) {
    const outcome = await transaction(db, async (client) => {
      const claimed = await client.query(
        `INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)
         ON CONFLICT (version) DO NOTHING`,
        [migration.version, migration.name, migration.checksum],
      );
      if (claimed.rowCount === 1) {
        await client.query(migration.sql);
        return 'applied' as const;
      }
      const { rows } = await client.query<{ checksum: string }>('SELECT checksum FROM schema_migrations WHERE version = $1', [migration.version]);
      if (rows[0]?.checksum !== migration.checksum) {
        throw new MigrationChangedError(`migration ${migration.version}_${migration.name} was edited after it was applied; add a new migration instead`);
      }
      return 'present' as const;
    });
    if (outcome === 'applied') applied.push(migration.version);
  }
  return applied;
}
