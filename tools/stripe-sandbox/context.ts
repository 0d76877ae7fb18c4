// What a resource handler gets (the parsed request, stripe-mock's answer to it, the sandbox's state and
// event sink) and what it returns, shared by the handler modules and the server that calls them.
import type Stripe from 'stripe';
import { moneyMovementParams, type Params } from './params';
import type { ObjectType, ObjectTypes, SandboxState, StoredObject } from './state';
import type { Upstream } from './upstream';

export interface ApiRequest {
  method: string;
  path: string;
  params: Params;
  secretKey: string;
  idempotencyKey: string | undefined;
  stripeVersion: string;
  requestId: string;
  /** Where the caller reached the sandbox (`http://127.0.0.1:12113`), for links that lead back to it. */
  origin: string;
  /** The caller's Authorization header, reused for fixture requests to stripe-mock. */
  authorization: string;
}

/** Who caused an event: the request's secret key and Stripe-Version, and the request itself when there was one. */
export interface EventOrigin {
  secretKey: string;
  apiVersion: string;
  requestId: string | null;
  idempotencyKey: string | null;
}

export type Emit = (type: string, object: unknown, origin: EventOrigin, previousAttributes?: Record<string, unknown>) => void;

export interface SandboxServices {
  state: SandboxState;
  emit: Emit;
  upstream: Upstream;
}

export interface HandlerContext extends SandboxServices {
  request: ApiRequest;
  /** The path's captured ids, in order (`/v1/payment_intents/:id/confirm` → [id]). */
  pathParams: string[];
  /** stripe-mock's answer to this very request: a typed fixture for the object the handler builds. */
  fixture: unknown;
}

export interface HandlerResult {
  status: number;
  body: unknown;
  /** The object this request created, for the request record's count of effects. */
  objectId?: string;
}

export type Handler = (context: HandlerContext) => Promise<HandlerResult> | HandlerResult;

export function requestOrigin(request: ApiRequest): EventOrigin {
  return {
    secretKey: request.secretKey,
    apiVersion: request.stripeVersion,
    requestId: request.requestId,
    idempotencyKey: request.idempotencyKey ?? null,
  };
}

/**
 * The head of a new Transfer or PaymentIntent: stripe-mock's fixture for it, its ID and type, and the
 * money fields both read alike from their create request (moneyMovementParams).
 */
export function newMoneyMovement<T extends Stripe.Transfer | Stripe.PaymentIntent>(ctx: HandlerContext, id: string, object: T['object']) {
  return { ...(ctx.fixture as T), id, object, ...moneyMovementParams(ctx.request.params) };
}

/** Stores an object the request created, under the request's secret key and Stripe-Version. */
export function storeCreated<K extends ObjectType>(
  ctx: HandlerContext,
  type: K,
  body: ObjectTypes[K] & { id: string },
  extra: Pick<StoredObject<K>, 'testCard'> = {},
): StoredObject<K> {
  return ctx.state.put({ id: body.id, type, body, createdAtMs: Date.now(), secretKey: ctx.request.secretKey, apiVersion: ctx.request.stripeVersion, ...extra });
}

/** For effects that happen later (a settlement): attributed to the object's creator, with no request. */
export function storedOrigin(stored: StoredObject): EventOrigin {
  return { secretKey: stored.secretKey, apiVersion: stored.apiVersion, requestId: null, idempotencyKey: null };
}
