// /v1/assessment-tiers: the tiers on sale (their active rule packs) for everyone signed in; drafts,
// versions and activation for ops. Packs are validated by domain/assessments' schema; an activated
// version supersedes the tier's previous one, and assessments keep the version they were bought with.
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { activatePack, findPack, insertDraftPack, listActivePacks, listTierVersions, packIdOf } from '../../db/assessments/rule-packs';
import { transaction } from '../../db/transaction';
import { RulePackError, rulePackSchema } from '../../domain/assessments/index';
import { contractApp, jsonRequest, jsonResponse, problemResponses } from '../contract';
import type { ApiDeps } from '../deps';
import { ProblemError } from '../problem';
import { requireRole } from './access';
import { tierParam, tierSchema, tierView } from './schemas';

export function tierRoutes(deps: ApiDeps) {
  const app = contractApp();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'Tiers on sale (their active rule packs)',
      responses: { 200: jsonResponse('Tiers', z.object({ tiers: z.array(tierSchema) })) },
    }),
    async (c) => c.json({ tiers: (await listActivePacks(deps.db)).map(tierView) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{tier}/versions',
      summary: 'Every version of a tier (ops)',
      request: { params: tierParam },
      responses: { 200: jsonResponse('Versions, newest first', z.object({ versions: z.array(tierSchema) })), ...problemResponses(403, 404, 422) },
    }),
    async (c) => {
      requireRole(c.get('principal'), 'ops');
      const versions = await listTierVersions(deps.db, c.req.valid('param').tier);
      if (versions.length === 0) throw new ProblemError(404, 'Not Found', 'no such tier');
      return c.json({ versions: versions.map(tierView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'Save a rule pack as a draft version (ops)',
      request: { body: jsonRequest(rulePackSchema) },
      responses: { 201: jsonResponse('The draft', tierSchema), ...problemResponses(403, 409, 415, 422) },
    }),
    async (c) => {
      requireRole(c.get('principal'), 'ops');
      const pack = c.req.valid('json');
      if (!(await insertDraftPack(deps.db, pack, c.get('principal').sub)))
        throw new ProblemError(409, 'Version Exists', `${pack.tierId} version ${pack.version} exists already`);
      return c.json(tierView((await findPack(deps.db, packIdOf(pack.tierId, pack.version)))!), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{tier}/versions/{version}/activate',
      summary: 'Put a draft on sale, superseding the active version (ops)',
      request: { params: tierParam.extend({ version: z.coerce.number().int().min(1).max(1_000_000) }) },
      responses: { 200: jsonResponse('The activated version', tierSchema), ...problemResponses(403, 404, 409, 422) },
    }),
    async (c) => {
      requireRole(c.get('principal'), 'ops');
      const { tier, version } = c.req.valid('param');
      if (!(await findPack(deps.db, packIdOf(tier, version)))) throw new ProblemError(404, 'Not Found', 'no such tier version');
      try {
        await transaction(deps.db, (client) => activatePack(client, tier, version));
      } catch (error) {
        if (error instanceof RulePackError) throw new ProblemError(409, 'Not A Draft', error.message);
        throw error;
      }
      return c.json(tierView((await findPack(deps.db, packIdOf(tier, version)))!), 200);
    },
  );
  return app;
}
