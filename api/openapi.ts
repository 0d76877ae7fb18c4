// GET /openapi.json describes every route (request bodies generated from the very zod schemas the
// handlers validate with), and GET /docs serves a self-contained interactive reference built on it:
// no script from a CDN, so it works on a closed network too.
import { Hono } from 'hono';
import { z } from 'zod';
import { poolConfigSchema } from '../domain/pool-config';
import { bidRequestSchema, distributeRequestSchema, reasonSchema, replaceRequestSchema } from '../workflows/pool';
import { generatedContract, IDEMPOTENCY_KEY_PARAMETER, operationIdOf, PROBLEM_DESCRIPTIONS, type MountedContract, type ProblemStatus } from './contract';
import { docsPage } from './docs-page';
import { ProbeRequest } from './probes';

type Schema = Record<string, unknown>;
const json = (schema: z.ZodType): Schema => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;

const problem = { $ref: '#/components/schemas/Problem' };
const problemResponses = (codes: number[]) =>
  Object.fromEntries(codes.map((code) => [String(code), { description: PROBLEM_DESCRIPTIONS[code as ProblemStatus] ?? 'Problem', content: { 'application/problem+json': { schema: problem } } }]));

interface Operation {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  tag: string;
  body?: Schema;
  ok: number;
  problems: number[];
  auth?: boolean;
  sse?: boolean;
}

const poolPath = '/v1/pools/{poolId}';
const OPERATIONS: Operation[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness', tag: 'Health', ok: 200, problems: [], auth: false },
  { method: 'get', path: '/readyz', summary: 'Readiness of Temporal, the database and Redis', tag: 'Health', ok: 200, problems: [503], auth: false },
  { method: 'post', path: '/v1/pools', summary: 'Create a pool (manager)', tag: 'Pools', body: json(poolConfigSchema), ok: 201, problems: [400, 401, 403, 413, 415, 422, 429] },
  { method: 'get', path: '/v1/pools', summary: 'List the pools the caller may see (filters: status, kind; paging: limit, before)', tag: 'Pools', ok: 200, problems: [401, 422, 429] },
  { method: 'get', path: poolPath, summary: 'A pool’s current view', tag: 'Pools', ok: 200, problems: [401, 404, 429] },
  {
    method: 'post',
    path: `${poolPath}/members`,
    summary: 'Accept an invitation (member, for themselves): an open pool’s ID, or the manager’s invitation naming you. `agreeToCharges: true` records your agreement to be charged off-session on the pool’s terms (your own `commitmentMinor` in an investment pool); a replacement takes the outgoing member’s place',
    tag: 'Members',
    body: json(z.strictObject({ agreeToCharges: z.literal(true), commitmentMinor: z.string().optional(), memberId: z.string().optional() })),
    ok: 201,
    problems: [400, 401, 403, 404, 409, 422, 429],
  },
  { method: 'post', path: `${poolPath}/invitations`, summary: 'Invite a member to an open pool by member ID (manager); nothing changes until the member accepts', tag: 'Members', body: json(z.strictObject({ memberId: z.string() })), ok: 201, problems: [400, 401, 403, 404, 409, 422, 429] },
  { method: 'delete', path: `${poolPath}/members/{memberId}`, summary: 'Leave an open pool, withdrawing your agreement to be charged (member), or remove a member (manager)', tag: 'Members', ok: 200, problems: [401, 403, 404, 409, 429] },
  { method: 'post', path: `${poolPath}/members/{memberId}/replace`, summary: 'Invite a member to take this member’s place (manager); the replacement happens when they accept', tag: 'Members', body: json(replaceRequestSchema.omit({ outgoingMemberId: true })), ok: 202, problems: [400, 401, 403, 404, 409, 422, 429] },
  { method: 'get', path: '/v1/members/me/invitations', summary: 'Your pending invitations with each pool’s terms (member)', tag: 'Members', ok: 200, problems: [401, 403, 429] },
  { method: 'post', path: `${poolPath}/activate`, summary: 'Start the pool’s rounds and schedule (manager)', tag: 'Lifecycle', ok: 200, problems: [400, 401, 403, 404, 409, 429] },
  { method: 'post', path: `${poolPath}/pause`, summary: 'Pause the pool and its schedule (manager, ops)', tag: 'Lifecycle', body: json(reasonSchema), ok: 200, problems: [400, 401, 403, 404, 409, 429] },
  { method: 'post', path: `${poolPath}/resume`, summary: 'Resume the pool and its schedule (manager, ops)', tag: 'Lifecycle', ok: 200, problems: [400, 401, 403, 404, 409, 429] },
  { method: 'post', path: `${poolPath}/cancel`, summary: 'Cancel the pool; a round under way refunds what it collected (manager)', tag: 'Lifecycle', body: json(reasonSchema), ok: 200, problems: [400, 401, 403, 404, 409, 429] },
  { method: 'post', path: `${poolPath}/rounds`, summary: 'Run the next round now, through the schedule (manager, ops)', tag: 'Rounds', ok: 202, problems: [400, 401, 403, 404, 409, 429] },
  { method: 'get', path: `${poolPath}/rounds/{round}`, summary: 'A round: each member’s contribution with its PaymentIntent, and the payout', tag: 'Rounds', ok: 200, problems: [401, 404, 422, 429] },
  { method: 'post', path: `${poolPath}/rounds/{round}/bids`, summary: 'Bid the discount you accept for this round’s pot (member)', tag: 'Rounds', body: json(bidRequestSchema.pick({ discountMinor: true })), ok: 201, problems: [400, 401, 403, 404, 409, 422, 429] },
  { method: 'post', path: `${poolPath}/distributions`, summary: 'Distribute from an investment pool’s pot (manager)', tag: 'Rounds', body: json(distributeRequestSchema), ok: 202, problems: [400, 401, 403, 404, 409, 422, 429] },
  { method: 'get', path: `${poolPath}/ledger`, summary: 'Ledger balances, pot entries and invariant status', tag: 'Ledger', ok: 200, problems: [401, 404, 429] },
  { method: 'get', path: `${poolPath}/events`, summary: 'Server-sent events of the pool’s changes (resumable with Last-Event-ID)', tag: 'Pools', ok: 200, problems: [400, 401, 404, 429, 503], sse: true },
  { method: 'put', path: '/v1/members/me', summary: 'Create or update your member profile (member)', tag: 'Members', body: json(z.strictObject({ displayName: z.string(), email: z.email() })), ok: 200, problems: [401, 403, 413, 415, 422, 429] },
  { method: 'post', path: '/v1/members/me/payment-methods', summary: 'Save a card (pm_…) as your default payment method (member)', tag: 'Members', body: json(z.strictObject({ paymentMethodId: z.string() })), ok: 201, problems: [400, 401, 403, 409, 422, 429] },
  { method: 'post', path: '/v1/members/me/payout-account', summary: 'Create your payout account and get an onboarding link (member)', tag: 'Members', body: json(z.strictObject({ country: z.string().optional(), returnUrl: z.url(), refreshUrl: z.url() })), ok: 201, problems: [400, 401, 403, 409, 422, 429] },
  { method: 'post', path: '/v1/probes', summary: 'Run the plumbing probe workflow end to end and return what it recorded (ops)', tag: 'Health', body: json(ProbeRequest), ok: 201, problems: [400, 401, 403, 413, 415, 422, 429] },
  { method: 'get', path: '/v1/audit', summary: 'The audit trail of commands, newest first: who (subject, role), what (method, path), pool, request ID, outcome (ops; filters poolId, subject; paging limit, before)', tag: 'Operations', ok: 200, problems: [401, 403, 422, 429] },
  { method: 'post', path: '/v1/webhooks/stripe', summary: 'Stripe webhook endpoint (signed with the endpoint secret)', tag: 'Stripe', ok: 200, problems: [400, 413], auth: false },
  { method: 'get', path: '/openapi.json', summary: 'This document', tag: 'Docs', ok: 200, problems: [], auth: false },
  { method: 'get', path: '/docs', summary: 'Interactive reference', tag: 'Docs', ok: 200, problems: [], auth: false },
];

