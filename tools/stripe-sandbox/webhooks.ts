// Webhook delivery: events go to every endpoint that wants them, signed as Stripe signs them
// (`Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "t.payload")`), with per-endpoint delivery options
// that tests steer: copies (duplicates), delay, batching with reordering, pause and flush, and bounded
// retries with exponential backoff on a non-2xx answer.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { mulberry32 } from './seeded-random';
import { newId, type SandboxEvent } from './state';

/** Deliveries remembered for the control API; older ones are forgotten. */
export const deliveryLogEntriesMax = 20_000;
/** The most copies of one event an endpoint may ask for. */
export const deliveryCopiesMax = 100;
/** The most retries after a failed attempt (Stripe retries for days; the sandbox stops early). */
export const deliveryRetriesMax = 10;
/** The longest delay, batch window or backoff step an endpoint may ask for. */
export const deliveryWaitMsMax = 300_000;

const deliveryOptionsShape = z.object({
  /** How many times each event is delivered (2 = every event arrives twice). */
  copies: z.number().int().min(1).max(deliveryCopiesMax),
  /** Wait before each delivery. */
  delayMs: z.number().int().min(0).max(deliveryWaitMsMax),
  /** Events are collected this long and delivered as one batch, in `order`. */
  batchWindowMs: z.number().int().min(0).max(deliveryWaitMsMax),
  /** The order of a batch: as emitted, reversed, or shuffled with `seed` (the same seed, the same order). */
  order: z.enum(['fifo', 'reverse', 'shuffle']),
  seed: z.number().int(),
  /** Paused endpoints queue events until they are flushed or resumed. */
  paused: z.boolean(),
  retriesMax: z.number().int().min(0).max(deliveryRetriesMax),
  retryBaseMs: z.number().int().min(1).max(deliveryWaitMsMax),
  timeoutMs: z.number().int().min(1).max(deliveryWaitMsMax),
});
export type DeliveryOptions = z.output<typeof deliveryOptionsShape>;

export const deliveryDefaults: DeliveryOptions = {
  copies: 1,
  delayMs: 0,
  batchWindowMs: 0,
  order: 'fifo',
  seed: 1,
  paused: false,
  retriesMax: 3,
  retryBaseMs: 500,
  timeoutMs: 10_000,
};

/** A change to an endpoint's delivery options: only the fields given change. */
export const endpointPatchSchema = deliveryOptionsShape.partial().strict();
export type EndpointPatch = z.input<typeof endpointPatchSchema>;

export const endpointSpecSchema = endpointPatchSchema.extend({
  url: z.url({ protocol: /^https?$/ }),
  /** Signing secret; defaults to the sandbox's STRIPE_WEBHOOK_SECRET. */
  secret: z.string().startsWith('whsec_').optional(),
  /** Only events caused by requests made with this secret key (isolates tests sharing a sandbox). */
  secretKey: z.string().min(1).optional(),
  /** Stripe's `enabled_events`; absent means every event. */
  eventTypes: z.array(z.string().min(1)).optional(),
});
export type EndpointSpec = z.input<typeof endpointSpecSchema>;

export interface EndpointView extends DeliveryOptions {
  id: string;
  url: string;
  secretKey: string | null;
  eventTypes: string[] | null;
  /** Events waiting for a batch window, a flush or a resume. */
  queued: number;
}

export interface DeliveryRecord {
  eventId: string;
  eventType: string;
  endpointId: string;
  url: string;
  attempt: number;
  /** The receiver's HTTP status; null when the request failed (refused, timed out). */
  status: number | null;
  error: string | null;
  at: string;
}

interface Endpoint {
  id: string;
  url: string;
  secret: string;
  secretKey: string | undefined;
  eventTypes: string[] | undefined;
  options: DeliveryOptions;
  queue: SandboxEvent[];
  batchTimer: NodeJS.Timeout | undefined;
  /** Batches are delivered one after another, so each batch's order is the order receivers see. */
  chain: Promise<void>;
}

