// The PostgreSQL/CockroachDB connection pool: explicit timeouts, INT8 read as bigint (money is INT8
// minor units), and an error handler so that a dropped idle connection never crashes the process.
import pg from 'pg';
import { instrumentPgPool } from '../observability/instrumentation';
import { createLogger } from '../observability/log';

export type Db = pg.Pool;
/** Anything that can run a query: the pool itself or a client inside a transaction. */
export type Queryable = pg.Pool | pg.PoolClient;

export interface DbPoolOptions {
  connectionsMax?: number;
  applicationName?: string;
  statementTimeoutMs?: number;
}

const log = createLogger('db-pool');

const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => BigInt(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function createDbPool(connectionString: string, options: DbPoolOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: options.connectionsMax ?? 10,
    application_name: options.applicationName ?? 'poolflow',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    idle_in_transaction_session_timeout: 60_000,
    types,
  });
  instrumentPgPool(pool);
  pool.on('error', (error) => {
    // Raised for idle clients whose connection broke; the pool discards them and opens new ones.
    log.warn('idle database connection failed', { error });
  });
  // A checked-out client whose connection breaks between two queries (inside a transaction, say) emits
  // 'error' with nobody listening, which would end the process (the chaos suite's PostgreSQL restart
  // found this): its next query fails instead, and the request or activity that ran it is retried.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return pool;
}

/** True when the database answers a trivial query within `timeoutMs`. */
export async function pingDb(db: Db, timeoutMs = 2_000): Promise<boolean> {
  const timeout = new Promise<false>((resolve) => setTimeout(resolve, timeoutMs, false).unref());
  const ping = db.query('SELECT 1').then(
    () => true,
    () => false,
  );
  return Promise.race([ping, timeout]);
}
