// Bearer-token authentication: JWTs verified with jose against HS256 (JWT_SECRET, local) or a JWKS
// (production), with an algorithm allow-list and required iss, aud, exp, sub and role. Every failure is
// the same 401, so a caller learns nothing about why a token was refused beyond what it sent.
import type { MiddlewareHandler } from 'hono';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import type { authEnv } from '../config/env';
import type { AppEnv } from './context';
import { ProblemError } from './problem';

export const ROLES = ['manager', 'member', 'ops', 'trader'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  sub: string;
  role: Role;
}

const claimsSchema = z.object({
  sub: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'sub must be 1-64 letters, digits, "_" or "-"'),
  role: z.enum(ROLES),
});

/** Asymmetric algorithms a JWKS may use; HS256 is accepted only with the shared secret. */
const JWKS_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
/** Tokens must not be issued for longer than this (a leaked token stays useful only so long). */
export const TOKEN_LIFETIME_SECONDS_MAX = 24 * 3_600;

/** Verified tokens remembered per authenticator, so a client's next requests skip the signature check. */
export const VERIFIED_TOKENS_MAX = 10_000;
/** A verification is reused this long at most, well inside a token's life, so a key rotated out of a JWKS is noticed soon. */
export const VERIFIED_TOKEN_REUSE_MS = 60_000;

export type AuthConfig = z.output<typeof authEnv>;

export interface Authenticator {
  /** The caller of a bearer token, verified (or its verification remembered); a 401 problem otherwise. */
  (authorization: string | undefined): Promise<Principal>;
  /** The caller of a token whose verification is remembered and still good, without verifying anything; else undefined. */
  known(authorization: string | undefined): Principal | undefined;
}

/** Thrown (as a 401 problem) when a request has no valid bearer token. */
const unauthorized = () => new ProblemError(401, 'Unauthorized', 'a valid bearer token is required');

export function createAuthenticator(config: AuthConfig): Authenticator {
  // Imported once: given the raw bytes, jose would import the key again for every request it verifies.
  const secret = config.JWT_SECRET
    ? crypto.subtle.importKey('raw', new TextEncoder().encode(config.JWT_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
    : undefined;
  const jwks: JWTVerifyGetKey | undefined = config.JWT_JWKS_URL ? createRemoteJWKSet(new URL(config.JWT_JWKS_URL)) : undefined;
  const verified = new Map<string, { principal: Principal; untilMs: number }>();
  const tokenOf = (authorization: string | undefined) => /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization ?? '')?.[1];
  const remembered = (token: string) => {
    const known = verified.get(token);
    return known && Date.now() < known.untilMs ? known.principal : undefined;
  };
  const authenticate = async (authorization: string | undefined): Promise<Principal> => {
    const token = tokenOf(authorization);
    if (!token) throw unauthorized();
    const known = remembered(token);
    if (known) return known;
    verified.delete(token);
    const options = {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      requiredClaims: ['exp', 'sub', 'iat'],
      maxTokenAge: TOKEN_LIFETIME_SECONDS_MAX,
    };
    try {
      const { payload } = jwks
        ? await jwtVerify(token, jwks, { ...options, algorithms: JWKS_ALGORITHMS })
        : await jwtVerify(token, await secret!, { ...options, algorithms: ['HS256'] });
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) throw unauthorized();
      // Reused until the token expires or grows too old, whichever comes first, and briefly at most.
      const untilMs = Math.min(payload.exp! * 1000, (payload.iat! + TOKEN_LIFETIME_SECONDS_MAX) * 1000, Date.now() + VERIFIED_TOKEN_REUSE_MS);
      if (verified.size >= VERIFIED_TOKENS_MAX) verified.delete(verified.keys().next().value!);
      const principal = Object.freeze(claims.data);
      verified.set(token, { principal, untilMs });
      return principal;
    } catch {
      throw unauthorized();
    }
  };
  return Object.assign(authenticate, {
    known: (authorization: string | undefined) => {
      const token = tokenOf(authorization);
      return token === undefined ? undefined : remembered(token);
    },
  });
}

/** Hono middleware: authenticates the request and stores the principal as `principal`. */
export function requireAuth(authenticate: Authenticator): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('principal', await authenticate(c.req.header('authorization')));
    await next();
  };
}

/** Mints an HS256 token, for `npm run token` and for tests. */
export async function mintToken(input: {
  sub: string;
  role: Role;
  secret: string;
  issuer: string;
  audience: string;
  lifetimeSeconds?: number;
}): Promise<string> {
  const lifetime = Math.min(input.lifetimeSeconds ?? 3_600, TOKEN_LIFETIME_SECONDS_MAX);
  return new SignJWT({ role: input.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(input.sub)
    .setIssuer(input.issuer)
    .setAudience(input.audience)
    .setIssuedAt()
    .setExpirationTime(`${lifetime}s`)
    .sign(new TextEncoder().encode(input.secret));
}
