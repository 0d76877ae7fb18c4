// The sandbox's HTTP server: each Stripe API request is checked for injected faults, validated by
// stripe-mock, run through the idempotency layer and the resource handlers, recorded, and answered;
// /__sandbox/ requests go to the control API. startSandbox() runs one in-process (port 0 for tests).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Stripe from 'stripe';
import { createLogger, errorMessage, type Logger } from '../../observability/log';
import type { ApiRequest, Emit, HandlerResult, SandboxServices } from './context';
import { handleControl, type ControlDeps } from './control';
import { apiError, rateLimited, StripeHttpError } from './errors';
import { expandResponse } from './expand';
import { FaultTable, type Fault, type FaultTarget } from './faults';
import { IdempotencyStore, type SavedResponse } from './idempotency';
import { decodeParams, fingerprint } from './params';
import { RequestLog, type RecordedRequest } from './requests';
import { findRoute } from './routes';
import { newId, nowSeconds, SandboxState, type SandboxEvent, type SandboxSettings } from './state';
import { passthroughHeader, Upstream, UpstreamError } from './upstream';
import { WebhookDispatcher } from './webhooks';

export interface SandboxOptions {
  /** stripe-mock's base URL, such as http://127.0.0.1:12111. */
  upstreamUrl: string;
  /** The secret webhooks are signed with (STRIPE_WEBHOOK_SECRET). */
  webhookSecret: string;
  /** Endpoints that receive every event from the start; more can be added through the control API. */
  webhookUrls?: readonly string[];
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  settings?: Partial<SandboxSettings>;
  /** Defaults to a logger that reports only the sandbox's own failures. */
  log?: Logger;
}

export interface RunningSandbox {
  /** Base URL of the API and of the control API (`${url}/__sandbox/...`). */
  url: string;
  close(): Promise<void>;
}

export const defaultSettings: SandboxSettings = { settlementDelayMs: 2_000, searchLagMs: 0 };
/** Request bodies larger than this are refused; Stripe's own requests are a few kilobytes. */
const requestBodyBytesMax = 1_048_576;
const upstreamTimeoutMs = 10_000;

