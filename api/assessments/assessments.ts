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
import type { Principal } from '../auth';
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
   * A command on the running assessment in the path, which the caller may `action`: a workflow update
   * under the request's Idempotency-Key (assessmentUpdateId), so that Temporal drops a repeat too. `arg`
   * builds the update's argument from that key, the request's body (if the route takes one) and the caller.
   */
  const commandRoute = <Arg, Result, Body extends z.ZodType = z.ZodUndefined>(
    route: { path: string; summary: string; body?: Body; status: 200 | 201; description: string; response: z.ZodType },
    command: {
      action: 'trade' | 'steer';
      kind: AssessmentCommandKind;
      update: UpdateDefinition<Result, [Arg]>;
      arg: (key: string, body: z.output<Body>, principal: Principal) => Arg;
    },
  ) =>
    app.openapi(
      createRoute({
        method: 'post',
        path: route.path,
        summary: route.summary,
        request: route.body ? { params: idParam, body: jsonRequest(route.body) } : { params: idParam },
        responses: {
          [route.status]: jsonResponse(route.description, route.response),
          ...(route.body ? problemResponses(403, 404, 409, 415, 422) : problemResponses(403, 404, 409, 422)),
        },
      }),
      // The handler's response is the update's result, which the route's typed responses cannot follow.
      (async (c: Context<AppEnv>) => {
        const principal = c.get('principal');
        // The path parameter and the body, as the route's schemas have already checked them.
        const row = await assessmentFor(deps, principal, c.req.param('assessmentId') ?? '', command.action);
        requireActive(row);
        const key = keyOf(c);
        const body = (route.body ? (c.req as unknown as { valid(target: 'json'): unknown }).valid('json') : undefined) as z.output<Body>;
        const result = await workflowCall(() =>
          handle(row.assessmentId).executeUpdate(command.update, {
            args: [command.arg(key, body, principal)],
            updateId: assessmentUpdateId(command.kind, key),
          }),
        );
        return c.json(result as object, route.status);
      }) as never,
    );

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

  commandRoute(
    {
      path: '/{assessmentId}/orders',
      summary: 'Place a market order (open with optional stop-loss and take-profit, or close a position), filled at the current price',
      body: orderRequestSchema,
      status: 201,
      description: 'The fill and the new standing',
      response: workflowResultSchema,
    },
    { action: 'trade', kind: 'order', update: placeOrderUpdate, arg: (orderKey, order) => ({ orderKey, order }) },
  );

  commandRoute(
    {
      path: '/{assessmentId}/fills',
      summary: 'Import a batch of fills executed on an external platform (all applied, or none)',
      body: fillBatchSchema,
      status: 200,
      description: 'How many were applied and the new standing',
      response: workflowResultSchema,
    },
    { action: 'trade', kind: 'fills', update: importFillsUpdate, arg: (batchKey, batch) => ({ batchKey, batch }) },
  );

  commandRoute(
    {
      path: '/{assessmentId}/payouts',
      summary: 'Be paid the profit split of a funded account (and the fee refund on the first payout, when the tier says so)',
      status: 200,
      description: 'The payout and the new standing',
      response: workflowResultSchema,
    },
    { action: 'trade', kind: 'payout', update: requestPayoutUpdate, arg: (requestKey) => ({ requestKey }) },
  );

  commandRoute(
    {
      path: '/{assessmentId}/ops-actions',
      summary: 'Ops: pass or fail the current phase, stop the assessment at once, or resume a paused account (with a reason, audited)',
      body: opsActionSchema,
      status: 200,
      description: 'The new standing',
      response: z.record(z.string(), z.unknown()),
    },
    { action: 'steer', kind: 'ops', update: opsActionUpdate, arg: (actionKey, action, principal) => ({ ...action, actionKey, actor: principal.sub }) },
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
