// Prometheus metrics of Poolflow's own (prom-client): the API's requests, and the business counters the
// activities, the webhook router and the transaction helper emit. One registry per process, served by
// serveMetrics(); the Temporal SDK's runtime metrics have their own endpoint (observability/temporal-runtime.ts).
//
// prom-client rather than the SDK's metric meter: these counters are also emitted outside activities
// (the API's webhook route, the SERIALIZABLE retry helper, the worker's periodic scans), the API has no
// SDK runtime to export through, and a registry can be read in-process by the tests.
import { createServer, type Server } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'poolflow_process_' });

const registers = [metricsRegistry];

export const businessMetrics = {
  /** Members' contributions in finished rounds, by outcome (paid, paid-late, covered, defaulted, refunded). */
  contributions: new Counter({
    name: 'poolflow_contributions_total',
    help: 'Contributions of finished rounds by outcome',
    labelNames: ['outcome'] as const,
    registers,
  }),
  /** Charges that Stripe declined or that needed authentication (each a failed attempt, dunning included). */
  chargesFailed: new Counter({
    name: 'poolflow_contribution_charges_failed_total',
    help: 'Contribution charges that failed at Stripe',
    labelNames: ['reason'] as const,
    registers,
  }),
  /** Dunning retries started (a declined contribution charged again within the grace period). */
  dunningCharges: new Counter({ name: 'poolflow_dunning_charges_total', help: 'Dunning retry charges made', registers }),
  defaults: new Counter({ name: 'poolflow_defaults_total', help: 'Members who defaulted on a round', registers }),
  payouts: new Counter({ name: 'poolflow_payouts_total', help: 'Payouts made in finished rounds', labelNames: ['purpose'] as const, registers }),
  payoutEscalations: new Counter({
    name: 'poolflow_payout_escalations_total',
    help: 'Rounds whose payout failed every attempt and waits for operations',
    registers,
  }),
  ledgerSerializationRetries: new Counter({
    name: 'poolflow_ledger_serialization_retries_total',
    help: 'SERIALIZABLE transactions re-run after a serialization failure or deadlock',
    registers,
  }),
  reconciliationMismatches: new Counter({
    name: 'poolflow_reconciliation_mismatches_total',
    help: 'Mismatches between our records and Stripe found by reconciliation',
    registers,
  }),
  reconciliationRuns: new Counter({ name: 'poolflow_reconciliation_runs_total', help: 'Pool reconciliations run', registers }),
  /** Seconds from Stripe creating an event to our receiving it. */
  webhookLag: new Histogram({
    name: 'poolflow_webhook_lag_seconds',
    help: 'Delay between a Stripe event and its receipt',
    buckets: [0.5, 1, 5, 15, 60, 300, 900, 3600, 21600],
    registers,
  }),
};

/** Requests by method, matched route (never the raw path: bounded cardinality) and status. */
const httpRequests = new Counter({
  name: 'poolflow_http_requests_total',
  help: 'HTTP requests',
  labelNames: ['method', 'route', 'status'] as const,
  registers,
});
const httpDuration = new Histogram({
  name: 'poolflow_http_request_duration_seconds',
  help: 'HTTP request latency',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});

/** Counts and times every request of the Hono app it is installed on (first, so it sees the final status). */
export function httpMetrics(): MiddlewareHandler {
  return async (c, next) => {
    const startedAt = performance.now();
    await next();
    const route = matchedRoutes(c).findLast((r) => r.method !== 'ALL')?.path ?? 'unmatched';
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    httpRequests.inc(labels);
    httpDuration.observe(labels, (performance.now() - startedAt) / 1000);
  };
}

/**
 * A gauge whose value is computed when Prometheus scrapes (a database count, a visibility count),
 * never more often than `cacheMs`, so that several scrapers cost one query.
 */
export function scrapedGauge(name: string, help: string, read: () => Promise<number>, cacheMs = 10_000): Gauge {
  let cached: { at: number; value: number } | undefined;
  return new Gauge({
    name,
    help,
    registers,
    async collect() {
      if (!cached || Date.now() - cached.at > cacheMs) cached = { at: Date.now(), value: await read() };
      this.set(cached.value);
    },
  });
}

/** Serves the registry at http://host:port/metrics; resolves once listening. */
export async function serveMetrics(port: number, host: string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    metricsRegistry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}
