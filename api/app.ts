// The Hono application: health checks and the Stripe webhook (no bearer token; the webhook is signed)
// and the authenticated /v1 API — rate limited per subject, Idempotency-Key on every POST — with one
// sub-app per resource, and one error handler that turns every failure into problem+json.
import { randomUUID } from 'node:crypto';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { httpMetrics } from '../observability/metrics';
import { requestContext } from '../observability/request-context';
import { httpTracing } from '../observability/tracing';
import { auditRoutes, auditTrail } from './audit';
import { requireAuth } from './auth';
import type { AppEnv } from './context';
import type { MountedContract } from './contract';
import type { ApiDeps } from './deps';
import { healthRoutes } from './health';
import { idempotency } from './idempotency';
import { memberRoutes } from './pools/members';
import { openApiRoutes } from './openapi';
import { poolEventRoutes } from './pools/pool-events';
import { poolRoutes } from './pools/pools';
import { ProblemError, problemResponse } from './problem';
import { probeRoutes } from './probes';
import { productContracts } from './products';
import { DEFAULT_API_LIMITS } from './limits';
import { rateLimit, requestCeilings } from './rate-limit';
import { webhookRoutes } from './webhooks';
import { knownProblem } from './known-problem';

/** Bodies larger than this are refused with 413 before they are read in full. */
export const BODY_BYTES_MAX = 64 * 1024;
const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const BODILESS_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

const limitBody = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ProblemError(413, 'Payload Too Large', `request bodies are limited to ${maxSize} bytes`);
    },
  });

const traderExcluded: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.get('principal').role === 'trader') throw new ProblemError(403, 'Forbidden', 'traders have access to their assessments only');
  await next();
};

export function createApp(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', httpTracing());
  app.use('*', httpMetrics());

  // Every request gets an ID (the caller's X-Request-Id when sane), echoed back and logged.
  app.use('*', async (c, next) => {
    const given = c.req.header('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    c.set('requestId', requestId);
    c.header('x-request-id', requestId);
    const startedAt = performance.now();
    await requestContext.run({ requestId }, next);
    deps.log.info('request', {
      requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round(performance.now() - startedAt),
    });
  });

  const apiLimit = limitBody(BODY_BYTES_MAX);
  // No handler reads the body of a GET or DELETE, and looking for one would build a full fetch Request
  // from Node's request on every read. The webhook reads its own body, only once its signature header
  // passed (api/webhooks.ts): this limit would read a body without a Content-Length in full first.
  app.use('/v1/*', (c, next) => (BODILESS_METHODS.has(c.req.method) || c.req.path.startsWith('/v1/webhooks/') ? next() : apiLimit(c, next)));

  // Every route but the pool event stream is defined once, as a contract, and GET /openapi.json is
  // generated from this list (the event stream's route documents itself in api/pools/pools.ts).
  const open: MountedContract[] = [
    { prefix: '', app: healthRoutes(deps) },
    { prefix: '', app: openApiRoutes(() => [...open, ...authenticated]) },
    { prefix: '/v1/webhooks', app: webhookRoutes(deps) },
  ];
  const authenticated: MountedContract[] = [
    { prefix: '/v1/pools', app: poolRoutes(deps) },
    { prefix: '/v1/members', app: memberRoutes(deps) },
    { prefix: '/v1/probes', app: probeRoutes(deps) },
    { prefix: '/v1/audit', app: auditRoutes(deps) },
    ...productContracts(deps),
  ];
  for (const { prefix, app: routes } of open) app.route(prefix || '/', routes);

  const limits = { ...DEFAULT_API_LIMITS, ...deps.limits };
  const v1 = new Hono<AppEnv>();
  // Anything but a read draws on the write budget.
  const isWrite = (method: string) => method !== 'GET';
  const subjectLimit = (method: string) => (isWrite(method) ? limits.write : limits.read);
  // Every request is counted before anything else runs, even before its token is checked. A caller whose
  // token was verified before is known for free: their own bucket is drawn in the same Redis call.
  v1.use(
    '*',
    requestCeilings(deps.redis, limits, (c) => {
      const known = deps.authenticate.known(c.req.header('authorization'));
      return known && { key: known.sub, limit: subjectLimit(c.req.method) };
    }),
  );
  v1.use('*', requireAuth(deps.authenticate));
  // Before the rate limits and idempotency, so that a refused command is on the trail too.
  v1.use('*', auditTrail(deps));
  // Counted before the request runs: a refused read never reaches its handler or the database.
  const readLimit = rateLimit(deps.redis, limits.read);
  const writeLimit = rateLimit(deps.redis, limits.write);
  v1.use('*', (c, next) => (isWrite(c.req.method) ? writeLimit(c, next) : readLimit(c, next)));
  v1.use('*', idempotency(deps.db));
  // Traders only ever act on their own assessments: the pool and probe routes, written before the role
  // existed, are closed to them as a whole rather than route by route.
  for (const path of ['/pools', '/pools/*', '/probes', '/probes/*']) v1.use(path, traderExcluded);
  v1.route('/pools', poolEventRoutes(deps));
  for (const { prefix, app: routes } of authenticated) v1.route(prefix.slice('/v1'.length), routes);
  app.route('/v1', v1);

  app.notFound((c) => problemResponse(c, new ProblemError(404, 'Not Found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => {
    const known = knownProblem(error);
    if (known) return problemResponse(c, known);
    deps.log.error('unhandled error', { requestId: c.get('requestId'), path: c.req.path, method: c.req.method, error });
    return problemResponse(c, new ProblemError(500, 'Internal Server Error'));
  });
  return app;
}
