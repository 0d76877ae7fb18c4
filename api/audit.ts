// The audit trail: every command (any /v1 request that is not a read) is recorded after it was answered
// — who, what, on which pool, the request ID, the status — and ops read the trail at GET /v1/audit.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { appendAuditEvent, listAuditEvents } from '../db/audit';
import { requestContext } from '../observability/request-context';
import type { AppEnv } from './context';
import { contractApp, jsonResponse, problemResponses, requireRole } from './contract';
import type { ApiDeps } from './deps';
import { auditPage, auditQuery } from './pools/pool-schemas';
import { knownProblem } from './known-problem';

/** Longer paths are kept to this many characters. */
export const AUDIT_PATH_CHARS_MAX = 500;
const POOL_IN_PATH = /^\/v1\/pools\/([A-Za-z0-9_-]{1,64})(?:\/|$)/;
const POOL_IN_LOCATION = /^\/v1\/pools\/([A-Za-z0-9_-]{1,64})$/;

/**
 * Records the caller as the actor of the request (it travels into the workflows as a Temporal header)
 * and, for commands, appends the audit event once the response is known. A command whose audit event
 * cannot be written has already happened: the failure is logged loudly rather than hidden.
 */
export function auditTrail(deps: Pick<ApiDeps, 'db' | 'log'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    const context = requestContext.getStore();
    if (context) context.actor = { subject: principal.sub, role: principal.role };
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    let thrown: unknown;
    try {
      await next();
    } catch (error) {
      thrown = error;
      throw error;
    } finally {
      const poolId = POOL_IN_PATH.exec(c.req.path)?.[1] ?? POOL_IN_LOCATION.exec(c.res.headers.get('location') ?? '')?.[1] ?? null;
      // An error still on its way to the app's onError has no response yet: its status is worked out the same way.
      const error = thrown ?? c.error;
      const outcome = error === undefined ? c.res.status : statusOf(error);
      // The path as sent (percent-encoded), and no control characters: a trail must hold whatever an attacker sends.
      const path = new URL(c.req.url).pathname.slice(0, AUDIT_PATH_CHARS_MAX);
      const subject = principal.sub.replace(/\p{Cc}/gu, '\uFFFD');
      await appendAuditEvent(deps.db, { subject, role: principal.role, method: c.req.method, path, poolId, requestId: c.get('requestId'), outcome }).catch(
        (error: unknown) => deps.log.error('audit event not recorded', { requestId: c.get('requestId'), error }),
      );
    }
  };
}

function statusOf(error: unknown): number {
  return knownProblem(error)?.status ?? 500;
}

export function auditRoutes(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const app = contractApp();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary:
        'The audit trail of commands, newest first: who (subject, role), what (method, path), pool, request ID, outcome (ops; filters poolId, subject; paging limit, before)',
      tags: ['Operations'],
      middleware: [requireRole(['ops'], 'the audit trail is for operations')],
      request: { query: auditQuery },
      responses: { 200: jsonResponse('A page of the trail', auditPage), ...problemResponses(403, 422) },
    }),
    async (c) => {
      const filter = c.req.valid('query');
      const events = await listAuditEvents(deps.db, filter);
      const next = events.length === filter.limit ? events.at(-1)!.at.toISOString() : null;
      return c.json({ events: events.map((e) => ({ ...e, at: e.at.toISOString() })), next }, 200);
    },
  );
  return app;
}
