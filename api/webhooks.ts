// POST /v1/webhooks/stripe: verifies the Stripe-Signature header over the raw body, then stores the
// event once by its id and routes it to the workflow waiting for it (payments/webhook-router.ts).
// A bad or missing signature gets a 400 problem and stores nothing; a stored event is answered 200 even
// when its signal could not be delivered yet, since re-delivery is ours to do, not Stripe's.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type Stripe from 'stripe';
import { z } from 'zod';
import { createWebhookRouter } from '../payments/webhook-router';
import type { ApiDeps } from './deps';
import type { AppEnv } from './context';
import { contractApp, jsonResponse, problemResponses } from './contract';
import { ProblemError } from './problem';
import { byAddress, rateLimit, WEBHOOK_LIMIT } from './rate-limit';

// A signature proves who sent a body, not that it is an event: `null` and `{"data":{"object":null}}` verify too.
function isEventShaped(value: Stripe.Event | null): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const data = value.data as { object?: unknown } | null | undefined;
  return (
    typeof value.id === 'string' &&
    typeof value.type === 'string' &&
    typeof value.created === 'number' &&
    typeof data?.object === 'object' &&
    data.object !== null
  );
}

/** How far ahead of our clock a signature's timestamp may be (clock skew); Stripe's SDK checks only the past. */
export const WEBHOOK_FUTURE_SKEW_MAX_SECONDS = 60;

/**
 * Stripe's events are larger than commands (and a 413 would make Stripe retry for days), but well below
 * this; read only behind a well-formed, fresh signature header.
 */
export const WEBHOOK_BODY_BYTES_MAX = 256 * 1024;

/** The raw body, read up to `bytesMax`: a longer one (by its Content-Length or as it streams in) is refused with 413. */
async function readBodyAtMost(request: Request, bytesMax: number): Promise<Buffer> {
  const tooLarge = () => new ProblemError(413, 'Payload Too Large', `webhook bodies are limited to ${bytesMax} bytes`);
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > bytesMax) throw tooLarge();
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, total);
    total += value.byteLength;
    if (total > bytesMax) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
}

/** How old a signature's timestamp may be: the SDK's default tolerance, checked here before the body is read. */
export const WEBHOOK_SIGNATURE_AGE_MAX_SECONDS = 300;
/** A Stripe-Signature header is short; anything longer is not one. */
const SIGNATURE_HEADER_CHARS_MAX = 1_024;
const SIGNATURE_V1 = /(?:^|,)v1=[0-9a-f]{64}(?:,|$)/;

/** The `t=` of a Stripe-Signature header, or null when it has none. */
function signedAtSeconds(signature: string): number | null {
  const match = /(?:^|,)t=(\d{1,12})(?:,|$)/.exec(signature);
  return match ? Number(match[1]) : null;
}

/**
 * Whether the header can be a fresh Stripe signature at all: a timestamp within the tolerance and a v1
 * HMAC. Decided from the header alone, so a request without one gets no byte of its body read.
 */
function signatureHeaderProblem(signature: string): string | null {
  if (signature.length > SIGNATURE_HEADER_CHARS_MAX || !SIGNATURE_V1.test(signature)) return 'the Stripe-Signature header is not of the form t=…,v1=…';
  const signedAt = signedAtSeconds(signature);
  if (signedAt === null) return 'the Stripe-Signature header is not of the form t=…,v1=…';
  const nowSeconds = Date.now() / 1000;
  // A signature from the future would otherwise stay valid for as long as it is ahead.
  if (signedAt > nowSeconds + WEBHOOK_FUTURE_SKEW_MAX_SECONDS) return 'the Stripe-Signature timestamp is in the future';
  if (signedAt < nowSeconds - WEBHOOK_SIGNATURE_AGE_MAX_SECONDS) return 'the Stripe-Signature timestamp is too old';
  return null;
}

const stripeWebhookRoute = createRoute({
  method: 'post',
  path: '/stripe',
  summary: 'Stripe webhook endpoint (signed with the endpoint secret)',
  tags: ['Stripe'],
  // Signed by Stripe, not authenticated with a bearer token.
  security: [],
  parameters: [
    { name: 'Stripe-Signature', in: 'header', required: true, schema: { type: 'string' }, description: 't=<unix seconds>,v1=<HMAC-SHA256 of "t.body">' },
  ],
  // Documented, not validated here: the signature covers the raw bytes, which the handler reads itself.
  request: { body: { required: true, content: { 'application/json': { schema: { type: 'object', description: 'A Stripe event, as Stripe sends it' } } } } },
  responses: {
    200: jsonResponse(
      'The event is stored (or was already: `duplicate`)',
      z.object({ received: z.literal(true), eventId: z.string(), duplicate: z.boolean() }),
    ),
    ...problemResponses(400, 413, 429, 503),
  },
});

export function webhookRoutes(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const app = contractApp();
  const router = createWebhookRouter({
    db: deps.db,
    temporal: deps.temporal,
    stripe: deps.stripe,
    log: deps.log,
    ...(deps.assessmentsTaskQueue ? { assessmentsTaskQueue: deps.assessmentsTaskQueue } : {}),
  });
  // Counted per sending address before anything else is done with the request.
  app.use('*', rateLimit(deps.redis, deps.webhookRateLimit ?? WEBHOOK_LIMIT, { subject: byAddress }));

  app.openapi(stripeWebhookRoute, async (c) => {
    const { stripe, stripeWebhookSecret } = deps;
    const signature = c.req.header('stripe-signature');
    if (!signature) throw new ProblemError(400, 'Missing Signature', 'the Stripe-Signature header is required');
    const headerProblem = signatureHeaderProblem(signature);
    if (headerProblem) throw new ProblemError(400, 'Invalid Signature', headerProblem);
    // The signature covers the exact bytes Stripe sent, so the body is read raw, never re-serialised.
    const body = await readBodyAtMost(c.req.raw, WEBHOOK_BODY_BYTES_MAX);
    let event: Stripe.Event;
    try {
      event = await stripe.webhooks.constructEventAsync(body, signature, stripeWebhookSecret);
    } catch {
      throw new ProblemError(400, 'Invalid Signature', 'the Stripe-Signature header does not verify this body with the webhook secret');
    }
    if (!isEventShaped(event)) throw new ProblemError(400, 'Malformed Event', 'the body is not a Stripe event');
    // A test-mode event at a live endpoint (or the reverse) is someone's mistake or someone's attempt.
    if (event.livemode !== (deps.stripeLivemode ?? false)) {
      throw new ProblemError(
        400,
        'Livemode Mismatch',
        `a ${event.livemode ? 'live' : 'test'}-mode event does not belong at this ${deps.stripeLivemode ? 'live' : 'test'}-mode endpoint`,
      );
    }
    const result = await router.ingest(event);
    return c.json({ received: true as const, eventId: result.eventId, duplicate: result.duplicate }, 200);
  });
  return app;
}
