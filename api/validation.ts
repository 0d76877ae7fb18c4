// Reads and validates a JSON request body with a zod schema; any failure is a 400 or 422 problem that
// names the failing fields, and nothing downstream runs.
import type { Context } from 'hono';
import type { z } from 'zod';
import { ProblemError } from './problem';

export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const contentType = c.req.header('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(contentType)) {
    throw new ProblemError(415, 'Unsupported Media Type', 'the request body must be application/json');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch {
    throw new ProblemError(400, 'Malformed JSON', 'the request body is not valid JSON');
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const errors = result.error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', message: issue.message }));
    throw new ProblemError(422, 'Validation Failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
  }
  return result.data;
}
