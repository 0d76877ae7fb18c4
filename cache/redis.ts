// The Redis client: everything Poolflow keeps in Redis can be rebuilt, so commands fail within a bounded
// time while Redis is down (commandTimeout) instead of hanging, and callers decide whether to carry on
// without it. A circuit breaker makes that failure immediate once Redis is known to be down, so a
// read that falls back to the database is not slowed by a timeout per command. Commands issued while
// the first connection is still being made wait for it.
import { createHash } from 'node:crypto';
import { Redis, ReplyError } from 'ioredis';
import { instrumentRedis } from '../observability/instrumentation';

export type { Redis };

/** Consecutive commands failing for want of Redis (not Redis's own error replies) that open the circuit. */
export const REDIS_FAILURES_TO_OPEN = 3;
/** How long an open circuit refuses commands at once before one command may probe Redis again. */
export const REDIS_OPEN_MS = 2_000;

export class RedisCircuitOpenError extends Error {
  constructor() {
    super('Redis is unavailable (circuit open)');
    this.name = 'RedisCircuitOpenError';
  }
}

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
  guardWithCircuitBreaker(redis);
  return redis;
}

/**
 * Closed: commands go to Redis. After REDIS_FAILURES_TO_OPEN failures in a row it opens: commands fail
 * at once for REDIS_OPEN_MS, then one probe goes through (half-open) while the others still fail fast;
 * the probe's success, or the connection becoming ready again, closes it.
 */
function guardWithCircuitBreaker(redis: Redis): void {
  let failures = 0;
  let openUntilMs = 0;
  let probing = false;
  const send = redis.sendCommand.bind(redis);
  redis.on('ready', () => {
    failures = 0;
    openUntilMs = 0;
  });
  redis.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], stream?: Parameters<Redis['sendCommand']>[1]) => {
    const open = failures >= REDIS_FAILURES_TO_OPEN;
    if (open && (Date.now() < openUntilMs || probing)) {
      command.reject(new RedisCircuitOpenError());
      return command.promise;
    }
    const probe = open;
    if (probe) probing = true;
    const result = send(command, stream);
    command.promise.then(
      () => {
        failures = 0;
        if (probe) probing = false;
      },
      (error: unknown) => {
        if (probe) probing = false;
        // An error reply means Redis answered: it is up.
        if (error instanceof ReplyError) {
          failures = 0;
          return;
        }
        failures++;
        if (failures >= REDIS_FAILURES_TO_OPEN) openUntilMs = Date.now() + REDIS_OPEN_MS;
      },
    );
    return result;
  }) as Redis['sendCommand'];
}

export async function pingRedis(redis: Redis): Promise<boolean> {
  try {
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  }
}

/** A Lua script and its SHA-1, by which Redis knows it once it was loaded. */
export interface LuaScript {
  text: string;
  sha: string;
}

export function luaScript(text: string): LuaScript {
  return { text, sha: createHash('sha1').update(text).digest('hex') };
}

/**
 * Runs a script by its SHA-1, so that a hot script's text is not sent (and hashed by Redis) on every call;
 * a Redis that does not hold it yet (restarted, flushed) gets the text once with EVAL.
 */
export async function runScript(redis: Redis, script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof ReplyError) || !(error as Error).message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(script.text, keys.length, ...keys, ...args);
  }
}
