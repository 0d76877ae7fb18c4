// Every process parses its environment once, at start-up, with these zod schemas, and stops with a
// message naming the bad variable instead of failing later in some request or activity.
import { z } from 'zod';
import { CHECKPOINT_INTERVAL_MS } from '../domain/simulations/chunking';
import { modeEnv } from './mode';

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );

/** The defaults point at the local stack that `npm start` brings up (scripts/stack.sh). */
export const databaseEnv = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://poolflow@127.0.0.1:54320/poolflow'),
});

export const redisEnv = z.object({
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:63790/0'),
  /** Every key this process writes starts with this prefix, so tests and tenants can share a server. */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[a-z0-9:_-]*$/i, 'letters, digits, ":", "_" and "-" only')
    .default('poolflow:'),
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

/** The simulations worker: threads per chunk (default: one per core) and chunks run at once. */
export const simulationEnv = z.object({
  SIMULATION_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  SIMULATION_CHUNKS_PER_WORKER: z.coerce.number().int().min(1).max(16).default(2),
  /** How often a running chunk heartbeats its checkpoint (domain/simulations/chunking.ts has the default and range). */
  SIMULATION_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(CHECKPOINT_INTERVAL_MS.min).max(CHECKPOINT_INTERVAL_MS.max).optional(),
});

export const httpEnv = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
});

/** Fair-use overrides for the API (api/limits.ts has the defaults). */
export const fairUseEnv = z.object({
  /** Per subject: the bucket's size, refilled evenly over a minute. */
  RATE_LIMIT_READS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).optional(),
  RATE_LIMIT_WRITES_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).optional(),
  /** Every /v1 request from one network address (the socket's peer), whoever it is for. */
  RATE_LIMIT_PER_ADDRESS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).optional(),
  /** Every /v1 request to the API, all instances together. */
  RATE_LIMIT_GLOBAL_PER_MINUTE: z.coerce.number().int().min(1).max(100_000_000).optional(),
  SSE_STREAMS_PER_SUBJECT_MAX: z.coerce.number().int().min(1).max(10_000).optional(),
  SSE_STREAMS_PER_ADDRESS_MAX: z.coerce.number().int().min(1).max(100_000).optional(),
  SSE_STREAMS_PER_PROCESS_MAX: z.coerce.number().int().min(1).max(100_000).optional(),
  /** Time a client has to send its request's headers and body; later, 408 and the connection closes. */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).optional(),
});

/** How many payload keys may be configured at once: the current one and those still being retired. */
export const PAYLOAD_KEYS_MAX = 16;
const PAYLOAD_KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Keys of the payload codec (temporal-config/payload-codec.ts): `id:base64,id:base64` with 32-byte
 * AES-256 keys. New payloads are written under PAYLOAD_ENCRYPTION_KEY_ID (the first listed when unset);
 * the others stay readable until every payload under them is gone. Only `POOLFLOW_MODE=development`
 * (set by the local scripts) may run without keys, on a fixed development key.
 */
export const payloadEncryptionEnvFields = modeEnv.extend({
  PAYLOAD_ENCRYPTION_KEYS: z
    .string()
    .refine((value) => {
      const entries = value.split(',');
      if (entries.length > PAYLOAD_KEYS_MAX) return false;
      const ids = entries.map((entry) => entry.split(':')[0]!);
      const wellFormed = entries.every((entry) => {
        const [id, key, extra] = entry.split(':');
        return extra === undefined && PAYLOAD_KEY_ID.test(id ?? '') && Buffer.from(key ?? '', 'base64').length === 32;
      });
      return wellFormed && new Set(ids).size === ids.length;
    }, `must be up to ${PAYLOAD_KEYS_MAX} distinct id:key pairs, comma-separated, each id 1-32 letters, digits, "_" or "-" and each key 32 bytes in base64 (openssl rand -base64 32)`)
    .optional(),
  PAYLOAD_ENCRYPTION_KEY_ID: z.string().regex(PAYLOAD_KEY_ID, 'must be 1-32 letters, digits, "_" or "-"').optional(),
});

