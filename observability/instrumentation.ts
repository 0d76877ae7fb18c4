// Client spans around Poolflow's calls to PostgreSQL, Redis and Stripe, children of whatever span is
// active (an activity's, an HTTP request's). Span names and attributes carry the statement, command or
// route template only: never parameter values, keys' contents or Stripe object IDs.
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type Stripe from 'stripe';
import { spanUntilSettled, traced } from './tracing';

type QueryFn = (...args: unknown[]) => unknown;

/** Wraps promise-style `query` calls (a callback-style call passes through untraced). */
function tracedQuery(query: QueryFn, self: unknown): QueryFn {
  return (...args: unknown[]) => {
    if (typeof args.at(-1) === 'function') return query.apply(self, args);
    const config = args[0] as string | { text?: string } | undefined;
    const text = typeof config === 'string' ? config : (config?.text ?? '');
    const operation = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';
    return traced(
      `pg ${operation}`,
      { 'db.system': 'postgresql', 'db.operation': operation, 'db.statement': text },
      () => query.apply(self, args) as Promise<unknown>,
    );
  };
}

/** Traces every query of the pool, and of each client it hands out (transactions). */
export function instrumentPgPool(pool: pg.Pool): void {
  pool.query = tracedQuery(pool.query as QueryFn, pool) as typeof pool.query;
  pool.on('connect', (client) => {
    client.query = tracedQuery(client.query as QueryFn, client) as typeof client.query;
  });
}

/** Traces every Redis command (auto-pipelined ones too: each still has its own reply). */
export function instrumentRedis(redis: Redis): void {
  const sendCommand = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], stream?: Parameters<Redis['sendCommand']>[1]) => {
    // The span ends with the command's reply; the caller handles the reply's failure, not this span.
    spanUntilSettled(`redis ${command.name}`, { 'db.system': 'redis', 'db.operation': command.name }, command.promise);
    return sendCommand(command, stream);
  }) as Redis['sendCommand'];
}

/** Stripe object IDs (pi_…, acct_…) in a path become `{id}`, so span names are a bounded set. */
const routeOf = (path: string) => path.split('?')[0]!.replace(/\/[a-z]+_(?=[A-Za-z_]*[A-Z0-9])[A-Za-z0-9_]+/g, '/{id}');

/** The Node HTTP client Stripe's SDK uses, with a span per request. */
export function tracedStripeHttpClient(stripe: typeof Stripe): ReturnType<typeof Stripe.createNodeHttpClient> {
  const client = stripe.createNodeHttpClient();
  const makeRequest = client.makeRequest.bind(client);
  client.makeRequest = (host, port, path, method, headers, requestData, protocol, timeout) =>
    traced(`stripe ${method} ${routeOf(path)}`, { 'http.request.method': method, 'url.template': routeOf(path), 'server.address': host }, async (span) => {
      const response = await makeRequest(host, port, path, method, headers, requestData, protocol, timeout);
      span.setAttribute('http.response.status_code', response.getStatusCode());
      return response;
    });
  return client;
}
