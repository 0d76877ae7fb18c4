// Live progress of simulation batches in Redis: paths done per chunk in a hash (so a retried chunk
// overwrites rather than double-counts) and an event stream the API relays as server-sent events.
// Progress is best effort: the batch's result never depends on Redis.
import { simulationEventsKey, simulationProgressKey } from '../../cache/keys';
import { luaScript, runScript, type Redis } from '../../cache/redis';

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

/**
 * Records a chunk's paths done, sums the batch's, and appends a progress event with that sum, in one
 * round trip. KEYS: the progress hash, the event stream; ARGV: chunk, its paths done, the batch's paths,
 * the keys' lifetime in seconds, the events kept. The event's JSON is written field by field, in the same
 * order as publishEvent's.
 */
const RECORD_PROGRESS = luaScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
local total = 0
for _, paths in ipairs(redis.call('HVALS', KEYS[1])) do total = total + tonumber(paths) end
local event = '{"type":"progress","pathsDone":' .. string.format('%d', total) .. ',"pathCount":' .. ARGV[3] .. '}'
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'event', event)
redis.call('EXPIRE', KEYS[2], ARGV[4])
return total
`);

/** Records a chunk's paths done and publishes the batch's total: one round trip. */
export async function publishChunkProgress(redis: Redis, batchId: string, chunkIndex: number, chunkPathsDone: number, pathCount: number): Promise<void> {
  await runScript(
    redis,
    RECORD_PROGRESS,
    [simulationProgressKey(batchId), simulationEventsKey(batchId)],
    [String(chunkIndex), String(chunkPathsDone), String(pathCount), String(SIMULATION_PROGRESS_TTL_SECONDS), String(SIMULATION_EVENTS_KEPT_MAX)],
  );
}

export async function publishEvent(redis: Redis, batchId: string, event: SimulationEvent): Promise<void> {
  const key = simulationEventsKey(batchId);
  await redis
    .multi()
    .xadd(key, 'MAXLEN', '~', SIMULATION_EVENTS_KEPT_MAX, '*', 'event', JSON.stringify(event))
    .expire(key, SIMULATION_PROGRESS_TTL_SECONDS)
    .exec();
}
