// Live progress of simulation batches in Redis: paths done per chunk in a hash (so a retried chunk
// overwrites rather than double-counts) and an event stream the API relays as server-sent events.
// Progress is best effort: the batch's result never depends on Redis.
import { simulationEventsKey, simulationProgressKey } from '../../cache/keys';
import type { Redis } from '../../cache/redis';

/** Events kept per batch; a late subscriber still gets the latest progress and the outcome. */
export const SIMULATION_EVENTS_KEPT_MAX = 1_000;
/** How long progress stays after the last update. */
export const SIMULATION_PROGRESS_TTL_SECONDS = 7 * 24 * 3_600;

export type SimulationEvent =
  { type: 'progress'; pathsDone: number; pathCount: number } | { type: 'completed' | 'failed' | 'cancelled'; pathsDone: number; pathCount: number };

/** Sum of the paths done over a batch's chunks. */
export async function pathsDone(redis: Redis, batchId: string): Promise<number> {
  const values = await redis.hvals(simulationProgressKey(batchId));
  return values.reduce((sum, v) => sum + Number(v), 0);
}

/** Records a chunk's paths done and publishes the batch's total: two round trips. */
export async function publishChunkProgress(redis: Redis, batchId: string, chunkIndex: number, chunkPathsDone: number, pathCount: number): Promise<void> {
  const key = simulationProgressKey(batchId);
  const replies = await redis.multi().hset(key, String(chunkIndex), String(chunkPathsDone)).expire(key, SIMULATION_PROGRESS_TTL_SECONDS).hvals(key).exec();
  const [error, values] = replies?.[2] ?? [new Error('the progress transaction was discarded'), null];
  if (error) throw error;
  const total = (values as string[]).reduce((sum, v) => sum + Number(v), 0);
  await publishEvent(redis, batchId, { type: 'progress', pathsDone: total, pathCount });
}

export async function publishEvent(redis: Redis, batchId: string, event: SimulationEvent): Promise<void> {
  const key = simulationEventsKey(batchId);
  await redis
    .multi()
    .xadd(key, 'MAXLEN', '~', SIMULATION_EVENTS_KEPT_MAX, '*', 'event', JSON.stringify(event))
    .expire(key, SIMULATION_PROGRESS_TTL_SECONDS)
    .exec();
}
