// Errors as RFC 9457 problem details (application/problem+json): one shape for every 4xx and 5xx the
// API returns, with `errors` naming each failing field when validation is what failed.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Retry-After of a 503 that names no wait of its own. */
export const SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

export interface FieldError {
  field: string;
  message: string;
}

/** Thrown by handlers and validators for any response that is not a success. */
export class ProblemError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    /** Extra response headers, such as Retry-After on a 409 or 503. */
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? title);
  }
}

export function problemResponse(c: Context, problem: ProblemError): Response {
  const body = {
    type: 'about:blank',
    title: problem.title,
    status: problem.status,
    ...(problem.detail ? { detail: problem.detail } : {}),
    ...(problem.errors ? { errors: problem.errors } : {}),
    instance: c.req.path,
  };
  // Every 503 says when to come back, whichever part of the API refused.
  const retryAfter: Record<string, string> = problem.status === 503 ? { 'retry-after': String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS) } : {};
  // A 413 closes the connection: the rest of the oversized body is never read, nor the socket reused.
  const closing: Record<string, string> = problem.status === 413 ? { connection: 'close' } : {};
  return c.body(JSON.stringify(body), problem.status, { ...retryAfter, ...closing, ...problem.headers, 'content-type': 'application/problem+json' });
}