export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const log = options.log ?? quietLogger();
  const state = new SandboxState({ ...defaultSettings, ...options.settings });
  const webhooks = new WebhookDispatcher(options.webhookSecret, options.webhookUrls ?? []);
  const upstream = new Upstream(options.upstreamUrl, upstreamTimeoutMs);
  const idempotency = new IdempotencyStore();
  const faults = new FaultTable();
  const requests = new RequestLog();
  const held = new Map<Socket, NodeJS.Timeout>();
  const holds = new Set<NodeJS.Timeout>();
  /** Waits for a latency fault; close() cancels the wait (the request is then dropped with its socket). */
  const hold = (delayMs: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        holds.delete(timer);
        resolve();
      }, delayMs);
      holds.add(timer);
    });

  const emit: Emit = (type, object, origin, previousAttributes) => {
    const event: SandboxEvent = {
      id: newId('evt'),
      object: 'event',
      api_version: origin.apiVersion,
      created: nowSeconds(),
      data: previousAttributes ? { object, previous_attributes: previousAttributes } : { object },
      livemode: false,
      pending_webhooks: webhooks.audience(type, origin.secretKey),
      request: { id: origin.requestId, idempotency_key: origin.idempotencyKey },
      type,
    };
    state.put({ id: event.id, type: 'event', body: event, createdAtMs: Date.now(), secretKey: origin.secretKey, apiVersion: origin.apiVersion });
    webhooks.dispatch(event, origin.secretKey);
  };
  const services: SandboxServices = { state, emit, upstream };
  const controlDeps: ControlDeps = {
    ...services,
    idempotency,
    faults,
    requests,
    webhooks,
    reset: () => {
      state.reset();
      idempotency.reset();
      faults.clear();
      requests.reset();
      webhooks.reset();
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const body = await readBody(req);
    if (body === undefined) return sendJson(res, 413, { error: { type: 'invalid_request_error', message: 'Request body too large.' } });
    if (url.pathname === '/__sandbox' || url.pathname.startsWith('/__sandbox/')) {
      const answer = await handleControl({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body }, controlDeps);
      return sendJson(res, answer.status, answer.body, answer.headers);
    }
    await handleApi(req, res, url, body);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (header(req, passthroughHeader) !== undefined) return relay(req, res, url, body);
    const request: ApiRequest = {
      method,
      path: url.pathname,
      params: decodeParams(method === 'GET' || method === 'DELETE' ? url.searchParams : new URLSearchParams(body)),
      secretKey: secretKeyOf(req.headers.authorization),
      idempotencyKey: header(req, 'idempotency-key'),
      stripeVersion: header(req, 'stripe-version') ?? Stripe.API_VERSION,
      requestId: newId('req'),
      origin: `http://${req.headers.host ?? '127.0.0.1'}`,
      authorization: req.headers.authorization ?? '',
    };
    const entry = requests.start({
      method,
      path: request.path,
      idempotencyKey: request.idempotencyKey ?? null,
      secretKey: request.secretKey,
      params: request.params,
    });
    const target: FaultTarget = { method, path: request.path, idempotencyKey: request.idempotencyKey, secretKey: request.secretKey };
    const baseHeaders: Record<string, string> = { 'Request-Id': request.requestId, 'Stripe-Version': request.stripeVersion };
    if (request.idempotencyKey !== undefined) baseHeaders['Idempotency-Key'] = request.idempotencyKey;
    const answer = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
      entry.status = status;
      entry.outcome = 'answered';
      sendJson(res, status, payload, { ...baseHeaders, ...extra });
    };

    const before = faults.take('before', target);
    if (before) return inject(before, entry, req, res, answer);

    let validated;
    try {
      validated = await upstream.forward(method, url.pathname + url.search, req.headers as Record<string, string | undefined>, body);
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      log.error('stripe-mock unreachable', { error: error.message });
      return answer(502, { error: { type: 'api_error', message: error.message } });
    }
    // stripe-mock's verdict on the request stands: Stripe saves nothing for a request that fails validation.
    if (validated.status >= 400) {
      entry.status = validated.status;
      entry.outcome = 'answered';
      res.writeHead(validated.status, { ...baseHeaders, 'Content-Type': validated.contentType });
      res.end(validated.text);
      return;
    }

    let saved: SavedResponse | undefined;
    let replayHeaders: Record<string, string> = {};
    let commit: ((response: SavedResponse) => void) | undefined;
    let abandon: (() => void) | undefined;
    if (method === 'POST' && request.idempotencyKey !== undefined) {
      const claim = idempotency.claim(request.secretKey, request.idempotencyKey, { method, path: request.path, fingerprint: fingerprint(request.params) });
      if (claim.kind === 'rejected') return answer(claim.error.status, { error: claim.error.error });
      if (claim.kind === 'replay') {
        saved = claim.response;
        entry.replayed = true;
        replayHeaders = { 'Idempotent-Replayed': 'true', 'Original-Request': claim.response.requestId };
      } else {
        ({ commit, abandon } = claim);
      }
    }

    if (!saved) {
      const latency = faults.take('effect', target);
      if (latency) {
        entry.fault = { id: latency.id, kind: latency.kind, when: 'effect' };
        await hold(latency.holdMs);
      }
      let result: HandlerResult;
      try {
        result = await runHandler(request, validated.body);
      } catch (error) {
        abandon?.();
        if (error instanceof UpstreamError) return answer(502, { error: { type: 'api_error', message: error.message } });
        throw error;
      }
      // A snapshot: a replay answers what the first request answered, not the object as it is now.
      saved = { status: result.status, body: structuredClone(result.body), requestId: request.requestId };
      commit?.(saved);
      entry.objectId = result.objectId ?? null;
    }

    const after = faults.take('after', target);
    if (after) return inject(after, entry, req, res, answer);
    answer(saved.status, saved.body, replayHeaders);
  }

  /** Another sandbox's validation request: relayed to stripe-mock untouched, unrecorded. */
  async function relay(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<void> {
    try {
      const answer = await upstream.forward(req.method ?? 'GET', url.pathname + url.search, req.headers as Record<string, string | undefined>, body);
      res.writeHead(answer.status, { 'Content-Type': answer.contentType });
      res.end(answer.text);
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      sendJson(res, 502, { error: { type: 'api_error', message: error.message } });
    }
  }

  async function runHandler(request: ApiRequest, fixture: unknown): Promise<HandlerResult> {
    const found = findRoute(request.method, request.path);
    if (!found) return { status: 200, body: fixture };
    try {
      const result = await found.handler({ ...services, request, pathParams: found.pathParams, fixture });
      const expand = request.params.expand;
      if (result.status !== 200 || !Array.isArray(expand)) return result;
      const paths = expand.filter((path): path is string => typeof path === 'string');
      return { ...result, body: expandResponse(result.body, paths, state, request.secretKey) };
    } catch (error) {
      if (error instanceof StripeHttpError) return { status: error.status, body: { error: error.error } };
      throw error;
    }
  }

  function inject(
    fault: Fault,
    entry: RecordedRequest,
    req: IncomingMessage,
    res: ServerResponse,
    answer: (status: number, payload: unknown, headers?: Record<string, string>) => void,
  ): void {
    entry.fault = { id: fault.id, kind: fault.kind, when: fault.when };
    switch (fault.kind) {
      case 'rate_limit': {
        const error = rateLimited();
        const retryAfter: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) };
        return answer(error.status, { error: error.error }, retryAfter);
      }
      case 'api_error': {
        const error = apiError(`injected by the sandbox ${fault.when === 'after' ? 'after performing' : 'before running'} the request`);
        return answer(error.status, { error: error.error });
      }
      case 'error':
        return answer(fault.status!, { error: fault.error });
      case 'drop':
        entry.outcome = 'dropped';
        req.socket.destroy();
        return;
      case 'hang': {
        entry.outcome = 'hung';
        const socket = req.socket;
        const timer = setTimeout(() => socket.destroy(), fault.holdMs);
        held.set(socket, timer);
        socket.once('close', () => {
          clearTimeout(timer);
          held.delete(socket);
        });
        return;
      }
      case 'latency':
        throw new Error('latency faults are taken in the effect phase');
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error('sandbox request failed', { method: req.method, url: req.url, error });
      if (!res.headersSent) sendJson(res, 500, { error: { type: 'api_error', message: `sandbox failure: ${errorMessage(error)}` } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
  log.info('stripe sandbox listening', { url, upstream: options.upstreamUrl });

  return {
    url,
    close: async () => {
      webhooks.close();
      state.cancelTimers();
      for (const timer of holds) clearTimeout(timer);
      for (const [socket, timer] of held) {
        clearTimeout(timer);
        socket.destroy();
      }
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** The API key from `Authorization: Bearer sk_…` or Basic auth with the key as user name. */
function secretKeyOf(authorization: string | undefined): string {
  if (!authorization) return '';
  const [scheme, value = ''] = authorization.split(' ', 2);
  if (scheme?.toLowerCase() === 'basic') return Buffer.from(value, 'base64').toString().split(':')[0] ?? '';
  return value;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > requestBodyBytesMax) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = payload === undefined ? '' : JSON.stringify(payload, null, 2);
  res.writeHead(status, { ...headers, ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }) });
  res.end(text);
}

function quietLogger(): Logger {
  return createLogger('stripe-sandbox', {}, { level: 'warn' });
}
