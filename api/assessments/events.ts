// GET /v1/assessments/{id}/events: server-sent events of the assessment's standing, one `assessment`
// event per workflow version, resumable with Last-Event-ID, over the same mechanism as the pools' stream.
import { createRoute } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { createRedis } from '../../cache/redis';
import { contractApp, problemResponses } from '../contract';
import type { ApiDeps } from '../deps';
import { SSE_STREAM_MS } from '../pool-events';
import { ProblemError } from '../problem';
import { assessmentFor } from './access';
import { liveEventsKey } from '../../cache/keys';

/** Open assessment streams per API process; each holds a Redis connection of its own. */
export const ASSESSMENT_SSE_CONNECTIONS_MAX = 200;
const BLOCK_MS = 1_500;
const KEEPALIVE_MS = 15_000;

export function assessmentEventRoutes(deps: ApiDeps) {
  const app = contractApp();
  let open = 0;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{assessmentId}/events',
      summary: 'Live standing as server-sent events (resumable with Last-Event-ID)',
      request: { params: z.object({ assessmentId: z.string().regex(/^[0-9a-f-]{36}$/, 'must be an assessment ID') }) },
      responses: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } }, ...problemResponses(400, 401, 403, 404, 422, 429, 503) },
    }),
    async (c) => {
      const row = await assessmentFor(deps, c.get('principal'), c.req.valid('param').assessmentId, 'read');
      if (open >= ASSESSMENT_SSE_CONNECTIONS_MAX) throw new ProblemError(503, 'Service Unavailable', 'too many open event streams; retry shortly');
      const resumeFrom = c.req.header('last-event-id') ?? c.req.query('lastEventId');
      if (resumeFrom !== undefined && !/^\d{1,15}$/.test(resumeFrom)) throw new ProblemError(400, 'Invalid Last-Event-ID', 'Last-Event-ID is a version number');
      open++;
      const reader = createRedis(deps.redisUrl, deps.redisKeyPrefix);
      return streamSSE(c, async (stream) => {
        let closed = false;
        stream.onAbort(() => {
          closed = true;
        });
        try {
          let lastVersion = resumeFrom === undefined ? 0 : Number(resumeFrom);
          const endsAt = Date.now() + SSE_STREAM_MS;
          let lastWriteAt = Date.now();
          while (!closed && Date.now() < endsAt) {
            const result = (await reader.xread('COUNT', 100, 'BLOCK', BLOCK_MS, 'STREAMS', liveEventsKey(row.assessmentId), `${lastVersion}-1`)) as Array<[string, Array<[string, string[]]>]> | null;
            for (const [, entries] of result ?? []) {
              for (const [entryId, fields] of entries) {
                const version = Number(entryId.split('-')[0]);
                if (version <= lastVersion) continue;
                await stream.writeSSE({ id: String(version), event: 'assessment', data: fields[1]! });
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
    },
  );
  return app;
}
