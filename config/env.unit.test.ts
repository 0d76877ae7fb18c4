// Environment parsing: defaults for the local stack, and errors that name every bad variable.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authEnv, databaseEnv, EnvError, parseEnv, redisEnv, stripeEnv, temporalEnv } from './env';

describe('parseEnv', () => {
  test('defaults point at the local stack', () => {
    const env = parseEnv(databaseEnv.extend(redisEnv.shape).extend(temporalEnv.shape).extend(stripeEnv.shape), {});
    assert.equal(env.DATABASE_URL, 'postgres://poolflow@127.0.0.1:54320/poolflow');
    assert.equal(env.REDIS_URL, 'redis://127.0.0.1:63790/0');
    assert.equal(env.TEMPORAL_ADDRESS, '127.0.0.1:7233');
    assert.equal(env.STRIPE_API_URL, undefined);
  });

  test('names each bad variable', () => {
    const schema = databaseEnv.extend(temporalEnv.shape).extend(stripeEnv.shape);
    assert.throws(
      () => parseEnv(schema, { DATABASE_URL: 'mysql://x', TEMPORAL_ADDRESS: 'no-port', STRIPE_SECRET_KEY: 'pk_test_1' }),
      (error: unknown) =>
        error instanceof EnvError &&
        /DATABASE_URL: must be a URL starting with postgres:/.test(error.message) &&
        /TEMPORAL_ADDRESS: must be host:port/.test(error.message) &&
        /STRIPE_SECRET_KEY: must be a Stripe secret key/.test(error.message),
    );
  });

  test('treats empty values as unset', () => {
    assert.equal(parseEnv(temporalEnv, { TEMPORAL_ADDRESS: '' }).TEMPORAL_ADDRESS, '127.0.0.1:7233');
  });

  test('auth falls back to a local secret only when neither a secret nor a JWKS is given', () => {
    assert.ok(parseEnv(authEnv, {}).JWT_SECRET);
    const jwks = parseEnv(authEnv, { JWT_JWKS_URL: 'https://issuer.example/.well-known/jwks.json' });
    assert.equal(jwks.JWT_SECRET, undefined);
    assert.throws(() => parseEnv(authEnv, { JWT_SECRET: 'short' }), /JWT_SECRET: must be at least 32 characters/);
  });
});
