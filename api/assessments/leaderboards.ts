// /v1/assessment-leaderboards/{tier}: the tier's assessments by return (Redis sorted set; ties ordered
// by assessment ID), display names only. Ops rebuild a leaderboard from the database.
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { LEADERBOARD_ROWS_MAX, readLeaderboard } from '../../activities/assessments/live';
import { rebuildLeaderboard } from '../../activities/assessments/leaderboard-rebuild';
import { contractApp, jsonResponse, problemResponses } from '../contract';
import type { ApiDeps } from '../deps';
import { requireRole } from './access';
import { leaderboardSchema, tierParam } from './schemas';

export function leaderboardRoutes(deps: ApiDeps) {
  const app = contractApp();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{tier}',
      summary: 'A tier’s leaderboard by return',
      request: { params: tierParam, query: z.object({ limit: z.coerce.number().int().min(1).max(LEADERBOARD_ROWS_MAX).default(20) }) },
      responses: { 200: jsonResponse('The leaderboard', leaderboardSchema), ...problemResponses(422, 503) },
    }),
    async (c) => {
      const { tier } = c.req.valid('param');
      return c.json({ tier, rows: await readLeaderboard(deps.redis, tier, c.req.valid('query').limit) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{tier}/rebuild',
      summary: 'Ops: rebuild a tier’s leaderboard from the database',
      request: { params: tierParam },
      responses: { 200: jsonResponse('The rebuilt leaderboard', leaderboardSchema), ...problemResponses(403, 422, 503) },
    }),
    async (c) => {
      requireRole(c.get('principal'), 'ops');
      const { tier } = c.req.valid('param');
      await rebuildLeaderboard(deps.db, deps.redis, tier);
      return c.json({ tier, rows: await readLeaderboard(deps.redis, tier, LEADERBOARD_ROWS_MAX) }, 200);
    },
  );
  return app;
}
