// The sandbox's environment: dev-stack defaults, comma-separated webhook URLs, and bad values refused
// with a message naming the variable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EnvError, parseEnv } from '../../config/env';
import { sandboxEnv } from './config';

test('defaults point at the dev stack and agree with the app on the webhook secret', () => {
  const env = parseEnv(sandboxEnv, {});
  assert.equal(env.SANDBOX_PORT, 12113);
  assert.equal(env.STRIPE_MOCK_URL, 'http://127.0.0.1:12111');
  assert.equal(env.STRIPE_WEBHOOK_SECRET, 'whsec_local_development_only');
  assert.deepEqual(env.SANDBOX_WEBHOOK_URLS, []);
  assert.equal(env.SANDBOX_SETTLEMENT_DELAY_MS, 2_000);
});

test('SANDBOX_WEBHOOK_URLS is a comma-separated list of http(s) URLs', () => {
  const env = parseEnv(sandboxEnv, {
    SANDBOX_WEBHOOK_URLS: 'http://127.0.0.1:3000/v1/webhooks/stripe, https://example.test/hook',
    SANDBOX_PORT: '0',
  });
  assert.deepEqual(env.SANDBOX_WEBHOOK_URLS, ['http://127.0.0.1:3000/v1/webhooks/stripe', 'https://example.test/hook']);
  assert.equal(env.SANDBOX_PORT, 0);
});

test('bad values fail naming the variable', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ SANDBOX_PORT: '70000' }, /SANDBOX_PORT/],
    [{ STRIPE_MOCK_URL: 'localhost:12111' }, /STRIPE_MOCK_URL/],
    [{ STRIPE_WEBHOOK_SECRET: 'secret' }, /STRIPE_WEBHOOK_SECRET: must start with whsec_/],
    [{ SANDBOX_WEBHOOK_URLS: 'http://ok.test/a,ftp://bad.test/b' }, /SANDBOX_WEBHOOK_URLS\.1/],
    [{ SANDBOX_SETTLEMENT_DELAY_MS: '-1' }, /SANDBOX_SETTLEMENT_DELAY_MS/],
  ];
  for (const [source, message] of cases) {
    assert.throws(
      () => parseEnv(sandboxEnv, source),
      (error: unknown) => error instanceof EnvError && message.test(error.message),
      JSON.stringify(source),
    );
  }
});
