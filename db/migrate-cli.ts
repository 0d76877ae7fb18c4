// `npm run db:migrate`: applies pending migrations to DATABASE_URL and says what it did.
import { databaseEnv, loadEnv } from '../config/env';
import { migrate } from './migrate';
import { createDbPool } from './pool';

const env = loadEnv(databaseEnv);
const db = createDbPool(env.DATABASE_URL, { connectionsMax: 2, applicationName: 'poolflow-migrate' });
try {
  const applied = await migrate(db);
  console.error(`[poolflow] migrations: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
} finally {
  await db.end();
}