export const payloadEncryptionEnv = payloadEncryptionEnvFields.superRefine((env, ctx) => {
  if (!env.PAYLOAD_ENCRYPTION_KEYS) {
    if (env.POOLFLOW_MODE !== 'development') {
      ctx.addIssue({
        code: 'custom',
        path: ['PAYLOAD_ENCRYPTION_KEYS'],
        message: 'is required outside development (POOLFLOW_MODE=development uses a fixed development key)',
      });
    }
    if (env.PAYLOAD_ENCRYPTION_KEY_ID)
      ctx.addIssue({ code: 'custom', path: ['PAYLOAD_ENCRYPTION_KEY_ID'], message: 'names a key, but PAYLOAD_ENCRYPTION_KEYS lists none' });
    return;
  }
  const ids = env.PAYLOAD_ENCRYPTION_KEYS.split(',').map((entry) => entry.split(':')[0]);
  if (env.PAYLOAD_ENCRYPTION_KEY_ID && !ids.includes(env.PAYLOAD_ENCRYPTION_KEY_ID)) {
    ctx.addIssue({ code: 'custom', path: ['PAYLOAD_ENCRYPTION_KEY_ID'], message: `must be one of the ids in PAYLOAD_ENCRYPTION_KEYS (${ids.join(', ')})` });
  }
});

/** The codec server (codec-server/): where it listens, its ops token, and the Web UI origins it serves. */
export const codecServerEnv = z.object({
  CODEC_SERVER_PORT: z.coerce.number().int().min(1).max(65535).default(8089),
  CODEC_SERVER_HOST: z.string().min(1).default('127.0.0.1'),
  CODEC_SERVER_TOKEN: z.string().min(32, 'must be at least 32 characters (openssl rand -hex 32)'),
  CODEC_SERVER_ALLOWED_ORIGINS: z
    .string()
    .default('http://localhost:8233')
    .refine(
      (value) => value.split(',').every((origin) => URL.canParse(origin) && new URL(origin).origin === origin),
      'must be comma-separated origins such as http://localhost:8233',
    )
    .transform((value) => value.split(',')),
});

/** Prometheus endpoints: the API's, the worker's own and the worker's Temporal SDK metrics. */
export const metricsEnv = z.object({
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  API_METRICS_PORT: z.coerce.number().int().min(1).max(65535).default(9461),
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).default(9462),
  TEMPORAL_METRICS_PORT: z.coerce.number().int().min(1).max(65535).default(9463),
});

/** Traces: exported by OTLP over HTTP when an endpoint is set (the standard OpenTelemetry variables). */
export const tracingEnv = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
});

const flag = z.enum(['true', 'false']).transform((value) => value === 'true');

/** Notifications: where email goes, and which webhook endpoints managers may register. */
export const notificationsEnv = z.object({
  /** The SMTP relay (`smtp://` or `smtps://`, credentials in the URL); locally the mail catcher. */
  SMTP_URL: url(['smtp:', 'smtps:']).default('smtp://127.0.0.1:1025'),
  MAIL_FROM: z.string().min(3).default('Poolflow <notices@poolflow.local>'),
  /** Refuse webhook endpoints on private, loopback and link-local addresses (on by default in production). */
  WEBHOOK_BLOCK_PRIVATE_ADDRESSES: flag.optional(),
});

/** The webhook endpoint policy for the mode (config/mode.ts): production mode accepts https endpoints only. */
export function webhookPolicyFrom(
  env: z.output<typeof notificationsEnv>,
  mode: 'development' | 'production',
): { httpsOnly: boolean; blockPrivateAddresses: boolean } {
  const production = mode === 'production';
  return { httpsOnly: production, blockPrivateAddresses: env.WEBHOOK_BLOCK_PRIVATE_ADDRESSES ?? production };
}

/** Every variable any Poolflow process reads, for documentation and the compose-file check. */
export const ALL_ENV_FIELDS = databaseEnv
  .extend(redisEnv.shape)
  .extend(temporalEnv.shape)
  .extend(stripeEnv.shape)
  .extend(stripeRateLimitEnv.shape)
  .extend(authEnvFields.shape)
  .extend(simulationEnv.shape)
  .extend(httpEnv.shape)
  .extend(fairUseEnv.shape)
  .extend(modeEnv.shape)
  .extend(payloadEncryptionEnvFields.shape)
  .extend(codecServerEnv.partial().shape)
  .extend(metricsEnv.shape)
  .extend(tracingEnv.shape)
  .extend(notificationsEnv.shape);

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