/** The `Stripe-Signature` header for `payload` as Stripe computes it. */
export function signatureHeader(payload: string, secret: string, timestampSeconds: number): string {
  const signature = createHmac('sha256', secret).update(`${timestampSeconds}.${payload}`, 'utf8').digest('hex');
  return `t=${timestampSeconds},v1=${signature}`;
}

export class WebhookDispatcher {
  private endpoints = new Map<string, Endpoint>();
  private deliveries: DeliveryRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<AbortController>();
  private closed = false;

  constructor(
    private readonly defaultSecret: string,
    private readonly initialUrls: readonly string[],
  ) {
    this.addInitialEndpoints();
  }

  add(spec: z.output<typeof endpointSpecSchema>): EndpointView {
    const { url, secret, secretKey, eventTypes, ...options } = spec;
    const endpoint: Endpoint = {
      id: newId('we'),
      url,
      secret: secret ?? this.defaultSecret,
      secretKey,
      eventTypes,
      options: { ...deliveryDefaults, ...stripUndefined(options) },
      queue: [],
      batchTimer: undefined,
      chain: Promise.resolve(),
    };
    this.endpoints.set(endpoint.id, endpoint);
    return view(endpoint);
  }

  update(id: string, patch: z.output<typeof endpointPatchSchema>): EndpointView | undefined {
    const endpoint = this.endpoints.get(id);
    if (!endpoint) return undefined;
    const wasPaused = endpoint.options.paused;
    endpoint.options = { ...endpoint.options, ...stripUndefined(patch) };
    if (wasPaused && !endpoint.options.paused) this.schedule(endpoint);
    return view(endpoint);
  }

  remove(id: string): boolean {
    const endpoint = this.endpoints.get(id);
    if (endpoint?.batchTimer) this.clearTimer(endpoint.batchTimer);
    return this.endpoints.delete(id);
  }

  list(): EndpointView[] {
    return [...this.endpoints.values()].map(view);
  }

  /** How many endpoints will receive an event: Stripe's `pending_webhooks`. */
  audience(type: string, secretKey: string): number {
    return [...this.endpoints.values()].filter((endpoint) => wants(endpoint, type, secretKey)).length;
  }

  dispatch(event: SandboxEvent, secretKey: string): void {
    if (this.closed) return;
    for (const endpoint of this.endpoints.values()) {
      if (!wants(endpoint, event.type, secretKey)) continue;
      for (let copy = 0; copy < endpoint.options.copies; copy++) endpoint.queue.push(event);
      this.schedule(endpoint);
    }
  }

  /** Delivers what the endpoint has queued now, paused or not; resolves once each got its first attempt. */
  async flush(id: string): Promise<number | undefined> {
    const endpoint = this.endpoints.get(id);
    if (!endpoint) return undefined;
    if (endpoint.batchTimer) {
      this.clearTimer(endpoint.batchTimer);
      endpoint.batchTimer = undefined;
    }
    const count = endpoint.queue.length;
    await this.release(endpoint);
    return count;
  }

  deliveryLog(filter: { eventId?: string; endpointId?: string } = {}): DeliveryRecord[] {
    return this.deliveries.filter(
      (record) =>
        (filter.eventId === undefined || record.eventId === filter.eventId) && (filter.endpointId === undefined || record.endpointId === filter.endpointId),
    );
  }

  /** Back to the endpoints from the configuration, with nothing queued and no delivery history. */
  reset(): void {
    this.stopEverything();
    this.endpoints = new Map();
    this.deliveries = [];
    this.addInitialEndpoints();
  }

  close(): void {
    this.closed = true;
    this.stopEverything();
  }

  private addInitialEndpoints(): void {
    for (const url of this.initialUrls) this.add({ url });
  }

