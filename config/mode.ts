// Development or production. The local stack's well-known secrets (a fixed JWT secret, a webhook secret
// anyone can read in this repository, a fake Stripe key) are accepted only in an explicit development
// mode; outside it a process refuses to start without real ones. A live Stripe key is never paired with
// a local-development secret, in any mode.
import { z } from 'zod';

export const MODES = ['development', 'production'] as const;
export type Mode = (typeof MODES)[number];

/** Production unless told otherwise: forgetting to configure a deployment must not make it insecure. */
export const modeEnv = z.object({
  POOLFLOW_MODE: z.enum(MODES, 'must be "development" or "production"').default('production'),
  /** The API's listening address; development binds to the loopback interface only. */
  API_HOST: z
    .string()
    .regex(/^[\w.:-]{1,253}$/, 'must be a host name or an IP address')
    .optional(),
});

/** The Stripe key the local stack uses when none is given. */
export const DEV_STRIPE_SECRET_KEY = 'sk_test_local';
/** Local-development webhook secrets: the default and the per-checkout ones scripts/lib.sh makes. */
export const DEV_WEBHOOK_SECRET_PREFIX = 'whsec_local_';
/** Local-development JWT secrets start so; `npm run token` mints with them. */
export const DEV_JWT_SECRET_PREFIX = 'poolflow-local-';

export interface SecretSettings {
  STRIPE_SECRET_KEY?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  JWT_SECRET?: string;
  JWT_JWKS_URL?: string;
}

const isLiveKey = (key: string | undefined) => /^(sk|rk)_live_/.test(key ?? '');
const isDevWebhookSecret = (secret: string | undefined) => secret === undefined || secret.startsWith(DEV_WEBHOOK_SECRET_PREFIX);
const isDevJwtSecret = (secret: string | undefined) => secret !== undefined && secret.startsWith(DEV_JWT_SECRET_PREFIX);

/**
 * What is wrong with these secrets in this mode, one line per variable; empty when the process may
 * start. Only the variables a process reads are passed (the worker has no JWT settings).
 */
export function secretProblems(mode: Mode, env: SecretSettings, reads: { jwt: boolean }): string[] {
  const problems: string[] = [];
  const devMode = 'POOLFLOW_MODE=development is for a local stack only';
  if (isLiveKey(env.STRIPE_SECRET_KEY)) {
    if (isDevWebhookSecret(env.STRIPE_WEBHOOK_SECRET))
      problems.push(`STRIPE_WEBHOOK_SECRET: a live Stripe key needs the live endpoint's own signing secret, not a local-development one`);
    if (reads.jwt && isDevJwtSecret(env.JWT_SECRET))
      problems.push('JWT_SECRET: a live Stripe key needs a real JWT secret (or JWT_JWKS_URL), not the local-development one');
  }
  if (mode === 'development') return problems;
  if (!env.STRIPE_SECRET_KEY || env.STRIPE_SECRET_KEY === DEV_STRIPE_SECRET_KEY)
    problems.push(`STRIPE_SECRET_KEY: missing or the local-development default; set the account's key (${devMode})`);
  if (isDevWebhookSecret(env.STRIPE_WEBHOOK_SECRET) && !isLiveKey(env.STRIPE_SECRET_KEY)) {
    problems.push(`STRIPE_WEBHOOK_SECRET: missing or a local-development secret; set the endpoint's signing secret (${devMode})`);
  }
  if (reads.jwt && !env.JWT_JWKS_URL && (!env.JWT_SECRET || isDevJwtSecret(env.JWT_SECRET))) {
    problems.push(`JWT_SECRET: missing or the local-development default; set a secret of 32+ characters or JWT_JWKS_URL (${devMode})`);
  }
  return problems;
}

/** Where the API listens: API_HOST when given, else the loopback interface in development and every interface in production. */
export function apiHost(env: z.output<typeof modeEnv>): string {
  return env.API_HOST ?? (env.POOLFLOW_MODE === 'development' ? '127.0.0.1' : '0.0.0.0');
}

/** For process entry points: print every problem and exit with status 78 (EX_CONFIG) when there are any. */
export function refuseUnsafeSecrets(mode: Mode, env: SecretSettings, reads: { jwt: boolean }): void {
  const problems = secretProblems(mode, env, reads);
  if (problems.length === 0) return;
  console.error(`refusing to start in ${mode} mode:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(78);
}
