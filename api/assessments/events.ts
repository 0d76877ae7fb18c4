// GET /v1/assessments/{id}/events: server-sent events of the assessment's standing, one `assessment`
// event per workflow version, resumable with Last-Event-ID, over the same mechanism as the pools' stream.
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { contractApp, problemResponses } from '../contract';
import type { ApiDeps } from '../deps';
import { eventStreamsOf } from '../event-streams';
import { ProblemError } from '../problem';
import { assessmentFor } from './access';
import { liveEventsKey } from '../../cache/keys';

export function assessmentEventRoutes(deps: ApiDeps) {
  const app = contractApp();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{assessmentId}/events',
      summary: 'Live standing as server-sent events (resumable with Last-Event-ID)',
      request: { params: z.object({ assessmentId: z.string().regex(/^[0-9a-f-]{36}$/, 'must be an assessment ID') }) },
      responses: {
        200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
        ...problemResponses(400, 403, 404, 422, 503),
      },
    }),
    async (c) => {
      const row = await assessmentFor(deps, c.get('principal'), c.req.valid('param').assessmentId, 'read');
      const resumeFrom = c.req.header('last-event-id') ?? c.req.query('lastEventId');
      if (resumeFrom !== undefined && !/^\d{1,15}$/.test(resumeFrom)) throw new ProblemError(400, 'Invalid Last-Event-ID', 'Last-Event-ID is a version number');
      return eventStreamsOf(deps).respond(c, {
        key: liveEventsKey(row.assessmentId),
        after: `${resumeFrom ?? 0}-1`,
        toMessage: ({ id, fields }) => ({ id: id.split('-')[0]!, event: 'assessment', data: fields[1]! }),
      });
    },
  );
  return app;
}
