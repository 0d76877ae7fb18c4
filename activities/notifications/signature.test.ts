// Webhook signatures: what Poolflow sends verifies with the README's receiver snippet (checked to be in
// the README verbatim), a rotation signs with both secrets, and tampering, stale timestamps and repeats
// are caught.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { checkPoolflowWebhook } from '../../test/support/receiver-snippet';
import { newWebhookSecret, signedHeaders, verifyWebhook } from './signature';

const now = () => Math.floor(Date.now() / 1000);

describe('webhook signatures', () => {
  test('the README shows the receiver snippet the tests use, verbatim', async () => {
    const snippet = await readFile(new URL('../../test/support/receiver-snippet.ts', import.meta.url), 'utf8');
    const code = snippet.slice(
      snippet.indexOf('// --- README snippet start ---\n') + '// --- README snippet start ---\n'.length,
      snippet.indexOf('// --- README snippet end ---'),
    );
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    assert.ok(code.length > 200);
    assert.ok(readme.includes('```ts\n' + code + '```'), 'README.md shows test/support/receiver-snippet.ts');
  });

  test('signed deliveries verify once; tampered, stale or foreign ones do not', () => {
    const secret = newWebhookSecret();
    const id = `pool.paused:p-${now()}:v3`;
    const body = JSON.stringify({ id, type: 'pool.paused' });
    const headers = signedHeaders([secret], id, now(), body);
    assert.equal(verifyWebhook(secret, headers, body, now()), true);
    assert.equal(checkPoolflowWebhook(secret, headers, body), 'new');
    assert.equal(checkPoolflowWebhook(secret, headers, body), 'repeat');
    assert.equal(checkPoolflowWebhook(secret, headers, body.replace('paused', 'resumed')), null, 'tampered body');
    assert.equal(checkPoolflowWebhook(newWebhookSecret(), signedHeaders([secret], `${id}x`, now(), body), body), null, 'another secret');
    const stale = signedHeaders([secret], `${id}-stale`, now() - 301, body);
    assert.equal(checkPoolflowWebhook(secret, stale, body), null, 'a replay of an old delivery');
    assert.equal(verifyWebhook(secret, stale, body, now()), false);
  });

  test('during a rotation either secret verifies', () => {
    const [previous, current] = [newWebhookSecret(), newWebhookSecret()];
    const body = '{"id":"x"}';
    const headers = signedHeaders([current, previous], `rotation-${now()}`, now(), body);
    assert.match(headers['poolflow-signature']!, /^v1=[0-9a-f]{64} v1=[0-9a-f]{64}$/);
    assert.equal(verifyWebhook(current, headers, body, now()), true);
    assert.equal(verifyWebhook(previous, headers, body, now()), true);
    assert.equal(verifyWebhook(newWebhookSecret(), headers, body, now()), false);
  });
});
