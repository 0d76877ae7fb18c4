// Stripe's error responses, in the shape the API sends (`{ error: { type, code, message, … } }`), so the
// `stripe` SDK raises the same error classes (StripeCardError, StripeInvalidRequestError, …) it would in test mode.
export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  doc_url?: string;
  charge?: string;
  payment_intent?: unknown;
  payment_method?: unknown;
}

/** Thrown by a resource handler to answer with a Stripe error when the request changed nothing. */
export class StripeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: StripeErrorBody,
  ) {
    super(error.message);
  }
}

export function docUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replaceAll('_', '-')}`;
}

export function invalidRequest(message: string, options: { param?: string; code?: string; status?: number } = {}): StripeHttpError {
  const { status = 400, code, param } = options;
  return new StripeHttpError(status, {
    type: 'invalid_request_error',
    message,
    ...(code ? { code, doc_url: docUrl(code) } : {}),
    ...(param ? { param } : {}),
  });
}

/**
 * An id that names nothing: 404 when it is the object the path asks for, 400 when a parameter refers
 * to it (as Stripe answers `customer: 'cus_missing'` on a create).
 */
export function resourceMissing(label: string, id: string, param: string, status: 400 | 404): StripeHttpError {
  return invalidRequest(`No such ${label}: '${id}'`, { code: 'resource_missing', param, status });
}

export function rateLimited(): StripeHttpError {
  return invalidRequest('Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.', {
    code: 'rate_limit',
    status: 429,
  });
}

export function apiError(detail: string): StripeHttpError {
  return new StripeHttpError(500, {
    type: 'api_error',
    message: `There was an unexpected error processing this request (${detail}).`,
  });
}
