// A typed client for the sandbox's control API, for tests: faults, the request record, stored objects
// and events, webhook endpoints and their delivery options, idempotency-key expiry, settlement and
// onboarding. Every method throws SandboxControlError when the sandbox answers with an error.
import type { StoredObjectView } from './control';
import type { Fault, FaultSpec } from './faults';
import type { IdempotencyEffects, RecordedRequest, RequestFilter } from './requests';
import type { ObjectType, SandboxEvent, SandboxSettings } from './state';
import type { DeliveryRecord, EndpointPatch, EndpointSpec, EndpointView } from './webhooks';

/** Thrown when a control request is refused (bad input, unknown id) or the sandbox fails. */
export class SandboxControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type SandboxClient = ReturnType<typeof createSandboxClient>;

export function createSandboxClient(baseUrl: string) {
  const call = async <T>(method: string, path: string, body?: unknown, query: Record<string, string | undefined> = {}): Promise<T> => {
    const url = new URL(`/__sandbox${path}`, baseUrl);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
    const response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const message = (parsed as { error?: { message?: string } } | undefined)?.error?.message ?? text;
      throw new SandboxControlError(response.status, `sandbox ${method} ${path} answered ${response.status}: ${message}`);
    }
    return parsed as T;
  };

  return {
    health: () => call<{ ok: true }>('GET', '/health'),
    /** Forgets everything. Affects every user of a shared sandbox: prefer per-test secret keys instead. */
    reset: () => call<{ reset: true }>('POST', '/reset'),
    settings: () => call<SandboxSettings>('GET', '/settings'),
    updateSettings: (patch: Partial<SandboxSettings>) => call<SandboxSettings>('PATCH', '/settings', patch),

    objects: (filter: { type?: ObjectType; secretKey?: string } = {}) => call<StoredObjectView[]>('GET', '/objects', undefined, filter),
    object: (id: string) => call<StoredObjectView>('GET', `/objects/${encodeURIComponent(id)}`),
    /** Events in the order they happened. */
    events: (filter: { type?: string; secretKey?: string } = {}) => call<SandboxEvent[]>('GET', '/events', undefined, filter),

    requests: (filter: RequestFilter = {}) => call<RecordedRequest[]>('GET', '/requests', undefined, { ...filter }),
    /** Per idempotency key: how often it was sent, how often replayed, and the objects it really created. */
    effects: (filter: RequestFilter = {}) => call<IdempotencyEffects[]>('GET', '/requests/effects', undefined, { ...filter }),

    addFault: (spec: FaultSpec) => call<Fault>('POST', '/faults', spec),
    faults: () => call<Fault[]>('GET', '/faults'),
    removeFault: (id: string) => call<{ removed: true }>('DELETE', `/faults/${encodeURIComponent(id)}`),
    clearFaults: () => call<{ cleared: true }>('DELETE', '/faults'),

    /** Emulates Stripe pruning keys after 24 hours: the next request with such a key runs again. */
    expireIdempotencyKeys: (filter: { secretKey?: string; idempotencyKey?: string } = {}) => call<{ expired: number }>('POST', '/idempotency/expire', filter),

    addWebhookEndpoint: (spec: EndpointSpec) => call<EndpointView>('POST', '/webhooks/endpoints', spec),
    webhookEndpoints: () => call<EndpointView[]>('GET', '/webhooks/endpoints'),
    updateWebhookEndpoint: (id: string, patch: EndpointPatch) => call<EndpointView>('PATCH', `/webhooks/endpoints/${encodeURIComponent(id)}`, patch),
    removeWebhookEndpoint: (id: string) => call<{ removed: true }>('DELETE', `/webhooks/endpoints/${encodeURIComponent(id)}`),
    /** Delivers what the endpoint queued (paused or batching); resolves after each got its first attempt. */
    flushWebhooks: (id: string) => call<{ flushed: number }>('POST', `/webhooks/endpoints/${encodeURIComponent(id)}/flush`),
    deliveries: (filter: { eventId?: string; endpointId?: string } = {}) => call<DeliveryRecord[]>('GET', '/webhooks/deliveries', undefined, filter),

    /** Settles a `processing` PaymentIntent now instead of after settlementDelayMs. */
    settlePaymentIntent: (id: string) =>
      call<{ settled: boolean; paymentIntent: { id: string; status: string } }>('POST', `/payment_intents/${encodeURIComponent(id)}/settle`),
    /** Finishes a connected account's onboarding, as visiting its AccountLink does. */
    onboardAccount: (id: string) =>
      call<{ id: string; charges_enabled: boolean; payouts_enabled: boolean }>('POST', `/accounts/${encodeURIComponent(id)}/onboard`),
  };
}
