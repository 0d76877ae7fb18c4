// /v1/simulations: start a batch (any model, or "simulate this pool" from its live state), follow its
// progress (a query, or server-sent events), read its result and its charts, cancel it. Defined with the
// contract glue, so the same definitions validate requests and document the routes.
import { createRoute, z } from '@hono/zod-openapi';
import type { BatchRow } from '../../db/simulations/batches';
import { contributionRecord, poolViewFromDb, reserveBalanceMinor } from '../../db/simulations/pool-inputs';
import { TRADES_PER_DAY_MAX } from '../../domain/simulations/assessment';
import { CHUNKS_MAX, PATH_COUNT_MAX } from '../../domain/simulations/chunking';
import { MODEL_NAMES } from '../../domain/simulations/models';
import { PoolNotSimulableError, shortfallParamsFromPool } from '../../domain/simulations/pool-inputs';
import type { SimulationResult } from '../../domain/simulations/result';
import { SEED_MAX } from '../../domain/simulations/stream';
import { minorAmount } from '../../domain/pools/pool-config';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { contractApp, jsonRequest, jsonResponse, problemResponses } from '../contract';
import type { Context } from 'hono';
import type { AppEnv } from '../context';
import type { ApiDeps } from '../deps';
import { eventStreamsOf } from '../event-streams';
import { allowed, POOL_ID_PATTERN } from '../pools/pool-access';
import { standingOf } from '../pools/pool-standings';
import { ProblemError } from '../problem';
import { ASSESSMENT_ID_PATTERN } from '../assessments/access';
import { assessmentParamsFor } from './assessment-inputs';
import { fanChartSvg, histogramSvg } from './charts';
import { batchFor, progressOf, startBatch, BATCH_ID_PATTERN } from './batches';
import { simulationEventsKey } from '../../cache/keys';

const statusSchema = z.enum(['running', 'completed', 'failed', 'cancelled']);
const progressSchema = z
  .object({ status: statusSchema, chunkCount: z.int(), chunksDone: z.int(), pathsDone: z.int(), pathCount: z.int() })
  .meta({ id: 'SimulationProgress' });
const batchSchema = z
  .object({
    batchId: z.string(),
    model: z.enum(MODEL_NAMES),
    status: statusSchema,
    seed: z.int(),
    pathCount: z.int(),
    chunkCount: z.int(),
    poolId: z.string().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
    progress: progressSchema,
    /** The model's report, histograms and percentile bands once completed. */
    result: z.record(z.string(), z.unknown()).nullable(),
    links: z.object({ self: z.string(), progress: z.string(), events: z.string(), fanChart: z.string(), histogram: z.string() }),
  })
  .meta({ id: 'SimulationBatch' });

const batchParam = z.object({ batchId: z.string().regex(BATCH_ID_PATTERN, 'must be a simulation ID such as sim_…') });
const seed = z.int().min(0).max(SEED_MAX).optional().describe('Same seed, parameters and paths: the same result to the bit. Drawn when left out.');
const paths = z.int().min(1).max(PATH_COUNT_MAX);
const chunks = z.int().min(1).max(CHUNKS_MAX).optional().describe('How many chunks to split the paths into; it never changes the result.');

const createBody = z.strictObject({ model: z.enum(MODEL_NAMES), params: z.record(z.string(), z.unknown()), seed, paths, chunks });
const poolBody = z.strictObject({
  paths,
  seed,
  chunks,
  /** history: each member's own contribution record (shrunk towards defaultProbability); parameters: defaultProbability for all. */
  defaultsFrom: z.enum(['history', 'parameters']).default('history'),
  defaultProbability: z.number().min(0).max(1).default(0.02),
  targetCoverage: z.number().min(0.5).max(0.9999).default(0.99),
  /** The reserve to assume instead of the ledger's current balance. */
  reserveMinor: minorAmount.optional(),
});
const assessmentBody = z.strictObject({
  paths,
  seed,
  chunks,
  tradesPerDay: z.int().min(1).max(TRADES_PER_DAY_MAX).optional().describe('Trades a simulated day; by default the trader’s own pace so far in the phase.'),
});

const svg = (description: string) => ({ description, content: { 'image/svg+xml': { schema: z.string() } } });

async function describeBatch(deps: ApiDeps, batch: BatchRow) {
  const base = `/v1/simulations/${batch.batchId}`;
  return {
    batchId: batch.batchId,
    model: batch.model as (typeof MODEL_NAMES)[number],
    status: batch.status,
    seed: batch.seed,
    pathCount: batch.pathCount,
    chunkCount: batch.chunkCount,
    poolId: batch.poolId,
    createdAt: batch.createdAt.toISOString(),
    completedAt: batch.completedAt?.toISOString() ?? null,
    progress: await progressOf(deps, batch),
    result: batch.status === 'completed' ? batch.result : null,
    links: {
      self: base,
      progress: `${base}/progress`,
      events: `${base}/events`,
      fanChart: `${base}/charts/fan.svg`,
      histogram: `${base}/charts/histogram.svg`,
    },
  };
}

