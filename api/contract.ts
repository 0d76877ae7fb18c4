// Routes defined once: each product's sub-app declares its routes with createRoute (method, path,
// request and response schemas, every error status), and the same definition validates the request,
// types the handler and generates that route's part of GET /openapi.json.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hook } from '@hono/zod-openapi';
import type { Context, Env, MiddlewareHandler, TypedResponse } from 'hono';
import type { JSONParsed } from 'hono/utils/types';
import type { Role } from './auth';
import type { AppEnv } from './context';
import { z } from 'zod';
import { ProblemError, type FieldError } from './problem';

/** The problem statuses an authenticated route may answer, with what each means to a caller. */
export const PROBLEM_DESCRIPTIONS = {
  400: 'Malformed request (bad JSON, missing Idempotency-Key)',
  401: 'Missing or invalid bearer token',
  403: 'Not allowed for this role',
  404: 'No such resource (or not visible to the caller)',
  409: 'Refused in the resource’s current state',
  413: 'Body too large',
  415: 'Body is not JSON',
  422: 'Validation failed; `errors` names each field',
  429: 'Rate limit reached',
  503: 'A dependency is unavailable',
} as const;
export type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS;

/** RFC 9457 problem details, as every error response of the API carries them. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

/** Response entries for a route definition: one problem+json response per status listed. */
export function problemResponses(...statuses: ProblemStatus[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: PROBLEM_DESCRIPTIONS[status], content: { 'application/problem+json': { schema: problemSchema } } }]),
  ) as Record<ProblemStatus, { description: string; content: { 'application/problem+json': { schema: typeof problemSchema } } }>;
}

/** A JSON response entry for a route definition. */
export function jsonResponse<S extends z.ZodType>(description: string, schema: S) {
  return { description, content: { 'application/json': { schema } } };
}

/** A JSON request body for a route definition (required, so a body of another type is refused). */
export function jsonRequest<S extends z.ZodType>(schema: S) {
  return { required: true, content: { 'application/json': { schema } } };
}

/**
 * A JSON request body that may be left out: an empty body (with or without a JSON content type) is
 * the empty object, which the schema then validates like any other. Pair with `emptyBodyAsObject`.
 */
export function optionalJsonRequest<S extends z.ZodType>(schema: S) {
  return { required: false, content: { 'application/json': { schema } } };
}

/**
 * Route middleware for an optional body: the route's JSON validator would refuse an empty body as
 * malformed JSON, so an empty one reads as `{}` (which the schema validates), and as the empty body it
 * is to the media-type check, which then lets a request without a Content-Type through. Both through
 * Hono's body cache, which holds each form of the body as a promise, whatever its declaration says.
 */
export const emptyBodyAsObject: MiddlewareHandler = async (c, next) => {
  if ((await c.req.text()) === '') Object.assign(c.req.bodyCache, { text: Promise.resolve('{}'), arrayBuffer: Promise.resolve(new ArrayBuffer(0)) });
  await next();
};

/**
 * Route middleware admitting only callers of the given roles: who may call a route is decided before
 * what they sent is looked at, so a caller without the role learns nothing about the route's schema.
 */
export function requireRole(roles: Role[], detail: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!roles.includes(c.get('principal').role)) throw new ProblemError(403, 'Forbidden', detail);
    await next();
  };
}

/**
 * A JSON body that is already serialised (a cached read model), answered as it is, with the type the
 * route's response schema gives it; the schema documents it, and the contract tests check it.
 */
export function jsonText<T, E extends Env>(c: Context<E>, text: string): TypedResponse<JSONParsed<T>, 200, 'json'> {
  return c.body(text, 200, { 'content-type': 'application/json' }) as unknown as TypedResponse<JSONParsed<T>, 200, 'json'>;
}

