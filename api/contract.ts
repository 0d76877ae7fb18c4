// Routes defined once: each product's sub-app declares its routes with createRoute (method, path,
// request and response schemas, every error status), and the same definition validates the request,
// types the handler and generates that route's part of GET /openapi.json.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hook } from '@hono/zod-openapi';
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
export function contractApp(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: problemHook });
}

/** Where a contract app is mounted, so its paths can be listed under the full prefix. */
export interface MountedContract {
  prefix: string;
  app: OpenAPIHono<AppEnv>;
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
  [key: string]: unknown;
}

// Every operation gets an ID, and every POST documents the Idempotency-Key the middleware requires,
// without each route definition having to repeat them.
function documented(method: string, path: string, operation: Operation): Operation {
  const parameters = method === 'post' ? [...(operation.parameters ?? []), IDEMPOTENCY_KEY_PARAMETER] : operation.parameters;
  return { ...operation, operationId: operation.operationId ?? operationIdOf(method, path), ...(parameters ? { parameters } : {}) };
}

