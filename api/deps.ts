// What the API's handlers need from the outside world, passed in so tests wire the same app to the
// test stack.
import type { Client } from '@temporalio/client';
import type { EndpointPolicy } from '../activities/notifications/endpoint-policy';
import type { Redis } from '../cache/redis';
import type { Db } from '../db/pool';
import type { Logger } from '../observability/log';
import type { Stripe } from '../payments/stripe-client';
import type { Authenticator } from './auth';
import type { ApiLimits } from './limits';
import type { RateLimit } from './rate-limit';

export interface ApiDeps {
  temporal: Client;
  db: Db;
  redis: Redis;
  /** Where Redis is, for connections of their own (blocking reads of event streams). */
  redisUrl: string;
  redisKeyPrefix: string;
  log: Logger;
  /** Verifies bearer tokens (api/auth.ts). */
  authenticate: Authenticator;
  /** Task queue of the pools worker; tests use their own queue. */
  poolsTaskQueue: string;
  /** Task queue of the simulations workers (TASK_QUEUES.simulations unless a test uses its own). */
  simulationsTaskQueue?: string;
  /** Task queue of the assessments worker (default TASK_QUEUES.assessments); tests use their own queue. */
  assessmentsTaskQueue?: string;
  /** For members' Stripe objects and for verifying Stripe webhooks. */
  stripe: Stripe;
  stripeWebhookSecret: string;
  /** Which webhook endpoint URLs managers may register (config/env.ts webhookPolicyFrom); open when unset. */
  webhookPolicy?: EndpointPolicy;
  /** Whether the Stripe key is a live one; webhook events of the other mode are refused. Test mode when unset. */
  stripeLivemode?: boolean;
  /** The Stripe webhook's per-address limit (api/rate-limit.ts WEBHOOK_LIMIT when unset); tests set a small one. */
  webhookRateLimit?: RateLimit;
  /** Fair use (api/limits.ts DEFAULT_API_LIMITS for what is unset); tests set small ones. */
  limits?: Partial<ApiLimits>;
  /** How long an event stream stays open (api/event-streams.ts EVENT_STREAM_MS when unset). */
  eventStreamMs?: number;
  /** How long creating a pool waits for it to be open and readable before answering 202 (10 s when unset). */
  poolOpenWaitMs?: number;
  /** Pool workflows index themselves in search attributes (off only on a test server without them). */
  searchAttributes?: boolean;
}
