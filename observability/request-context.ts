// Carries the HTTP request ID from the API into the workflows it starts, updates and signals: the API
// keeps it in AsyncLocalStorage for the request, and a Temporal client interceptor copies it into a
// header that the workflow interceptor (workflows/interceptors.ts) writes into the worker's logs.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { REQUEST_ID_HEADER } from '../temporal-config/headers';

export const requestContext = new AsyncLocalStorage<{ requestId: string }>();

/** Adds the current request's ID (if any) to the headers of workflow starts, updates and signals. */
export function requestIdClientInterceptor(): WorkflowClientInterceptor {
  const withRequestId = <I extends { headers: Record<string, unknown> }>(input: I): I => {
    const requestId = requestContext.getStore()?.requestId;
    if (!requestId) return input;
    return { ...input, headers: { ...input.headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) } };
  };
  return {
    start: (input, next) => next(withRequestId(input)),
    startWithDetails: (input, next) => next(withRequestId(input)),
    startUpdate: (input, next) => next(withRequestId(input)),
    signal: (input, next) => next(withRequestId(input)),
  };
}
