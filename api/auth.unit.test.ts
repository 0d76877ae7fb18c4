// Token verification: a well-formed token is accepted; anything else — expired, another issuer or
// audience, another key, an unexpected algorithm, missing or unknown claims — is the same 401.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { ProblemError } from './problem';
import { createAuthenticator, mintToken } from './auth';

const config = { JWT_SECRET: 'a-test-secret-that-is-long-enough-for-hs256', JWT_ISSUER: 'poolflow-test', JWT_AUDIENCE: 'poolflow-api' };
const authenticate = createAuthenticator(config);
const token = (overrides: Partial<Parameters<typeof mintToken>[0]> = {}) =>
  mintToken({ sub: 'alice', role: 'manager', secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ...overrides });

async function refused(header: string | undefined) {
  await assert.rejects(authenticate(header), (error: unknown) => error instanceof ProblemError && error.status === 401);
}

describe('createAuthenticator', () => {
  test('accepts a valid token and returns its subject and role', async () => {
    assert.deepEqual(await authenticate(`Bearer ${await token()}`), { sub: 'alice', role: 'manager' });
    assert.deepEqual(await authenticate(`Bearer ${await token({ sub: 'ops-1', role: 'ops' })}`), { sub: 'ops-1', role: 'ops' });
  });

  test('refuses missing and malformed headers', async () => {
    await refused(undefined);
    await refused('');
    await refused(`Basic ${Buffer.from('a:b').toString('base64')}`);
    await refused(`Bearer ${await token()} extra`);
  });

  test('refuses another issuer, audience or key', async () => {
    await refused(`Bearer ${await token({ issuer: 'someone-else' })}`);
    await refused(`Bearer ${await token({ audience: 'another-api' })}`);
    await refused(`Bearer ${await token({ secret: 'a-different-secret-that-is-long-enough-too' })}`);
  });

  test('refuses an expired token', async () => {
    const expired = await new SignJWT({ role: 'manager' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuer(config.JWT_ISSUER)
      .setAudience(config.JWT_AUDIENCE)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7_200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3_600)
      .sign(new TextEncoder().encode(config.JWT_SECRET));
    await refused(`Bearer ${expired}`);
  });

  test('refuses alg "none" and tokens without exp or with unknown roles', async () => {
    const unsecured = new UnsecuredJWT({ role: 'ops' })
      .setSubject('mallory')
      .setIssuer(config.JWT_ISSUER)
      .setAudience(config.JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .encode();
    await refused(`Bearer ${unsecured}`);
    const sign = (claims: Record<string, unknown>, withExp: boolean) => {
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setIssuer(config.JWT_ISSUER)
        .setAudience(config.JWT_AUDIENCE)
        .setIssuedAt();
      return (withExp ? jwt.setExpirationTime('1h') : jwt).sign(new TextEncoder().encode(config.JWT_SECRET));
    };
    await refused(`Bearer ${await sign({ role: 'manager' }, false)}`);
    await refused(`Bearer ${await sign({ role: 'admin' }, true)}`);
    await refused(`Bearer ${await sign({}, true)}`);
  });

  test('knows a caller without verifying only once their token was verified; never a refused or forged one', async () => {
    const fresh = createAuthenticator(config);
    const header = `Bearer ${await token({ sub: 'carol', role: 'ops' })}`;
    assert.equal(fresh.known(header), undefined, 'not before its signature was checked');
    await fresh(header);
    assert.deepEqual(fresh.known(header), { sub: 'carol', role: 'ops' });
    const forged = `Bearer ${await token({ sub: 'carol', role: 'ops', secret: 'a-different-secret-that-is-long-enough-too' })}`;
    await assert.rejects(fresh(forged));
    assert.equal(fresh.known(forged), undefined);
    assert.equal(fresh.known(undefined), undefined);
    assert.equal(fresh.known(`${header} extra`), undefined);
  });
});
