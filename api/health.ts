// Liveness (`/healthz`: the process answers) and readiness (`/readyz`: Temporal, the database and Redis
// all answer); readiness is what a load balancer or the start script waits for.
import { Hono } from 'hono';
import { pingRedis } from '../cache/redis';
import { pingDb } from '../db/pool';
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

export function healthRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const [temporal, database, redis] = await Promise.all([pingTemporal(deps), pingDb(deps.db, CHECK_TIMEOUT_MS), pingRedis(deps.redis)]);
    const checks = { temporal, database, redis };
    const ready = temporal && database && redis;
    return c.json({ status: ready ? 'ready' : 'unavailable', checks }, ready ? 200 : 503);
  });
  return app;
}
