// The Hono application: one sub-app per resource, mounted with app.route(), and one error handler that
// turns every failure into a problem+json response.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { errorMessage } from '../observability/log';
import type { ApiDeps } from './deps';
import { healthRoutes } from './health';
import { ProblemError, problemResponse } from './problem';
import { probeRoutes } from './probes';
import { webhookRoutes } from './webhooks';

/** Bodies larger than this are refused with 413 before they are read in full. */
export const BODY_BYTES_MAX = 64 * 1024;
/** Stripe's events can be larger, and a 413 would make Stripe retry a delivery for days. */
export const WEBHOOK_BODY_BYTES_MAX = 1024 * 1024;

const limitBody = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ProblemError(413, 'Payload Too Large', `request bodies are limited to ${maxSize} bytes`);
    },
  });

export function createApp(deps: ApiDeps): Hono {
  const app = new Hono();
  const apiLimit = limitBody(BODY_BYTES_MAX);
  const webhookLimit = limitBody(WEBHOOK_BODY_BYTES_MAX);
  app.use('/v1/*', (c, next) => (c.req.path.startsWith('/v1/webhooks/') ? webhookLimit(c, next) : apiLimit(c, next)));
  app.route('/', healthRoutes(deps));
  app.route('/v1/probes', probeRoutes(deps));
  app.route('/v1/webhooks', webhookRoutes(deps));

  app.notFound((c) => problemResponse(c, new ProblemError(404, 'Not Found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => {
    if (error instanceof ProblemError) return problemResponse(c, error);
    if (error instanceof HTTPException) return problemResponse(c, new ProblemError(error.status, error.message || 'HTTP error'));
    deps.log.error('unhandled error', { path: c.req.path, method: c.req.method, error: errorMessage(error) });
    return problemResponse(c, new ProblemError(500, 'Internal Server Error'));
  });
  return app;
}
