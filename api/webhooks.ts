// POST /v1/webhooks/stripe: verifies the Stripe-Signature header over the raw body, then stores the
// event once by its id and routes it to the workflow waiting for it (payments/webhook-router.ts).
// A bad or missing signature gets a 400 problem and stores nothing; a stored event is answered 200 even
// when its signal could not be delivered yet, since re-delivery is ours to do, not Stripe's.
import { Hono } from 'hono';
import type Stripe from 'stripe';
import { createWebhookRouter } from '../payments/webhook-router';
import type { ApiDeps } from './deps';
import { ProblemError } from './problem';

// A signature proves who sent a body, not that it is an event: `null` and `{"data":{"object":null}}` verify too.
function isEventShaped(value: Stripe.Event | null): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const data = value.data as { object?: unknown } | null | undefined;
  return typeof value.id === 'string' && typeof value.type === 'string' && typeof value.created === 'number' && typeof data?.object === 'object' && data.object !== null;
}

/** How far ahead of our clock a signature's timestamp may be (clock skew); Stripe's SDK checks only the past. */
export const WEBHOOK_FUTURE_SKEW_MAX_SECONDS = 60;

/** The `t=` of a Stripe-Signature header, or null when it has none. */
function signedAtSeconds(signature: string): number | null {
  const match = /(?:^|,)t=(\d{1,12})(?:,|$)/.exec(signature);
  return match ? Number(match[1]) : null;
}

export function webhookRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  const router = createWebhookRouter({ db: deps.db, temporal: deps.temporal, stripe: deps.stripe, log: deps.log });

  app.post('/stripe', async (c) => {
    const { stripe, stripeWebhookSecret } = deps;
    const signature = c.req.header('stripe-signature');
    if (!signature) throw new ProblemError(400, 'Missing Signature', 'the Stripe-Signature header is required');
    // Checked before the body is read: a signature from the future would otherwise stay valid for as long as it is ahead.
    const signedAt = signedAtSeconds(signature);
    if (signedAt !== null && signedAt > Date.now() / 1000 + WEBHOOK_FUTURE_SKEW_MAX_SECONDS) {
      throw new ProblemError(400, 'Invalid Signature', 'the Stripe-Signature timestamp is in the future');
    }
    // The signature covers the exact bytes Stripe sent, so the body is read raw, never re-serialised.
    const body = Buffer.from(await c.req.arrayBuffer());
    let event: Stripe.Event;
    try {
      event = await stripe.webhooks.constructEventAsync(body, signature, stripeWebhookSecret);
    } catch {
      throw new ProblemError(400, 'Invalid Signature', 'the Stripe-Signature header does not verify this body with the webhook secret');
    }
    if (!isEventShaped(event)) throw new ProblemError(400, 'Malformed Event', 'the body is not a Stripe event');
    // A test-mode event at a live endpoint (or the reverse) is someone's mistake or someone's attempt.
    if (event.livemode !== (deps.stripeLivemode ?? false)) {
      throw new ProblemError(400, 'Livemode Mismatch', `a ${event.livemode ? 'live' : 'test'}-mode event does not belong at this ${deps.stripeLivemode ? 'live' : 'test'}-mode endpoint`);
    }
    const result = await router.ingest(event);
    return c.json({ received: true, eventId: result.eventId, duplicate: result.duplicate }, 200);
  });
  return app;
}
