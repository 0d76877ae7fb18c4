// Runs one price source into Redis until it ends or is aborted, counting what it published. Ticks a
// source gets wrong are logged and dropped, never published; a Redis outage pauses publishing with a
// capped back-off instead of ending the process.
import type { Redis } from '../../../cache/redis';
import type { Logger } from '../../../observability/log';
import { publishTick } from './publisher';
import { InvalidTickError, pause, type PriceSource } from './source';

const PUBLISH_RETRY_MS_MAX = 2_000;

export async function ingest(source: PriceSource, redis: Redis, log: Logger, signal: AbortSignal): Promise<{ published: number; dropped: number }> {
  let published = 0;
  let dropped = 0;
  for await (const tick of source.ticks(signal)) {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await publishTick(redis, tick);
        published++;
        break;
      } catch (error) {
        if (error instanceof InvalidTickError) {
          dropped++;
          log.warn('tick dropped', { source: source.name, error: error.message });
          break;
        }
        log.warn('publishing a tick failed; retrying', { source: source.name, attempt, error });
        await pause(Math.min(attempt * 200, PUBLISH_RETRY_MS_MAX), signal);
      }
    }
  }
  return { published, dropped };
}
