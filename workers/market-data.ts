// The market-data process: reads prices from one source (the seeded synthetic feed, or the replay of a
// recorded tick file) and publishes them to Redis — the latest price per symbol and a bounded tick
// stream — for the order fills and the risk monitor. A real exchange adapter is another PriceSource.
import { z } from 'zod';
import { createRedis } from '../cache/redis';
import { loadEnv, redisEnv } from '../config/env';
import { createLogger } from '../observability/log';
import { ingest } from './assessments/market-data/ingest';
import { createReplayFeed } from './assessments/market-data/replay-feed';
import type { PriceSource } from './assessments/market-data/source';
import { createSyntheticFeed } from './assessments/market-data/synthetic-feed';

const marketDataEnv = redisEnv.extend({
  MARKET_DATA_SOURCE: z.enum(['synthetic', 'replay']).default('synthetic'),
  MARKET_DATA_SEED: z.string().min(1).max(100).default('poolflow'),
  MARKET_DATA_INTERVAL_MS: z.coerce.number().int().min(1).max(60_000).default(250),
  MARKET_DATA_REPLAY_FILE: z.string().min(1).optional(),
  MARKET_DATA_REPLAY_SPEED: z.coerce.number().min(0).max(10_000).default(1),
});

const env = loadEnv(marketDataEnv);
const log = createLogger('market-data');
if (env.MARKET_DATA_SOURCE === 'replay' && !env.MARKET_DATA_REPLAY_FILE) {
  console.error('MARKET_DATA_REPLAY_FILE: required when MARKET_DATA_SOURCE=replay (a JSON-lines tick file)');
  process.exit(78);
}
const source: PriceSource =
  env.MARKET_DATA_SOURCE === 'replay'
    ? createReplayFeed({ path: env.MARKET_DATA_REPLAY_FILE!, speed: env.MARKET_DATA_REPLAY_SPEED })
    : createSyntheticFeed({ seed: env.MARKET_DATA_SEED, intervalMs: env.MARKET_DATA_INTERVAL_MS });

const redis = createRedis(env.REDIS_URL, env.REDIS_KEY_PREFIX);
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
process.on('SIGINT', () => stop.abort());

log.info('market data started', { source: source.name });
const result = await ingest(source, redis, log, stop.signal);
log.info('market data stopped', { source: source.name, ...result });
redis.disconnect();
