// Runs a function inside a SERIALIZABLE transaction and retries the whole transaction — COMMIT
// included — when the database reports a serialization failure (40001) or a deadlock (40P01).
// CockroachDB only offers SERIALIZABLE and signals contention exactly this way; PostgreSQL does too.
import type pg from 'pg';
import type { Db } from './pool';
import { businessMetrics } from '../observability/metrics';

const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

export interface TransactionOptions {
  /** Total attempts, the first included, before SerializationRetriesExhaustedError. */
  attemptsMax?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Called before each retry; tests and metrics count retries with it. */
  onRetry?: (attempt: number, error: Error) => void;
}

/** Thrown when every attempt of a transaction failed with a serialization failure. */
export class SerializationRetriesExhaustedError extends Error {
  constructor(
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    super(`transaction failed with serialization conflicts ${attempts} times in a row`, options);
  }
}

export function isRetryableSqlError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && RETRYABLE_SQLSTATES.has((error as { code?: string }).code ?? '');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function transaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const attemptsMax = options.attemptsMax ?? 12;
  const backoffBaseMs = options.backoffBaseMs ?? 2;
  const backoffMaxMs = options.backoffMaxMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    let retryable: Error;
    const client = await db.connect();
    let broken = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = await rollbackQuietly(client);
      if (!isRetryableSqlError(error)) throw error;
      if (attempt >= attemptsMax) throw new SerializationRetriesExhaustedError(attempt, { cause: error });
      retryable = error as Error;
    } finally {
      // Released before any backoff, so a waiting retry holds no connection other writers need.
      client.release(broken);
    }
    businessMetrics.ledgerSerializationRetries.inc();
    options.onRetry?.(attempt, retryable);
    // Full jitter spreads competing retries apart so they do not collide again in lockstep.
    const capMs = Math.min(backoffMaxMs, backoffBaseMs * 2 ** (attempt - 1));
    await sleep(Math.random() * capMs);
  }
}

/** Rolls back after a failure; returns true when the connection is unusable and must be discarded. */
async function rollbackQuietly(client: pg.PoolClient): Promise<boolean> {
  try {
    await client.query('ROLLBACK');
    return false;
  } catch {
    return true;
  }
}
