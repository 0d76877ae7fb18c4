// The Redis client: everything Poolflow keeps in Redis can be rebuilt, so commands fail within a bounded
// time while Redis is down (commandTimeout) instead of hanging, and callers decide whether to carry on
// without it. Commands issued while the first connection is still being made wait for it.
import { Redis } from 'ioredis';
import { instrumentRedis } from '../observability/instrumentation';

export type { Redis };

export function createRedis(url: string, keyPrefix: string): Redis {
  const redis = new Redis(url, {
    keyPrefix,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    maxRetriesPerRequest: 1,
    // Commands issued in the same tick share one write and one read: under load, many requests'
    // rate-limit counters and cache reads cost a single round trip.
    enableAutoPipelining: true,
    // Reconnect forever with a capped delay: Redis coming back must heal the process without a restart.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  instrumentRedis(redis);
  // Without a listener ioredis reports connection errors as unhandled; they are expected while Redis is down.
  redis.on('error', () => {});
  return redis;
}

export async function pingRedis(redis: Redis): Promise<boolean> {
  try {
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  }
}
