// Liveness (`/healthz`: the process answers) and readiness (`/readyz`: Temporal, the database and Redis
// all answer); readiness is what a load balancer or the start script waits for.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { pingRedis } from '../cache/redis';
import { pingDb } from '../db/pool';
import type { AppEnv } from './context';
import { contractApp, jsonResponse } from './contract';
import type { ApiDeps } from './deps';

const CHECK_TIMEOUT_MS = 2_000;

async function pingTemporal(deps: ApiDeps): Promise<boolean> {
  try {
    const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
    await deps.temporal.connection.withAbortSignal(signal, () => deps.temporal.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}

const readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ temporal: z.boolean(), database: z.boolean(), redis: z.boolean() }),
});

export function healthRoutes(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const app = contractApp();
  // Public: a load balancer asks without a token.
  const open = { tags: ['Health'], security: [] };
  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      summary: 'Liveness',
      ...open,
      responses: { 200: jsonResponse('The process answers', z.object({ status: z.literal('ok') })) },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      summary: 'Readiness of Temporal, the database and Redis',
      ...open,
      responses: {
        200: jsonResponse('Every dependency answers', readiness),
        503: jsonResponse('Some dependency does not answer: `checks` says which', readiness),
      },
    }),
    async (c) => {
      const [temporal, database, redis] = await Promise.all([pingTemporal(deps), pingDb(deps.db, CHECK_TIMEOUT_MS), pingRedis(deps.redis)]);
      const checks = { temporal, database, redis };
      return temporal && database && redis ? c.json({ status: 'ready' as const, checks }, 200) : c.json({ status: 'unavailable' as const, checks }, 503);
    },
  );
  return app;
}
