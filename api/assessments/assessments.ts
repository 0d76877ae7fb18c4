// /v1/assessments: a trader buys an assessment, trades it (market orders, imported fills), asks for
// funded payouts, and reads its standing, violations and reports; ops steer it (override, emergency
// stop, resume) with a reason that is audited, and refund a purchase whose assessment never began.
// Access is decided from the database on every request (access.ts).
import { createRoute } from '@hono/zod-openapi';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { createPurchases, NotRefundableError, TierNotOnSaleError, TraderNotPayableError } from '../../activities/assessments/purchases';
import { listTraderAssessments } from '../../db/assessments/assessments';
import { type AssessmentCommandKind, assessmentUpdateId } from '../../domain/core/idempotency-keys';
import { insertOpsAction, listViolations } from '../../db/assessments/events';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { assessmentViewQuery, importFillsUpdate, opsActionUpdate, placeOrderUpdate, requestPayoutUpdate } from '../../workflows/assessments/assessment';
import { fillBatchSchema, opsActionSchema, orderRequestSchema, REASON_LENGTH_MAX } from '../../workflows/assessments/requests';
import { contractApp, jsonRequest, jsonResponse, problemResponses } from '../contract';
import type { Context } from 'hono';
import type { AppEnv } from '../context';
import type { ApiDeps } from '../deps';
import { ProblemError } from '../problem';
import { assessmentFor, requireActive, requireRole, workflowCall } from './access';
import { reportFor } from './report-reads';
import { assessmentSchema, assessmentView, purchaseSchema, tierSlug, violationSchema, workflowResultSchema } from './schemas';

const idParam = z.object({ assessmentId: z.string().regex(/^[0-9a-f-]{36}$/, 'must be an assessment ID') });
const purchaseBody = z.strictObject({
  tier: tierSlug,
  displayName: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .regex(/^[\p{L}\p{N} ._-]+$/u, 'letters, digits, spaces and . _ - only'),
});
const refundBody = z.strictObject({ reason: z.string().trim().min(5).max(REASON_LENGTH_MAX) });
const phaseQuery = z.object({ phase: z.coerce.number().int().min(0).max(3).optional() });

/** Rethrows what buying and refunding refuse as the problem the caller sees (anything else as it is). */
function asPurchaseProblem(error: unknown): never {
  if (error instanceof TierNotOnSaleError) throw new ProblemError(404, 'Not Found', error.message);
  if (error instanceof TraderNotPayableError) throw new ProblemError(409, 'Card Required', error.message);
  if (error instanceof NotRefundableError) throw new ProblemError(409, 'Not Refundable', error.message);
  throw error;
}

