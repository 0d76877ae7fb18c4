// Builds the Stripe SDK client every process uses. The SDK's own retries are off: Temporal retries
// activities, and the SDK's automatic idempotency key would change between activity attempts, so every
// mutating call passes our business-keyed `idempotencyKey` instead. (Even so, the SDK re-sends a request
// once when the connection closed under it, with the same key: Stripe replays rather than repeats it.)
import Stripe from 'stripe';
import type { z } from 'zod';
import type { stripeEnv, stripeRateLimitEnv } from '../config/env';
import type { Redis } from '../cache/redis';
import { rateLimitedHttpClient } from './rate-limited-http-client';
import { createStripeRateLimiter, documentedStripeLimits, type StripeRateLimiter } from './stripe-rate-limit';

export type { Stripe };
export type StripeEnv = z.output<typeof stripeEnv>;
export type StripeRateLimitEnv = z.output<typeof stripeRateLimitEnv>;

/** Below STRIPE_ACTIVITY's 45 s start-to-close timeout, so a hung request fails the attempt, not the activity. */
export const STRIPE_REQUEST_TIMEOUT_MS = 20_000;

export interface StripeClientOptions {
  timeoutMs?: number;
  /** Every request waits for its slot in this limiter (shared across processes through Redis). */
  rateLimiter?: StripeRateLimiter;
}

/** A client for api.stripe.com, or for the Stripe-compatible server at STRIPE_API_URL (stripe-mock, the sandbox). */
export function createStripe(env: StripeEnv, options: StripeClientOptions = {}): Stripe {
  const endpoint = env.STRIPE_API_URL ? new URL(env.STRIPE_API_URL) : undefined;
  const secure = endpoint?.protocol === 'https:';
  return new Stripe(env.STRIPE_SECRET_KEY, {
    maxNetworkRetries: 0,
    timeout: options.timeoutMs ?? STRIPE_REQUEST_TIMEOUT_MS,
    telemetry: false,
    appInfo: { name: 'poolflow' },
    ...(options.rateLimiter ? { httpClient: rateLimitedHttpClient(options.rateLimiter) } : {}),
    ...(endpoint ? { host: endpoint.hostname, port: endpoint.port || (secure ? 443 : 80), protocol: secure ? 'https' : 'http' } : {}),
  });
}

/** The limiter every process of one Stripe account shares, configured from the environment. */
export function stripeRateLimiterFromEnv(redis: Redis, env: StripeEnv & StripeRateLimitEnv): StripeRateLimiter {
  const documented = documentedStripeLimits(env.STRIPE_SECRET_KEY);
  return createStripeRateLimiter(redis, env.STRIPE_SECRET_KEY, {
    globalPerSecond: env.STRIPE_RATE_LIMIT_PER_SECOND ?? documented.globalPerSecond,
    endpointPerSecond: env.STRIPE_ENDPOINT_RATE_LIMIT_PER_SECOND ?? documented.endpointPerSecond,
    searchPerSecond: env.STRIPE_SEARCH_RATE_LIMIT_PER_SECOND ?? documented.searchPerSecond,
    burst: env.STRIPE_RATE_LIMIT_BURST,
    waitMaxMs: env.STRIPE_RATE_LIMIT_WAIT_MAX_MS,
  });
}
