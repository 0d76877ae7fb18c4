// The control API under /__sandbox/ (JSON), for tests and developers: reset, settings, stored objects
// and events, the request record, faults, idempotency-key expiry, webhook endpoints and their delivery
// options, settling a processing payment now, and finishing a connected account's onboarding.
import { z } from 'zod';
import { onboardAccount } from './connect';
import type { SandboxServices } from './context';
import type { FaultTable } from './faults';
import { faultSpecSchema } from './faults';
import type { IdempotencyStore } from './idempotency';
import { settlePaymentIntent } from './payments';
import type { RequestFilter, RequestLog } from './requests';
import { objectTypes, settingsSchema, type ObjectType, type StoredObject } from './state';
import { endpointPatchSchema, endpointSpecSchema, type WebhookDispatcher } from './webhooks';

export interface ControlDeps extends SandboxServices {
  idempotency: IdempotencyStore;
  faults: FaultTable;
  requests: RequestLog;
  webhooks: WebhookDispatcher;
  /** Forgets everything: objects, keys, requests, faults, webhook endpoints (back to the configured ones). */
  reset: () => void;
}

export interface ControlRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
}

export interface ControlResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A stored object as the control API shows it. */
export interface StoredObjectView {
  id: string;
  type: ObjectType;
  secretKey: string;
  createdAt: string;
  testCard: string | null;
  object: unknown;
}

const expireSchema = z.object({ secretKey: z.string().min(1).optional(), idempotencyKey: z.string().min(1).optional() }).strict();
const settingsPatchSchema = settingsSchema.partial().strict();

/** Raised for a control request whose body or query does not parse: answered with 400. */
class ControlInputError extends Error {}

export async function handleControl(request: ControlRequest, deps: ControlDeps): Promise<ControlResponse> {
  try {
    return await dispatch(request, deps);
  } catch (error) {
    if (error instanceof ControlInputError) return { status: 400, body: { error: { type: 'invalid_request_error', message: error.message } } };
    throw error;
  }
}

