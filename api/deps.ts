// What the API's handlers need from the outside world, passed in so tests wire the same app to the
// test stack.
import type { Client } from '@temporalio/client';
import type { Redis } from '../cache/redis';
import type { Db } from '../db/pool';
import type { Logger } from '../observability/log';
import type { Stripe } from '../payments/stripe-client';

export interface ApiDeps {
  temporal: Client;
  db: Db;
  redis: Redis;
  log: Logger;
  /** Task queue of the pools worker; tests use their own queue. */
  poolsTaskQueue: string;
  /** For verifying Stripe webhooks (POST /v1/webhooks/stripe answers 503 without both). */
  stripe?: Stripe;
  stripeWebhookSecret?: string;
}
