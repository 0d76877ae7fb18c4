// GET /v1/pools/{poolId}/events: server-sent events of the pool's changes, one `pool` event per version
// with the whole view, in version order. Resumable: a client reconnecting with Last-Event-ID (the last
// version it saw) receives every version after it that Redis still holds, then live ones.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { createRedis } from '../cache/redis';
import type { AppEnv } from './context';
import type { ApiDeps } from './deps';
import { allowed, poolFor, standingOf } from './pool-access';
import { ProblemError } from './problem';
import { poolEventsKey } from '../cache/keys';

/** Open streams per API process; each holds a Redis connection of its own for blocking reads. */
export const SSE_CONNECTIONS_MAX = 200;
/** A stream ends after this long; EventSource clients reconnect by themselves with Last-Event-ID. */
export const SSE_STREAM_MS = 10 * 60_000;
/** Below the Redis client's command timeout, so a blocking read is never mistaken for a hang. */
const BLOCK_MS = 1_500;
const KEEPALIVE_MS = 15_000;
/** How often an open stream asks the database whether its subscriber may still see the pool. */
export const SSE_ACCESS_RECHECK_MS = 2_000;

export function poolEventRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  let open = 0;

  app.get('/:poolId/events', async (c) => {
    const poolId = c.req.param('poolId');
    const principal = c.get('principal');
    const view = await poolFor(deps, principal, poolId, 'read');
    if (open >= SSE_CONNECTIONS_MAX) throw new ProblemError(503, 'Service Unavailable', 'too many open event streams; retry shortly');
    const resumeFrom = c.req.header('last-event-id') ?? c.req.query('lastEventId');
    if (resumeFrom !== undefined && !/^\d{1,15}$/.test(resumeFrom)) throw new ProblemError(400, 'Invalid Last-Event-ID', 'Last-Event-ID is a pool version number');

    open++;
    const reader = createRedis(deps.redisUrl, deps.redisKeyPrefix);
    return streamSSE(c, async (stream) => {
      let closed = false;
      stream.onAbort(() => {
        closed = true;
      });
      try {
        let lastVersion = resumeFrom === undefined ? -1 : Number(resumeFrom);
        // A fresh subscriber first gets the current view, then everything newer.
        if (resumeFrom === undefined) {
          await stream.writeSSE({ id: String(view.version), event: 'pool', data: JSON.stringify(view) });
          lastVersion = view.version;
        }
        const endsAt = Date.now() + SSE_STREAM_MS;
        let lastWriteAt = Date.now();
        let checkedAt = Date.now();
        // A member who leaves, is replaced or expelled loses the stream too, within SSE_ACCESS_RECHECK_MS.
        const stillAllowed = async () => {
          if (Date.now() - checkedAt < SSE_ACCESS_RECHECK_MS) return true;
          checkedAt = Date.now();
          const standing = await standingOf(deps.db, poolId, principal.sub);
          return standing !== null && allowed(principal, standing, 'read');
        };
        while (!closed && Date.now() < endsAt && (await stillAllowed())) {
          const result = (await reader.xread('COUNT', 100, 'BLOCK', BLOCK_MS, 'STREAMS', poolEventsKey(poolId), `${lastVersion}-1`)) as
            | Array<[string, Array<[string, string[]]>]>
            | null;
          for (const [, entries] of result ?? []) {
            for (const [entryId, fields] of entries) {
              const version = Number(entryId.split('-')[0]);
              if (version <= lastVersion) continue;
              await stream.writeSSE({ id: String(version), event: 'pool', data: fields[1]! });
              lastVersion = version;
              lastWriteAt = Date.now();
            }
          }
          if (Date.now() - lastWriteAt > KEEPALIVE_MS) {
            await stream.write(': keep-alive\n\n');
            lastWriteAt = Date.now();
          }
        }
      } finally {
        open--;
        reader.disconnect();
      }
    });
  });
  return app;
}