function parametersOf(path: string, operation: Operation) {
  const fromPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: m[1] === 'round' ? 'integer' : 'string' } }));
  const idempotencyKey = operation.method === 'post' && operation.auth !== false ? [IDEMPOTENCY_KEY_PARAMETER] : [];
  return [...fromPath, ...idempotencyKey];
}

/** The document: the hand-listed operations above plus every route the mounted contract apps define. */
export function openApiDocument(contracts: MountedContract[] = []) {
  const generated = generatedContract(contracts);
  const paths: Record<string, Record<string, unknown>> = generated.paths;
  for (const operation of OPERATIONS) {
    const okContent = operation.sse ? { 'text/event-stream': { schema: { type: 'string' } } } : operation.path === '/docs' ? { 'text/html': { schema: { type: 'string' } } } : { 'application/json': { schema: { type: 'object' } } };
    paths[operation.path] ??= {};
    paths[operation.path]![operation.method] = {
      summary: operation.summary,
      operationId: operationIdOf(operation.method, operation.path),
      tags: [operation.tag],
      parameters: parametersOf(operation.path, operation),
      ...(operation.body ? { requestBody: { required: true, content: { 'application/json': { schema: operation.body } } } } : {}),
      responses: { [String(operation.ok)]: { description: 'Success', content: okContent }, ...problemResponses(operation.problems) },
      ...(operation.auth === false ? { security: [] } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Poolflow API', version: '0.1.0', description: 'Money pools as durable Temporal workflows. Amounts are integer minor units; errors are RFC 9457 problem details.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        ...generated.schemas,
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
      },
    },
  };
}

export function openApiRoutes(contracts: MountedContract[] = []): Hono {
  const app = new Hono();
  const document = JSON.stringify(openApiDocument(contracts));
  app.get('/openapi.json', (c) => c.body(document, 200, { 'content-type': 'application/json' }));
  app.get('/docs', (c) => c.html(docsPage));
  return app;
}
