// Which secrets each mode accepts: the local stack's well-known ones only in development, a live Stripe
// key never with a local-development secret; and where the API listens in each mode.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authEnv, parseEnv, stripeEnv } from './env';
import { apiHost, modeEnv, secretProblems } from './mode';

const defaults = () => ({ ...parseEnv(stripeEnv, {}), ...parseEnv(authEnv, {}) });
const real = { STRIPE_SECRET_KEY: 'sk_test_51realkey', STRIPE_WEBHOOK_SECRET: 'whsec_endpointsecret', JWT_SECRET: 'a-real-secret-of-at-least-32-characters!' };

describe('secrets and modes', () => {
  test('production is the default mode', () => {
    assert.equal(parseEnv(modeEnv, {}).POOLFLOW_MODE, 'production');
    assert.throws(() => parseEnv(modeEnv, { POOLFLOW_MODE: 'dev' }), /POOLFLOW_MODE: must be "development" or "production"/);
  });

  test('production refuses every default or missing secret, naming each', () => {
    const problems = secretProblems('production', defaults(), { jwt: true });
    assert.deepEqual(
      problems.map((p) => p.split(':')[0]),
      ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'JWT_SECRET'],
    );
    assert.deepEqual(secretProblems('production', {}, { jwt: true }).length, 3, 'missing counts as default');
    assert.deepEqual(
      secretProblems('production', { ...real, STRIPE_WEBHOOK_SECRET: 'whsec_local_3f9a' }, { jwt: true }).map((p) => p.split(':')[0]),
      ['STRIPE_WEBHOOK_SECRET'],
      "a checkout's own local secret is still local",
    );
  });

  test('production accepts real secrets, or a JWKS instead of a JWT secret; the worker has no JWT settings', () => {
    assert.deepEqual(secretProblems('production', real, { jwt: true }), []);
    assert.deepEqual(secretProblems('production', { ...real, JWT_SECRET: undefined, JWT_JWKS_URL: 'https://issuer.example/jwks.json' }, { jwt: true }), []);
    assert.deepEqual(
      secretProblems('production', { STRIPE_SECRET_KEY: real.STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET: real.STRIPE_WEBHOOK_SECRET }, { jwt: false }),
      [],
    );
  });

  test('development accepts the local defaults', () => {
    assert.deepEqual(secretProblems('development', defaults(), { jwt: true }), []);
  });

  test('a live key with a local-development secret is refused in every mode', () => {
    for (const mode of ['development', 'production'] as const) {
      const problems = secretProblems(mode, { ...defaults(), STRIPE_SECRET_KEY: 'sk_live_51abc' }, { jwt: true });
      assert.ok(
        problems.some((p) => p.startsWith('STRIPE_WEBHOOK_SECRET: a live Stripe key')),
        `${mode}: ${problems.join('; ')}`,
      );
      assert.ok(
        problems.some((p) => p.startsWith('JWT_SECRET: a live Stripe key')),
        `${mode}: ${problems.join('; ')}`,
      );
    }
    assert.deepEqual(secretProblems('production', { ...real, STRIPE_SECRET_KEY: 'rk_live_51abc' }, { jwt: true }), []);
  });

  test('the API binds to the loopback interface in development unless told otherwise', () => {
    assert.equal(apiHost(parseEnv(modeEnv, { POOLFLOW_MODE: 'development' })), '127.0.0.1');
    assert.equal(apiHost(parseEnv(modeEnv, { POOLFLOW_MODE: 'development', API_HOST: '0.0.0.0' })), '0.0.0.0');
    assert.equal(apiHost(parseEnv(modeEnv, {})), '0.0.0.0');
  });
});
