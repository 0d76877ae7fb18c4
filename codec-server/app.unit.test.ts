// The codec server's contract: only the ops token gets payloads decoded (bearer or path segment),
// browsers only from the Web UI's origin, and what it decodes is what the shared codec encoded.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { AesGcmPayloadCodec, parseKeyring } from '../temporal-config/payload-codec';
import { createCodecServer } from './app';

const token = randomBytes(24).toString('hex');
const UI = 'http://localhost:8233';
const codec = new AesGcmPayloadCodec(parseKeyring(`k1:${randomBytes(32).toString('base64')}`));
const app = createCodecServer({ codec, token, allowedOrigins: [UI] });
const Payloads = proto.temporal.api.common.v1.Payloads;

async function encryptedBody(value: unknown) {
  const encoded = await codec.encode([defaultPayloadConverter.toPayload(value)]);
  return JSON.stringify(Payloads.toObject(Payloads.create({ payloads: encoded }), { bytes: String }));
}
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  app.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

describe('codec server', () => {
  test('refuses a request without a token, or with a wrong one, and decodes nothing', async () => {
    const body = await encryptedBody({ memberId: 'm-1' });
    for (const response of [
      await post('/decode', body),
      await post('/decode', body, { authorization: 'Bearer wrong' }),
      await post('/ops/wrong-token/decode', body),
    ]) {
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      assert.ok(!(await response.text()).includes('m-1'));
    }
  });

  test('decodes for the ops token, as a bearer token or in the path, and encodes back', async () => {
    const body = await encryptedBody({ memberId: 'm-1', amountMinor: '2500' });
    for (const response of [await post('/decode', body, { authorization: `Bearer ${token}` }), await post(`/ops/${token}/decode`, body)]) {
      assert.equal(response.status, 200);
      const { payloads } = Payloads.fromObject((await response.json()) as Record<string, unknown>);
      assert.deepEqual(defaultPayloadConverter.fromPayload(payloads[0]!), { memberId: 'm-1', amountMinor: '2500' });
    }
    const plain = JSON.stringify(Payloads.toObject(Payloads.create({ payloads: [defaultPayloadConverter.toPayload('hello')] }), { bytes: String }));
    const encoded = await post('/encode', plain, { authorization: `Bearer ${token}` });
    assert.equal(encoded.status, 200);
    const [payload] = Payloads.fromObject((await encoded.json()) as Record<string, unknown>).payloads;
    assert.equal(Buffer.from(payload!.metadata!.encoding!).toString(), 'binary/encrypted');
    assert.equal(defaultPayloadConverter.fromPayload((await codec.decode([payload!]))[0]!), 'hello');
  });

  test("answers the Web UI's preflight for its origin only, and refuses other origins", async () => {
    const preflight = await app.request('/decode', { method: 'OPTIONS', headers: { origin: UI, 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), UI);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);
    const foreign = await post(`/ops/${token}/decode`, await encryptedBody('x'), { origin: 'https://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    const fromUi = await post(`/ops/${token}/decode`, await encryptedBody('x'), { origin: UI });
    assert.equal(fromUi.headers.get('access-control-allow-origin'), UI);
  });

  test('malformed bodies and foreign keys are clear 4xx answers', async () => {
    const auth = { authorization: `Bearer ${token}` };
    assert.equal((await post('/decode', 'not json', auth)).status, 400);
    assert.equal((await post('/decode', JSON.stringify({ payloads: 'nope' }), auth)).status, 400);
    const other = new AesGcmPayloadCodec(parseKeyring(`k9:${randomBytes(32).toString('base64')}`));
    const foreign = JSON.stringify(
      Payloads.toObject(Payloads.create({ payloads: await other.encode([defaultPayloadConverter.toPayload(1)]) }), { bytes: String }),
    );
    const response = await post('/decode', foreign, auth);
    assert.equal(response.status, 422);
    assert.match(await response.text(), /key \\"k9\\"/);
  });
});
