// Where prices live in Redis: the latest price of each symbol (one hash) and a bounded stream of every
// tick (trimmed to about TICK_STREAM_LENGTH_MAX entries). Both can be rebuilt from the feed: losing
// Redis loses no money, only the prices of the last moments.
import { LATEST_PRICES_KEY, TICK_STREAM_KEY } from '../../../cache/keys';
import type { Redis } from '../../../cache/redis';
import { checkTick, type Tick } from './source';

/** The tick stream keeps about this many entries (approximate trimming, as XADD MAXLEN ~ does). */
export const TICK_STREAM_LENGTH_MAX = 100_000;

export interface PublishedTick extends Tick {
  /** The stream entry ID: consumers resume after it. */
  streamId: string;
}

/** Publishes one tick: the latest price and the stream entry, in one round trip. */
export async function publishTick(redis: Redis, tick: Tick): Promise<string> {
  checkTick(tick);
  const payload = JSON.stringify({ price: tick.price, atMs: tick.atMs });
  const results = await redis
    .multi()
    .hset(LATEST_PRICES_KEY, tick.symbol, payload)
    .xadd(TICK_STREAM_KEY, 'MAXLEN', '~', String(TICK_STREAM_LENGTH_MAX), '*', 's', tick.symbol, 'p', tick.price, 't', String(tick.atMs))
    .exec();
  const failed = results?.find(([error]) => error);
  if (!results || failed) throw failed?.[0] ?? new Error('publishing a tick failed');
  return results[1]![1] as string;
}

/** The latest price of `symbol`, or null when none was published. */
export async function latestPrice(redis: Redis, symbol: string): Promise<{ price: string; atMs: number } | null> {
  const raw = await redis.hget(LATEST_PRICES_KEY, symbol);
  return raw ? (JSON.parse(raw) as { price: string; atMs: number }) : null;
}

/** Parses stream entries as XREAD returns them. */
export function ticksFromStream(entries: Array<[string, string[]]>): PublishedTick[] {
  return entries.map(([streamId, fields]) => {
    const map: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]!] = fields[i + 1]!;
    return { streamId, symbol: map.s!, price: map.p!, atMs: Number(map.t) };
  });
}