function completedResult(batch: BatchRow): SimulationResult {
  if (batch.status !== 'completed' || !batch.result)
    throw new ProblemError(409, 'Conflict', `the simulation is ${batch.status}; charts exist once it has completed`);
  return batch.result as unknown as SimulationResult;
}

export function simulationRoutes(deps: ApiDeps) {
  const app = contractApp();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{poolId}',
      summary: 'Simulate this pool: the chance its pot runs short, from its live state (manager or ops)',
      request: { params: z.object({ poolId: z.string().regex(POOL_ID_PATTERN) }), body: jsonRequest(poolBody) },
      responses: {
        200: jsonResponse('The same simulation, already completed', batchSchema),
        202: jsonResponse('The simulation, started or still running', batchSchema),
        ...problemResponses(400, 401, 403, 404, 409, 422, 429, 503),
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { poolId } = c.req.valid('param');
      const body = c.req.valid('json');
      const standing = await standingOf(deps.db, poolId, principal);
      if (!standing || !allowed(principal, standing, 'read')) throw new ProblemError(404, 'Not Found', 'no such pool');
      if (!allowed(principal, standing, 'steer')) throw new ProblemError(403, 'Forbidden', 'only the pool’s manager or ops may simulate it');
      const view = await poolViewFromDb(deps.db, poolId);
      if (!view) throw new ProblemError(404, 'Not Found', 'no such pool');
      const reserve = body.reserveMinor !== undefined ? BigInt(body.reserveMinor) : await reserveBalanceMinor(deps.db, poolId, view.config.currency);
      let params;
      try {
        params = shortfallParamsFromPool(view, await contributionRecord(deps.db, poolId), {
          defaultsFrom: body.defaultsFrom,
          defaultProbability: body.defaultProbability,
          reserveMinor: reserve,
          targetCoverage: body.targetCoverage,
        });
      } catch (error) {
        if (error instanceof PoolNotSimulableError) throw new ProblemError(409, 'Conflict', error.message);
        throw error;
      }
      const { batch } = await startBatch(deps, principal, { model: 'pool-shortfall', params, seed: body.seed, paths: body.paths, chunks: body.chunks, poolId });
      return c.json(await describeBatch(deps, batch), batch.status === 'completed' ? 200 : 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/assessments/{assessmentId}',
      summary: 'Simulate this assessment from here: the chance to pass, fail or time out, drawing from the trader’s own trades (its trader or ops)',
      request: { params: z.object({ assessmentId: z.string().regex(ASSESSMENT_ID_PATTERN, 'must be an assessment ID') }), body: jsonRequest(assessmentBody) },
      responses: {
        200: jsonResponse('The same simulation, already completed', batchSchema),
        202: jsonResponse('The simulation, started or still running', batchSchema),
        ...problemResponses(400, 401, 404, 409, 422, 429, 503),
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const body = c.req.valid('json');
      const params = await assessmentParamsFor(deps, principal, c.req.valid('param').assessmentId, { tradesPerDay: body.tradesPerDay });
      const { batch } = await startBatch(deps, principal, { model: 'assessment', params, seed: body.seed, paths: body.paths, chunks: body.chunks });
      return c.json(await describeBatch(deps, batch), batch.status === 'completed' ? 200 : 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'Start a simulation batch (or find the same one already run)',
      request: { body: jsonRequest(createBody) },
      responses: {
        200: jsonResponse('The same simulation, already completed', batchSchema),
        202: jsonResponse('The simulation, started or still running', batchSchema),
        ...problemResponses(400, 401, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { batch } = await startBatch(deps, c.get('principal'), body);
      return c.json(await describeBatch(deps, batch), batch.status === 'completed' ? 200 : 202);
    },
  );

  /** A JSON view of the batch in the path, which the caller may read. */
  const batchView = <S extends z.ZodType>(
    path: string,
    summary: string,
    view: { description: string; schema: S; of: (batch: BatchRow) => Promise<z.input<S>> },
  ) =>
    app.openapi(
      createRoute({
        method: 'get',
        path,
        summary,
        request: { params: batchParam },
        responses: { 200: jsonResponse(view.description, view.schema), ...problemResponses(401, 404, 422, 429) },
      }),
      // The view's type follows the schema given, which the route's typed responses cannot follow.
      (async (c: Context<AppEnv>) => c.json(await view.of(await batchFor(deps, c.get('principal'), c.req.param('batchId') ?? '')), 200)) as never,
    );

  batchView('/{batchId}', 'A simulation batch: status, progress and, once completed, its result', {
    description: 'The simulation',
    schema: batchSchema,
    of: (batch) => describeBatch(deps, batch),
  });
  batchView('/{batchId}/progress', 'How far a simulation batch has come', {
    description: 'Progress',
    schema: progressSchema,
    of: (batch) => progressOf(deps, batch),
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{batchId}/cancel',
      summary: 'Cancel a running simulation batch (whoever asked for it, or ops); finished chunks are kept',
      request: { params: batchParam },
      responses: { 202: jsonResponse('Cancellation requested', batchSchema), ...problemResponses(400, 401, 404, 409, 422, 429, 503) },
    }),
    async (c) => {
      const batch = await batchFor(deps, c.get('principal'), c.req.valid('param').batchId);
      if (batch.status !== 'running') throw new ProblemError(409, 'Conflict', `the simulation is ${batch.status}`);
      await deps.temporal.workflow.getHandle(workflowIds.simulation(batch.batchId)).cancel();
      return c.json(await describeBatch(deps, batch), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{batchId}/events',
      summary: 'Server-sent events of a batch: `progress` while it runs, then `completed`, `failed` or `cancelled`',
      request: { params: batchParam },
      responses: {
        200: { description: 'An event stream (Last-Event-ID resumes)', content: { 'text/event-stream': { schema: z.string() } } },
        ...problemResponses(400, 401, 404, 422, 429, 503),
      },
    }),
    async (c) => {
      const batch = await batchFor(deps, c.get('principal'), c.req.valid('param').batchId);
      const resumeFrom = c.req.header('last-event-id');
      if (resumeFrom !== undefined && !/^\d{1,15}-\d{1,10}$/.test(resumeFrom))
        throw new ProblemError(400, 'Invalid Last-Event-ID', 'Last-Event-ID is an event ID this stream sent');
      return (await eventStreamsOf(deps).respond(c, {
        key: simulationEventsKey(batch.batchId),
        after: resumeFrom ?? '0-0',
        // A batch that has ended answers with its outcome alone.
        opening: async (send) => {
          if (batch.status === 'running') return;
          const progress = await progressOf(deps, batch);
          await send({ event: batch.status, data: JSON.stringify({ type: batch.status, pathsDone: progress.pathsDone, pathCount: progress.pathCount }) });
          return 'end';
        },
        toMessage: ({ id, fields }) => {
          const event = JSON.parse(fields[1]!) as { type: string };
          return { id, event: event.type, data: fields[1]!, last: event.type !== 'progress' };
        },
      })) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{batchId}/charts/fan.svg',
      summary: 'Fan chart: percentile bands (5-95 %, 25-75 %, median) of the value over time',
      request: { params: batchParam },
      responses: { 200: svg('An SVG image'), ...problemResponses(401, 404, 409, 422, 429) },
    }),
    async (c) => {
      const batch = await batchFor(deps, c.get('principal'), c.req.valid('param').batchId);
      const image = fanChartSvg(completedResult(batch), `${batch.model}: ${batch.pathCount} paths, seed ${batch.seed}`);
      if (!image) throw new ProblemError(404, 'Not Found', `the ${batch.model} model has no values over time`);
      return c.body(image, 200, { 'content-type': 'image/svg+xml; charset=utf-8' }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{batchId}/charts/histogram.svg',
      summary: 'Histogram of one outcome over all paths (the model’s first outcome unless `outcome` names another)',
      request: {
        params: batchParam,
        query: z.object({
          outcome: z
            .string()
            .regex(/^[A-Za-z]{1,40}$/)
            .optional(),
        }),
      },
      responses: { 200: svg('An SVG image'), ...problemResponses(401, 404, 409, 422, 429) },
    }),
    async (c) => {
      const batch = await batchFor(deps, c.get('principal'), c.req.valid('param').batchId);
      const result = completedResult(batch);
      const outcome = c.req.valid('query').outcome ?? result.histograms[0]!.name;
      const image = histogramSvg(result, outcome, `${batch.model}: ${outcome}, ${batch.pathCount} paths`);
      if (!image)
        throw new ProblemError(404, 'Not Found', `no outcome ${outcome}; the ${batch.model} model has ${result.histograms.map((h) => h.name).join(', ')}`);
      return c.body(image, 200, { 'content-type': 'image/svg+xml; charset=utf-8' }) as never;
    },
  );

  return app;
}
