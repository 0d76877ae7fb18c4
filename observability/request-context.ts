// Carries the HTTP request ID and the caller (the actor) from the API into the workflows it starts,
// updates and signals: the API keeps them in AsyncLocalStorage for the request, and a Temporal client
// interceptor copies them into headers that the workflow interceptor (workflows/interceptors.ts) logs.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { ACTOR_HEADER, REQUEST_ID_HEADER } from '../temporal-config/headers';

/** Who made the request (the authenticated caller), once known. */
export interface Actor {
  subject: string;
  role: string;
}

export const requestContext = new AsyncLocalStorage<{ requestId: string; actor?: Actor }>();

/**
 * Adds the current request's ID and actor (if any) to the headers of workflow starts, updates and
 * signals: both are then part of the workflow's history, beside the command they caused.
 */
export function requestIdClientInterceptor(): WorkflowClientInterceptor {
  const withRequestId = <I extends { headers: Record<string, unknown> }>(input: I): I => {
    const context = requestContext.getStore();
    if (!context?.requestId) return input;
    const headers = { ...input.headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(context.requestId) };
    return { ...input, headers: context.actor ? { ...headers, [ACTOR_HEADER]: defaultPayloadConverter.toPayload(context.actor) } : headers };
  };
  return {
    start: (input, next) => next(withRequestId(input)),
    startWithDetails: (input, next) => next(withRequestId(input)),
    startUpdate: (input, next) => next(withRequestId(input)),
    signal: (input, next) => next(withRequestId(input)),
  };
}
