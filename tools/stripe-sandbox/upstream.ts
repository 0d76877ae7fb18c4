// The sandbox's link to stripe-mock: every API request is forwarded there first, so Stripe's OpenAPI
// validation still applies, and its typed fixtures are the templates of the objects the sandbox keeps.
import type { ObjectTypes } from './state';

export interface UpstreamAnswer {
  status: number;
  contentType: string;
  text: string;
  /** The parsed JSON body; undefined when the body is not JSON. */
  body: unknown;
}

/** Raised when stripe-mock cannot be reached or answers something that is not JSON. */
export class UpstreamError extends Error {}

/** Objects the handlers need a template of without having asked stripe-mock for them in the request. */
const templatePaths = {
  charge: '/v1/charges/ch_sandboxtemplate',
  payment_method: '/v1/payment_methods/pm_sandboxtemplate',
} as const satisfies Partial<Record<keyof ObjectTypes, string>>;
type TemplateType = keyof typeof templatePaths;

const forwardedHeaders = ['authorization', 'content-type', 'stripe-version', 'stripe-account', 'idempotency-key'] as const;

/**
 * Sent with every forwarded request. A sandbox that receives it only relays the request to its own
 * upstream, so one sandbox may sit in front of another (a test's in-process sandbox in front of the
 * stack's) and still see stripe-mock's stateless validation rather than the other's state.
 */
export const passthroughHeader = 'sandbox-passthrough';

export class Upstream {
  private readonly templates = new Map<TemplateType, unknown>();

  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  async forward(method: string, pathAndQuery: string, headers: Record<string, string | undefined>, body: string): Promise<UpstreamAnswer> {
    const sent: Record<string, string> = { [passthroughHeader]: 'true' };
    for (const name of forwardedHeaders) {
      const value = headers[name];
      if (value !== undefined) sent[name] = value;
    }
    let response: Response;
    try {
      response = await fetch(new URL(pathAndQuery, this.baseUrl), {
        method,
        headers: sent,
        body: method === 'GET' || method === 'DELETE' ? undefined : body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw new UpstreamError(`stripe-mock at ${this.baseUrl} did not answer: ${cause instanceof Error ? cause.message : String(cause)}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, contentType: response.headers.get('content-type') ?? 'application/json', text, body: parsed };
  }

  /** A fresh copy of stripe-mock's fixture for `type`, fetched once per sandbox. */
  async template<K extends TemplateType>(type: K, authorization: string): Promise<ObjectTypes[K]> {
    let template = this.templates.get(type);
    if (template === undefined) {
      const answer = await this.forward('GET', templatePaths[type], { authorization }, '');
      if (answer.status !== 200 || typeof answer.body !== 'object' || answer.body === null) {
        throw new UpstreamError(`stripe-mock answered ${answer.status} for the ${type} fixture: ${answer.text.slice(0, 200)}`);
      }
      template = answer.body;
      this.templates.set(type, template);
    }
    return structuredClone(template) as ObjectTypes[K];
  }
}