/** The Idempotency-Key header every authenticated POST requires (enforced by api/idempotency.ts). */
export const IDEMPOTENCY_KEY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: true,
  description:
    'Repeat a request safely: the same key and body return the first response; another body under a used key is 422; a key whose first request still runs is 409 with Retry-After. 8-128 characters of A-Z a-z 0-9 _ . : - (a UUID will do); choose a new one per intended command',
  schema: { type: 'string', minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]{8,128}$' },
} as const;

/** A stable operation ID from the method and path: `post /v1/pools/{poolId}/pause` → `postV1PoolsPoolIdPause`. */
export function operationIdOf(method: string, path: string): string {
  return `${method}${path.replace(/[{}]/g, '').replace(/[/.-](\w)/g, (_, ch: string) => ch.toUpperCase())}`;
}

// A request that fails its route's schemas is a 422 naming each failing field, like every other
// validation failure of the API, and reaches no handler.
const problemHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  const errors: FieldError[] = result.error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', message: issue.message }));
  throw new ProblemError(422, 'Validation Failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
};

/** A product's sub-app: routes added with `.openapi(createRoute(…), handler)` document themselves. */
export function contractApp<E extends AppEnv = AppEnv>(): OpenAPIHono<E> {
  return new OpenAPIHono<E>({ defaultHook: problemHook as unknown as Hook<unknown, E, string, unknown> });
}

/** Where a contract app is mounted, so its paths can be listed under the full prefix. */
export interface MountedContract {
  prefix: string;
  // Any env: each sub-app may add variables of its own (the pools routes add the pool they act on).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  app: OpenAPIHono<any>;
}

/**
 * The paths and schemas the mounted contract apps generate, under their mount prefixes, for the one
 * document GET /openapi.json serves.
 */
export function generatedContract(mounts: MountedContract[]): { paths: Record<string, Record<string, unknown>>; schemas: Record<string, unknown> } {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  for (const { prefix, app } of mounts) {
    const document = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'Poolflow API', version: '0.1.0' } });
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      const full = `${prefix}${path === '/' ? '' : path}`;
      for (const [method, operation] of Object.entries(item as Record<string, Operation>)) {
        paths[full] = { ...(paths[full] ?? {}), [method]: documented(method, full, operation) };
      }
    }
    Object.assign(schemas, document.components?.schemas ?? {});
  }
  return { paths, schemas };
}

interface Operation {
  operationId?: string;
  parameters?: unknown[];
  security?: unknown[];
  responses?: unknown;
  [key: string]: unknown;
}

/**
 * What the /v1 middleware answers before any handler runs (api/app.ts), by method: authentication,
 * rate limits and an unavailable dependency on every route; on commands also the Idempotency-Key
 * (400 malformed, 409 still running, 422 reused for another body) and the body limit.
 */
const MIDDLEWARE_PROBLEMS: Record<string, ProblemStatus[]> = {
  get: [401, 429, 503],
  post: [400, 401, 409, 413, 422, 429, 503],
  put: [401, 413, 429, 503],
  delete: [401, 429, 503],
};

// Every operation gets an ID; every authenticated one the problems its middleware answers, and every
// authenticated POST the Idempotency-Key the middleware requires, without each route repeating them.
function documented(method: string, path: string, operation: Operation): Operation {
  const open = Array.isArray(operation.security) && operation.security.length === 0;
  const parameters = method === 'post' && !open ? [...(operation.parameters ?? []), IDEMPOTENCY_KEY_PARAMETER] : operation.parameters;
  const middleware = open ? {} : problemDocuments(MIDDLEWARE_PROBLEMS[method] ?? []);
  const responses = { ...middleware, ...(operation.responses as Record<string, unknown> | undefined) };
  return { ...operation, operationId: operation.operationId ?? operationIdOf(method, path), ...(parameters ? { parameters } : {}), responses };
}

const problemDocuments = (statuses: ProblemStatus[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: PROBLEM_DESCRIPTIONS[status], content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
    ]),
  );