async function dispatch(request: ControlRequest, deps: ControlDeps): Promise<ControlResponse> {
  const { method, query } = request;
  const segments = request.path
    .replace(/^\/__sandbox\/?/, '')
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);
  const at = (...expected: (string | null)[]) =>
    segments.length === expected.length && expected.every((segment, index) => segment === null || segment === segments[index]);
  const ok = (body: unknown): ControlResponse => ({ status: 200, body });

  if (method === 'GET' && at('health')) return ok({ ok: true });
  if (method === 'POST' && at('reset')) {
    deps.reset();
    return ok({ reset: true });
  }
  if (method === 'GET' && at('settings')) return ok(deps.state.settings);
  if (method === 'PATCH' && at('settings')) {
    deps.state.settings = { ...deps.state.settings, ...dropUndefined(parse(settingsPatchSchema, request.body)) };
    return ok(deps.state.settings);
  }

  if (method === 'GET' && at('objects')) {
    const type = query.get('type');
    if (type !== null && !(objectTypes as readonly string[]).includes(type)) throw new ControlInputError(`unknown object type '${type}'`);
    const secretKey = query.get('secretKey');
    const objects = deps.state.all().filter((stored) => (type === null || stored.type === type) && (secretKey === null || stored.secretKey === secretKey));
    return ok(objects.map(objectView));
  }
  if (method === 'GET' && at('objects', null)) {
    const stored = deps.state.any(segments[1]!);
    return stored ? ok(objectView(stored)) : notFound(`no object ${segments[1]}`);
  }
  if (method === 'GET' && at('events')) {
    const type = query.get('type');
    const secretKey = query.get('secretKey');
    const events = deps.state.list('event', (stored) => (type === null || stored.body.type === type) && (secretKey === null || stored.secretKey === secretKey));
    return ok(events.reverse().map((stored) => stored.body));
  }

  if (method === 'GET' && at('requests')) return ok(deps.requests.list(requestFilter(query)));
  if (method === 'GET' && at('requests', 'effects')) return ok(deps.requests.effects(requestFilter(query)));

  if (method === 'GET' && at('faults')) return ok(deps.faults.list());
  if (method === 'POST' && at('faults')) return ok(deps.faults.add(parse(faultSpecSchema, request.body)));
  if (method === 'DELETE' && at('faults')) {
    deps.faults.clear();
    return ok({ cleared: true });
  }
  if (method === 'DELETE' && at('faults', null)) {
    return deps.faults.remove(segments[1]!) ? ok({ removed: true }) : notFound(`no fault ${segments[1]}`);
  }

  if (method === 'POST' && at('idempotency', 'expire')) {
    return ok({ expired: deps.idempotency.expire(dropUndefined(parse(expireSchema, request.body || '{}'))) });
  }

  if (method === 'GET' && at('webhooks', 'endpoints')) return ok(deps.webhooks.list());
  if (method === 'POST' && at('webhooks', 'endpoints')) return ok(deps.webhooks.add(parse(endpointSpecSchema, request.body)));
  if (method === 'PATCH' && at('webhooks', 'endpoints', null)) {
    const updated = deps.webhooks.update(segments[2]!, parse(endpointPatchSchema, request.body));
    return updated ? ok(updated) : notFound(`no webhook endpoint ${segments[2]}`);
  }
  if (method === 'DELETE' && at('webhooks', 'endpoints', null)) {
    return deps.webhooks.remove(segments[2]!) ? ok({ removed: true }) : notFound(`no webhook endpoint ${segments[2]}`);
  }
  if (method === 'POST' && at('webhooks', 'endpoints', null, 'flush')) {
    const flushed = await deps.webhooks.flush(segments[2]!);
    return flushed === undefined ? notFound(`no webhook endpoint ${segments[2]}`) : ok({ flushed });
  }
  if (method === 'GET' && at('webhooks', 'deliveries')) {
    return ok(deps.webhooks.deliveryLog(dropUndefined({ eventId: query.get('eventId') ?? undefined, endpointId: query.get('endpointId') ?? undefined })));
  }

  if (method === 'POST' && at('payment_intents', null, 'settle')) {
    if (!deps.state.get('payment_intent', segments[1]!)) return notFound(`no payment_intent ${segments[1]}`);
    return ok({ settled: settlePaymentIntent(deps, segments[1]!), paymentIntent: deps.state.get('payment_intent', segments[1]!)!.body });
  }
  if (method === 'POST' && at('accounts', null, 'onboard')) {
    const account = onboardAccount(deps, segments[1]!);
    return account ? ok(account) : notFound(`no account ${segments[1]}`);
  }
  // Where an AccountLink's url leads: onboarding completes at once and the browser goes to return_url.
  if (method === 'GET' && at('connect', 'onboard', null)) {
    const account = onboardAccount(deps, segments[2]!);
    if (!account) return notFound(`no account ${segments[2]}`);
    const returnUrl = query.get('return_url');
    return returnUrl ? { status: 302, headers: { Location: returnUrl } } : ok({ onboarded: account.id });
  }
  return notFound(`no control endpoint ${method} ${request.path}`);
}

function parse<S extends z.ZodType>(schema: S, body: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ControlInputError('the body must be JSON');
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw new ControlInputError(result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; '));
  }
  return result.data;
}

function requestFilter(query: URLSearchParams): RequestFilter {
  return dropUndefined({
    method: query.get('method') ?? undefined,
    pathPrefix: query.get('pathPrefix') ?? undefined,
    idempotencyKey: query.get('idempotencyKey') ?? undefined,
    secretKey: query.get('secretKey') ?? undefined,
  });
}

function objectView(stored: StoredObject): StoredObjectView {
  return {
    id: stored.id,
    type: stored.type,
    secretKey: stored.secretKey,
    createdAt: new Date(stored.createdAtMs).toISOString(),
    testCard: stored.testCard ?? null,
    object: stored.body,
  };
}

function notFound(message: string): ControlResponse {
  return { status: 404, body: { error: { type: 'invalid_request_error', message } } };
}

function dropUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
