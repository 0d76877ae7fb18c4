// The API wired to the test stack for tests: full dependencies, a test authenticator, and tokens for
// any subject and role.
import type { Client } from '@temporalio/client';
import { createApp } from '../../api/app';
import { createAuthenticator, mintToken, type Role } from '../../api/auth';
import type { ApiDeps } from '../../api/deps';
import { DEFAULT_API_LIMITS, type ApiLimits } from '../../api/limits';
import type { Redis } from '../../cache/redis';
import type { Db } from '../../db/pool';
import { createLogger } from '../../observability/log';
import type { Stripe } from '../../payments/stripe-client';
import { testConfig, uniqueId } from './env';

export const TEST_AUTH = { JWT_SECRET: 'poolflow-test-secret-long-enough-for-hs256', JWT_ISSUER: 'poolflow-test', JWT_AUDIENCE: 'poolflow-api' };
export const TEST_WEBHOOK_SECRET = 'whsec_poolflow_api_tests';

/**
 * Tests drive far more requests and streams per subject (and all from one address) than any person
 * would; the fair-use tests (test/fair-use.test.ts, api/guards.test.ts) set limits of their own.
 */
export const TEST_LIMITS: ApiLimits = {
  ...DEFAULT_API_LIMITS,
  read: { ...DEFAULT_API_LIMITS.read, requestsMax: 100_000 },
  write: { ...DEFAULT_API_LIMITS.write, requestsMax: 100_000 },
  address: { ...DEFAULT_API_LIMITS.address, requestsMax: 1_000_000 },
  global: { ...DEFAULT_API_LIMITS.global, requestsMax: 1_000_000 },
  streams: { perSubjectMax: 1_000, perAddressMax: 10_000, processMax: 10_000 },
};

export function testApiDeps(parts: {
  temporal: Client;
  db: Db;
  redis: Redis;
  stripe: Stripe;
  poolsTaskQueue: string;
  redisKeyPrefix: string;
  stripeWebhookSecret?: string;
  searchAttributes?: boolean;
}): ApiDeps {
  return {
    ...parts,
    redisUrl: testConfig.redisUrl,
    log: createLogger('api-test'),
    authenticate: createAuthenticator(TEST_AUTH),
    stripeWebhookSecret: parts.stripeWebhookSecret ?? TEST_WEBHOOK_SECRET,
    limits: TEST_LIMITS,
  };
}

export function testApp(deps: ApiDeps) {
  return createApp(deps);
}

export function tokenFor(sub: string, role: Role): Promise<string> {
  return mintToken({ sub, role, secret: TEST_AUTH.JWT_SECRET, issuer: TEST_AUTH.JWT_ISSUER, audience: TEST_AUTH.JWT_AUDIENCE });
}

/** Headers of an authenticated JSON request, with a fresh Idempotency-Key unless one is given. */
export async function authHeaders(sub: string, role: Role, idempotencyKey = uniqueId('idem')): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await tokenFor(sub, role)}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey };
}
