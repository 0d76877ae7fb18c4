// The start-up every Poolflow process shares (the API, the workers, the test processes that stand in for
// them): the environment they all read, a database pool and Redis client named for the process, Temporal
// connections, and closing all of it, last opened first, when the process is done.
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { z } from 'zod';
import { createRedis, type Redis } from '../cache/redis';
import { createDbPool, type Db } from '../db/pool';
import { installTracing } from '../observability/tracing';
import { poolflowDataConverter } from '../temporal-config/data-converter';
import { databaseEnv, metricsEnv, redisEnv, stripeEnv, stripeRateLimitEnv, temporalEnv, tracingEnv } from './env';

/** Where every process finds PostgreSQL, Redis and Temporal. */
export const processEnv = databaseEnv.extend(redisEnv.shape).extend(temporalEnv.shape);
/** What the API and the pools worker read besides: Stripe and its shared rate limits, metrics, tracing. */
export const serviceEnv = processEnv.extend(stripeEnv.shape).extend(stripeRateLimitEnv.shape).extend(metricsEnv.shape).extend(tracingEnv.shape);

export type ProcessEnv = z.output<typeof processEnv>;

export interface ProcessResources {
  db: Db;
  redis: Redis;
  /** A Temporal client (Poolflow's data converter), its connection closed with the rest. */
  temporalClient(interceptors?: WorkflowClientInterceptor[]): Promise<Client>;
  /** A worker connection to Temporal, closed with the rest. */
  workerConnection(): Promise<NativeConnection>;
  /** Something else to close with the rest, before what was opened earlier. */
  closing(close: () => unknown): void;
  /** Closes everything, last opened first; every close is tried, and their failures are thrown together. */
  close(): Promise<void>;
}

/** The database pool (`poolflow-{name}` to PostgreSQL) and Redis client of a process, and what it opens next. */
export function openProcess(name: string, env: ProcessEnv): ProcessResources {
  const closers: Array<() => unknown> = [];
  const closing = (close: () => unknown) => void closers.push(close);
  const db = createDbPool(env.DATABASE_URL, { applicationName: `poolflow-${name}` });
  closing(() => db.end());
  const redis = createRedis(env.REDIS_URL, env.REDIS_KEY_PREFIX);
  closing(() => redis.disconnect());
  return {
    db,
    redis,
    async temporalClient(interceptors = []) {
      const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: '10s' });
      closing(() => connection.close());
      return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter: poolflowDataConverter(), interceptors: { workflow: interceptors } });
    },
    async workerConnection() {
      const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
      closing(() => connection.close());
      return connection;
    },
    closing,
    async close() {
      const failures: unknown[] = [];
      for (const close of closers.splice(0).reverse()) {
        try {
          await close();
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, `closing poolflow-${name} failed`);
    },
  };
}

/** A service process (the API, the pools worker): its traces go where OTEL_* says, and are flushed last on close. */
export function openService(name: string, env: z.output<typeof serviceEnv>): ProcessResources {
  const tracing = installTracing({ serviceName: env.OTEL_SERVICE_NAME ?? `poolflow-${name}`, otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT });
  const resources = openProcess(name, env);
  const close = resources.close;
  return { ...resources, close: () => close().finally(() => tracing.shutdown()) };
}
