// Every process parses its environment once, at start-up, with these zod schemas, and stops with a
// message naming the bad variable instead of failing later in some request or activity.
import { z } from 'zod';
import { modeEnv } from './mode';

const url = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

/** The defaults point at the local stack that `npm start` brings up (scripts/stack.sh). */
export const databaseEnv = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://poolflow@127.0.0.1:54320/poolflow'),
});

export const redisEnv = z.object({
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:63790/0'),
  /** Every key this process writes starts with this prefix, so tests and tenants can share a server. */
  REDIS_KEY_PREFIX: z.string().regex(/^[a-z0-9:_-]*$/i, 'letters, digits, ":", "_" and "-" only').default('poolflow:'),
});

export const temporalEnv = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[\w.-]+:\d{1,5}$/, 'must be host:port, such as 127.0.0.1:7233')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
});

export const stripeEnv = z.object({
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_\w+$/, 'must be a Stripe secret key (sk_test_…)')
    .default('sk_test_local'),
  /** Base URL of a Stripe-compatible server (stripe-mock, the local sandbox); unset means api.stripe.com. */
  STRIPE_API_URL: url(['http:', 'https:']).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_', 'must start with whsec_').default('whsec_local_development_only'),
});

/**
 * The shared limiter in front of every Stripe call (payments/stripe-rate-limit.ts). Unset limits are
 * Stripe's documented ones for the key's mode (100 requests/s live, 25 test; 25 per endpoint; 20 search).
 */
export const stripeRateLimitEnv = z.object({
  STRIPE_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().max(10_000).optional(),
  STRIPE_ENDPOINT_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().max(10_000).optional(),
  STRIPE_SEARCH_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().max(10_000).optional(),
  /** Requests that may leave back to back before the spacing applies. */
  STRIPE_RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000).default(5),
  /** A call that would wait longer for its slot fails at once, and Temporal retries its activity later. */
  STRIPE_RATE_LIMIT_WAIT_MAX_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
});

export const authEnvFields = z.object({
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_JWKS_URL: url(['https:', 'http:']).optional(),
  JWT_ISSUER: z.string().min(1).default('poolflow-local'),
  JWT_AUDIENCE: z.string().min(1).default('poolflow-api'),
});

/** Without a secret or a JWKS, tokens are checked against a fixed local secret (`npm run token`). */
export const authEnv = authEnvFields.transform((env) =>
  env.JWT_SECRET || env.JWT_JWKS_URL ? env : { ...env, JWT_SECRET: 'poolflow-local-development-secret-not-for-production' },
);

export const httpEnv = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
});

/** Every variable any Poolflow process reads, for documentation and the compose-file check. */
export const ALL_ENV_FIELDS = databaseEnv
  .extend(redisEnv.shape)
  .extend(temporalEnv.shape)
  .extend(stripeEnv.shape)
  .extend(stripeRateLimitEnv.shape)
  .extend(authEnvFields.shape)
  .extend(httpEnv.shape)
  .extend(modeEnv.shape);

/** Thrown by parseEnv when a variable is missing or malformed. */
export class EnvError extends Error {}

/** Parses `source` with `schema`; throws an EnvError whose message names every bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, source: NodeJS.ProcessEnv = process.env): z.output<S> {
  // Empty strings count as unset, as in most shells' `VAR= command`.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new EnvError(`invalid environment:\n${problems.join('\n')}`);
}

/** For process entry points: parse, or print the problem and exit with status 78 (EX_CONFIG). */
export function loadEnv<S extends z.ZodType>(schema: S): z.output<S> {
  try {
    return parseEnv(schema);
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    console.error(error.message);
    process.exit(78);
  }
}