  private stopEverything(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inflight) controller.abort();
    this.inflight.clear();
    for (const endpoint of this.endpoints.values()) {
      endpoint.queue = [];
      endpoint.batchTimer = undefined;
    }
  }

  private schedule(endpoint: Endpoint): void {
    if (endpoint.options.paused || endpoint.batchTimer || endpoint.queue.length === 0) return;
    endpoint.batchTimer = this.timer(endpoint.options.batchWindowMs, () => {
      endpoint.batchTimer = undefined;
      void this.release(endpoint);
    });
  }

  private release(endpoint: Endpoint): Promise<void> {
    const batch = arrange(endpoint.queue.splice(0), endpoint.options);
    endpoint.chain = endpoint.chain.then(() => this.deliverBatch(endpoint, batch));
    return endpoint.chain;
  }

  private async deliverBatch(endpoint: Endpoint, batch: SandboxEvent[]): Promise<void> {
    for (const event of batch) {
      if (endpoint.options.delayMs > 0) await this.sleep(endpoint.options.delayMs);
      await this.attempt(endpoint, event, 1);
    }
  }

  private async attempt(endpoint: Endpoint, event: SandboxEvent, attempt: number): Promise<void> {
    if (this.closed || this.endpoints.get(endpoint.id) !== endpoint) return;
    const payload = JSON.stringify(event, null, 2);
    const controller = new AbortController();
    this.inflight.add(controller);
    const timeout = setTimeout(() => controller.abort(), endpoint.options.timeoutMs);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': signatureHeader(payload, endpoint.secret, Math.floor(Date.now() / 1000)),
        },
        body: payload,
        signal: controller.signal,
      });
      status = response.status;
      await response.body?.cancel();
    } catch (cause) {
      error = cause instanceof Error ? cause.message : String(cause);
    } finally {
      clearTimeout(timeout);
      this.inflight.delete(controller);
    }
    this.deliveries.push({
      eventId: event.id,
      eventType: event.type,
      endpointId: endpoint.id,
      url: endpoint.url,
      attempt,
      status,
      error,
      at: new Date().toISOString(),
    });
    if (this.deliveries.length > deliveryLogEntriesMax) this.deliveries.splice(0, this.deliveries.length - deliveryLogEntriesMax);
    const delivered = status !== null && status >= 200 && status < 300;
    if (!delivered && attempt <= endpoint.options.retriesMax) {
      // Retries run beside later deliveries, as on Stripe: a failing event does not hold the others back.
      const backoffMs = Math.min(endpoint.options.retryBaseMs * 2 ** (attempt - 1), deliveryWaitMsMax);
      this.timer(backoffMs, () => void this.attempt(endpoint, event, attempt + 1));
    }
  }

  private timer(delayMs: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, delayMs);
    this.timers.add(timer);
    return timer;
  }

  private clearTimer(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  private sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.timer(delayMs, resolve));
  }
}

function wants(endpoint: Endpoint, type: string, secretKey: string): boolean {
  return (
    (endpoint.secretKey === undefined || endpoint.secretKey === secretKey) &&
    (endpoint.eventTypes === undefined || endpoint.eventTypes.includes(type) || endpoint.eventTypes.includes('*'))
  );
}

function view(endpoint: Endpoint): EndpointView {
  return {
    id: endpoint.id,
    url: endpoint.url,
    secretKey: endpoint.secretKey ?? null,
    eventTypes: endpoint.eventTypes ?? null,
    ...endpoint.options,
    queued: endpoint.queue.length,
  };
}

function stripUndefined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** Orders one batch as the endpoint asked. */
export function arrange<T>(batch: T[], options: Pick<DeliveryOptions, 'order' | 'seed'>): T[] {
  switch (options.order) {
    case 'fifo':
      return batch;
    case 'reverse':
      return [...batch].reverse();
    case 'shuffle':
      return seededShuffle(batch, options.seed);
  }
}

/** Fisher–Yates driven by mulberry32, so a seed always gives the same order. */
function seededShuffle<T>(items: T[], seed: number): T[] {
  const result = [...items];
  const next = mulberry32(seed);
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}