export function assessmentRoutes(deps: ApiDeps) {
  const app = contractApp();
  const purchases = createPurchases({ db: deps.db, stripe: deps.stripe });
  const handle = (assessmentId: string) => deps.temporal.workflow.getHandle(workflowIds.assessment(assessmentId));
  const keyOf = (c: { get(key: 'idempotencyKey'): string | undefined }) => c.get('idempotencyKey')!;
  /**
   * A command on the running assessment in the path, which the caller may `action`: the workflow update
   * runs under the request's Idempotency-Key (update ID `{kind}:{key}`), so Temporal drops a repeat too;
   * `arg` builds the update's argument from that key.
   */
  const updateActive = async <Arg, Result>(
    c: Context<AppEnv>,
    action: 'trade' | 'steer',
    update: UpdateDefinition<Result, [Arg]>,
    kind: AssessmentCommandKind,
    arg: (key: string) => Arg,
  ): Promise<Result> => {
    // The path parameter, as the route's schema has already checked it.
    const row = await assessmentFor(deps, c.get('principal'), c.req.param('assessmentId') ?? '', action);
    requireActive(row);
    const key = keyOf(c);
    return workflowCall(() => handle(row.assessmentId).executeUpdate(update, { args: [arg(key)], updateId: assessmentUpdateId(kind, key) }));
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'Buy an assessment of a tier with the saved card (the assessment starts when Stripe confirms the payment)',
      request: { body: jsonRequest(purchaseBody) },
      responses: {
        201: jsonResponse('The purchase and the payment’s outcome', purchaseSchema),
        ...problemResponses(403, 404, 409, 415, 422),
      },
    }),
    async (c) => {
      requireRole(c.get('principal'), 'trader');
      const body = c.req.valid('json');
      const outcome = await purchases
        .purchase({ traderId: c.get('principal').sub, tier: body.tier, displayName: body.displayName, purchaseKey: keyOf(c) })
        .catch(asPurchaseProblem);
      return c.json({ assessment: assessmentView(outcome.assessment), payment: outcome.payment }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'The trader’s own assessments, newest first',
      responses: { 200: jsonResponse('Assessments', z.object({ assessments: z.array(assessmentSchema) })), ...problemResponses(403) },
    }),
    async (c) => {
      requireRole(c.get('principal'), 'trader');
      return c.json({ assessments: (await listTraderAssessments(deps.db, c.get('principal').sub)).map((row) => assessmentView(row)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{assessmentId}',
      summary: 'An assessment and its live standing (today’s and the maximum permitted loss, objectives, violations)',
      request: { params: idParam },
      responses: { 200: jsonResponse('The assessment', assessmentSchema), ...problemResponses(403, 404, 422) },
    }),
    async (c) => {
      const row = await assessmentFor(deps, c.get('principal'), c.req.valid('param').assessmentId, 'read');
      // A running assessment answers from its workflow; otherwise (or if Temporal is away) from the database.
      const live =
        row.status === 'active'
          ? await handle(row.assessmentId)
              .query(assessmentViewQuery)
              .catch(() => null)
          : null;
      return c.json(assessmentView(row, live ?? undefined), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{assessmentId}/orders',
      summary: 'Place a market order (open with optional stop-loss and take-profit, or close a position), filled at the current price',
      request: { params: idParam, body: jsonRequest(orderRequestSchema) },
      responses: { 201: jsonResponse('The fill and the new standing', workflowResultSchema), ...problemResponses(403, 404, 409, 415, 422) },
    }),
    async (c) => {
      const result = await updateActive(c, 'trade', placeOrderUpdate, 'order', (orderKey) => ({ orderKey, order: c.req.valid('json') }));
      return c.json(result as unknown as z.infer<typeof workflowResultSchema>, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{assessmentId}/fills',
      summary: 'Import a batch of fills executed on an external platform (all applied, or none)',
      request: { params: idParam, body: jsonRequest(fillBatchSchema) },
      responses: {
        200: jsonResponse('How many were applied and the new standing', workflowResultSchema),
        ...problemResponses(403, 404, 409, 415, 422),
      },
    }),
    async (c) => {
      const result = await updateActive(c, 'trade', importFillsUpdate, 'fills', (batchKey) => ({ batchKey, batch: c.req.valid('json') }));
      return c.json(result as unknown as z.infer<typeof workflowResultSchema>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{assessmentId}/payouts',
      summary: 'Be paid the profit split of a funded account (and the fee refund on the first payout, when the tier says so)',
      request: { params: idParam },
      responses: { 200: jsonResponse('The payout and the new standing', workflowResultSchema), ...problemResponses(403, 404, 409, 422) },
    }),
    async (c) => {
      const result = await updateActive(c, 'trade', requestPayoutUpdate, 'payout', (requestKey) => ({ requestKey }));
      return c.json(result as unknown as z.infer<typeof workflowResultSchema>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{assessmentId}/ops-actions',
      summary: 'Ops: pass or fail the current phase, stop the assessment at once, or resume a paused account (with a reason, audited)',
      request: { params: idParam, body: jsonRequest(opsActionSchema) },
      responses: { 200: jsonResponse('The new standing', z.record(z.string(), z.unknown())), ...problemResponses(403, 404, 409, 415, 422) },
    }),
    async (c) => {
      const principal = c.get('principal');
      const body = c.req.valid('json');
      const view = await updateActive(c, 'steer', opsActionUpdate, 'ops', (actionKey) => ({ ...body, actionKey, actor: principal.sub }));
      return c.json(view as unknown as Record<string, unknown>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{assessmentId}/refund',
      summary: 'Ops: refund the fee of a paid assessment that never began (audited)',
      request: { params: idParam, body: jsonRequest(refundBody) },
      responses: { 200: jsonResponse('The refunded assessment', assessmentSchema), ...problemResponses(403, 404, 409, 415, 422) },
    }),
    async (c) => {
      const principal = c.get('principal');
      const row = await assessmentFor(deps, principal, c.req.valid('param').assessmentId, 'steer');
      await insertOpsAction(deps.db, {
        assessmentId: row.assessmentId,
        actionKey: keyOf(c),
        action: 'refund',
        actor: principal.sub,
        reason: c.req.valid('json').reason,
      });
      return c.json(assessmentView(await purchases.refundUnstarted(row.assessmentId).catch(asPurchaseProblem)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{assessmentId}/violations',
      summary: 'Every violation and warning, with its numbers and a plain-language explanation',
      request: { params: idParam },
      responses: {
        200: jsonResponse('Violations, oldest first', z.object({ violations: z.array(violationSchema) })),
        ...problemResponses(403, 404, 422),
      },
    }),
    async (c) => {
      const row = await assessmentFor(deps, c.get('principal'), c.req.valid('param').assessmentId, 'read');
      const violations = (await listViolations(deps.db, row.assessmentId)).map((v) => ({ ...v, occurredAt: v.occurredAt.toISOString() }));
      return c.json({ violations }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{assessmentId}/report',
      summary: 'A phase’s report: trades, statistics, violations explained (stored when the phase ended, built on demand while it runs)',
      request: { params: idParam, query: phaseQuery },
      responses: { 200: jsonResponse('The report', z.record(z.string(), z.unknown())), ...problemResponses(403, 404, 422) },
    }),
    async (c) => {
      const row = await assessmentFor(deps, c.get('principal'), c.req.valid('param').assessmentId, 'read');
      const { report } = await reportFor(deps, row, c.req.valid('query').phase);
      return c.json(report as Record<string, unknown>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{assessmentId}/report.svg',
      summary: 'A phase’s equity curve with its daily-loss and maximum-loss floors, as SVG',
      request: { params: idParam, query: phaseQuery },
      responses: { 200: { description: 'The chart', content: { 'image/svg+xml': { schema: z.string() } } }, ...problemResponses(403, 404, 422) },
    }),
    async (c) => {
      const row = await assessmentFor(deps, c.get('principal'), c.req.valid('param').assessmentId, 'read');
      const { svg } = await reportFor(deps, row, c.req.valid('query').phase);
      return c.body(svg, 200, { 'content-type': 'image/svg+xml' });
    },
  );
  return app;
}
