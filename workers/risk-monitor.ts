// The risk-monitor process: watches every running assessment's open positions in memory, evaluates each
// market-data tick against its rules, and signals the assessment workflow only for breaches, warnings
// and stop-loss/take-profit crossings. Stateless across restarts: it reloads the accounts from Redis.
import { poolflowDataConverter } from '../temporal-config/data-converter';
import { Client, Connection } from '@temporalio/client';
import { createRedis } from '../cache/redis';
import { databaseEnv, loadEnv, redisEnv, temporalEnv } from '../config/env';
import { createDbPool } from '../db/pool';
import { createLogger } from '../observability/log';
import { createRiskMonitor } from './assessments/risk-monitor/monitor';

const env = loadEnv(databaseEnv.extend(redisEnv.shape).extend(temporalEnv.shape));
const log = createLogger('risk-monitor');
const db = createDbPool(env.DATABASE_URL, { applicationName: 'poolflow-risk-monitor', connectionsMax: 2 });
const redis = createRedis(env.REDIS_URL, env.REDIS_KEY_PREFIX);
const reader = createRedis(env.REDIS_URL, env.REDIS_KEY_PREFIX);
const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: '10s' });
const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter: poolflowDataConverter() });

const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
process.on('SIGINT', () => stop.abort());

const monitor = createRiskMonitor({ db, redis, reader, temporal, log });
await monitor.run(stop.signal);
log.info('risk monitor stopped', { signalsSent: monitor.signalsSent });
await connection.close();
await db.end();
redis.disconnect();
reader.disconnect();
