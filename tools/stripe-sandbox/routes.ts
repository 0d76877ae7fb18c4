// Which Stripe endpoints the sandbox models, and the generic retrieve, list and search over its stored
// objects. Endpoints not listed here get stripe-mock's stateless answer unchanged.
import type { Handler, HandlerContext, HandlerResult } from './context';
import { createAccount, createAccountLink, createTransfer } from './connect';
import { attachPaymentMethod, createCustomer, retrievePaymentMethod, updateCustomer } from './customers';
import { invalidRequest, resourceMissing } from './errors';
import { cancelPaymentIntent, confirmPaymentIntent, createPaymentIntent, createRefund } from './payments';
import { integerParam, stringParam } from './params';
import { matchesSearch, parseSearchQuery } from './search';
import type { ObjectType } from './state';

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handler: Handler;
}

/** Stripe's page size bounds for list and search. */
const pageSizeDefault = 10;
const pageSizeMax = 100;

const id = '([^/]+)';
const route = (method: Route['method'], path: string, handler: Handler): Route => ({ method, pattern: new RegExp(`^${path}$`), handler });

/** The first matching route wins: `/search` comes before `/:id`. */
const routes: Route[] = [
  route('POST', '/v1/payment_intents', createPaymentIntent),
  route('GET', '/v1/payment_intents/search', search('payment_intent', ['amount', 'currency', 'customer', 'status'])),
  route('GET', '/v1/payment_intents', list('payment_intent', ['customer'])),
  route('GET', `/v1/payment_intents/${id}`, retrieve('payment_intent', 'payment_intent', 'intent')),
  route('POST', `/v1/payment_intents/${id}/confirm`, confirmPaymentIntent),
  route('POST', `/v1/payment_intents/${id}/cancel`, cancelPaymentIntent),
  route('GET', '/v1/charges', list('charge', ['customer', 'payment_intent'])),
  route('GET', `/v1/charges/${id}`, retrieve('charge', 'charge', 'id')),
  route('POST', '/v1/refunds', createRefund),
  route('GET', '/v1/refunds', list('refund', ['charge', 'payment_intent'])),
  route('GET', `/v1/refunds/${id}`, retrieve('refund', 'refund', 'id')),
  route('POST', '/v1/transfers', createTransfer),
  route('GET', '/v1/transfers', list('transfer', ['destination', 'transfer_group'])),
  route('GET', `/v1/transfers/${id}`, retrieve('transfer', 'transfer', 'id')),
  route('POST', '/v1/customers', createCustomer),
  route('GET', '/v1/customers/search', search('customer', ['email', 'name', 'phone'])),
  route('GET', '/v1/customers', list('customer', ['email'])),
  route('GET', `/v1/customers/${id}`, retrieve('customer', 'customer', 'id')),
  route('POST', `/v1/customers/${id}`, updateCustomer),
  route('POST', `/v1/payment_methods/${id}/attach`, attachPaymentMethod),
  route('GET', `/v1/payment_methods/${id}`, retrievePaymentMethod),
  route('POST', '/v1/accounts', createAccount),
  route('GET', '/v1/accounts', list('account', [])),
  route('GET', `/v1/accounts/${id}`, retrieve('account', 'account', 'account')),
  route('POST', '/v1/account_links', createAccountLink),
  route('GET', '/v1/events', list('event', ['type'])),
  route('GET', `/v1/events/${id}`, retrieve('event', 'event', 'id')),
];

export function findRoute(method: string, path: string): { handler: Handler; pathParams: string[] } | undefined {
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(path);
    if (match) return { handler: candidate.handler, pathParams: match.slice(1).map(decodeURIComponent) };
  }
  return undefined;
}

function retrieve(type: ObjectType, label: string, param: string): Handler {
  return (ctx) => {
    const objectId = ctx.pathParams[0]!;
    const stored = ctx.state.get(type, objectId, ctx.request.secretKey);
    if (!stored) throw resourceMissing(label, objectId, param, 404);
    return { status: 200, body: stored.body };
  };
}

/** Stripe's list: newest first, equality filters, `limit`, `starting_after` / `ending_before` cursors. */
function list(type: ObjectType, filters: readonly string[]): Handler {
  return (ctx) => {
    const { params } = ctx.request;
    const wanted = filters.flatMap((name) => {
      const value = stringParam(params, name);
      return value === undefined ? [] : [[name, value] as const];
    });
    let items = ctx.state
      .list(
        type,
        (stored) =>
          stored.secretKey === ctx.request.secretKey && wanted.every(([name, value]) => (stored.body as unknown as Record<string, unknown>)[name] === value),
      )
      .map((stored) => stored.body as { id: string });
    const limit = pageSize(ctx);
    const after = stringParam(params, 'starting_after');
    const before = stringParam(params, 'ending_before');
    if (after !== undefined) items = items.slice(cursorIndex(items, after, 'starting_after') + 1);
    if (before !== undefined) items = items.slice(0, cursorIndex(items, before, 'ending_before')).slice(-limit);
    return page(ctx, items.slice(0, limit), items.length > limit);
  };
}

/** Stripe's search, lagging `searchLagMs` behind writes as Stripe's index does; `page` is an offset token. */
function search(type: ObjectType, fields: readonly string[]): Handler {
  return (ctx) => {
    const { params } = ctx.request;
    const clauses = parseSearchQuery(stringParam(params, 'query') ?? '', fields);
    const visibleBefore = Date.now() - ctx.state.settings.searchLagMs;
    const found = ctx.state
      .list(type, (stored) => stored.secretKey === ctx.request.secretKey && stored.createdAtMs <= visibleBefore && matchesSearch(stored.body, clauses))
      .map((stored) => stored.body);
    const limit = pageSize(ctx);
    const offset = decodePageToken(stringParam(params, 'page'));
    const data = found.slice(offset, offset + limit);
    const hasMore = offset + limit < found.length;
    return {
      status: 200,
      body: {
        ...(ctx.fixture as object),
        object: 'search_result',
        data,
        has_more: hasMore,
        next_page: hasMore ? Buffer.from(String(offset + limit)).toString('base64url') : null,
      },
    };
  };
}

function page(ctx: HandlerContext, data: unknown[], hasMore: boolean): HandlerResult {
  return { status: 200, body: { ...(ctx.fixture as object), object: 'list', data, has_more: hasMore } };
}

function pageSize(ctx: HandlerContext): number {
  const limit = integerParam(ctx.request.params, 'limit') ?? pageSizeDefault;
  if (limit < 1 || limit > pageSizeMax) throw invalidRequest(`limit must be between 1 and ${pageSizeMax}.`, { param: 'limit' });
  return limit;
}

function cursorIndex(items: { id: string }[], cursor: string, param: string): number {
  const index = items.findIndex((item) => item.id === cursor);
  if (index < 0) throw resourceMissing('object', cursor, param, 400);
  return index;
}

function decodePageToken(token: string | undefined): number {
  if (token === undefined) return 0;
  const offset = Number.parseInt(Buffer.from(token, 'base64url').toString(), 10);
  if (!Number.isSafeInteger(offset) || offset < 0) throw invalidRequest('Invalid page token.', { param: 'page' });
  return offset;
}
