// The payload codec on its own: round trips, key rotation (old payloads stay readable, new ones use
// the current key), tampering and relabelling refused, failures' messages encrypted, configuration checked.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { encodeErrorToFailure, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { parseEnv, payloadEncryptionEnv } from '../config/env';
import { poolflowDataConverter } from './data-converter';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, parseKeyring, UnknownPayloadKeyError } from './payload-codec';

const key = () => randomBytes(32).toString('base64');
const secret = { memberId: 'm-secret-7', amountMinor: '123456', seed: 'seed-abc-123' };
const plain = (): Payload[] => [defaultPayloadConverter.toPayload(secret)];
const text = (payloads: Payload[]) => payloads.map((p) => Buffer.from(p.data ?? []).toString('latin1') + JSON.stringify(p.metadata)).join();
const keyIdOf = (payload: Payload) => Buffer.from(payload.metadata![KEY_ID_METADATA]!).toString();

describe('AES-256-GCM payload codec', () => {
  const oldKey = key();
  const newKey = key();
  const before = new AesGcmPayloadCodec(parseKeyring(`k2025:${oldKey}`));
  const rotated = new AesGcmPayloadCodec(parseKeyring(`k2026:${newKey},k2025:${oldKey}`, 'k2026'));

  test('encrypts: nothing of the value is readable, and it decodes back to the same payload', async () => {
    const encoded = await before.encode(plain());
    assert.equal(Buffer.from(encoded[0]!.metadata!.encoding!).toString(), ENCRYPTED_ENCODING);
    for (const value of Object.values(secret)) assert.ok(!text(encoded).includes(value), `${value} is not in the encoded payload`);
    assert.deepEqual(defaultPayloadConverter.fromPayload((await before.decode(encoded))[0]!), secret);
  });

  test('the same value encrypts differently each time (a fresh IV per payload)', async () => {
    const [a] = await before.encode(plain());
    const [b] = await before.encode(plain());
    assert.notDeepEqual(Buffer.from(a!.data!), Buffer.from(b!.data!));
  });

  test('after rotation, new payloads use the current key and old ones still decode', async () => {
    const old = await before.encode(plain());
    const fresh = await rotated.encode(plain());
    assert.equal(keyIdOf(old[0]!), 'k2025');
    assert.equal(keyIdOf(fresh[0]!), 'k2026');
    assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode(old))[0]!), secret);
    assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode(fresh))[0]!), secret);
  });

  test('a payload under a retired key fails naming the key', async () => {
    const retired = new AesGcmPayloadCodec(parseKeyring(`k2026:${newKey}`));
    await assert.rejects(
      retired.decode(await before.encode(plain())),
      (error: unknown) => error instanceof UnknownPayloadKeyError && /"k2025"/.test(error.message),
    );
  });

  test('a tampered payload, or one relabelled to another key, is refused', async () => {
    const [payload] = await rotated.encode(plain());
    const flipped = Buffer.from(payload!.data!);
    flipped[flipped.length - 20]! ^= 1;
    await assert.rejects(rotated.decode([{ ...payload!, data: flipped }]), /unable to authenticate|Unsupported state/);
    const relabelled = { ...payload!, metadata: { ...payload!.metadata, [KEY_ID_METADATA]: Buffer.from('k2025') } };
    await assert.rejects(rotated.decode([relabelled]), /unable to authenticate|Unsupported state/);
  });

  test('payloads written before encryption (recorded histories) pass through decoding unchanged', async () => {
    assert.deepEqual(await rotated.decode(plain()), plain());
  });

  test("a failure's message and stack trace are encrypted with its details", async () => {
    const converter = loadDataConverter(poolflowDataConverter({ keyring: parseKeyring(`k2026:${newKey}`) }));
    const failure = await encodeErrorToFailure(
      converter,
      ApplicationFailure.create({ message: `member ${secret.memberId} declined`, details: [secret.amountMinor] }),
    );
    const stored = JSON.stringify(failure, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
    assert.ok(!stored.includes(secret.memberId), 'the message is not stored in plain text');
    assert.ok(!stored.includes(secret.amountMinor), 'the details are not stored in plain text');
    assert.equal(failure.message, 'Encoded failure');
  });
});

describe('payload key configuration', () => {
  test('production needs keys; development alone falls back to the development key', () => {
    assert.throws(() => parseEnv(payloadEncryptionEnv, {}), /PAYLOAD_ENCRYPTION_KEYS: is required outside development/);
    assert.equal(parseEnv(payloadEncryptionEnv, { POOLFLOW_MODE: 'development' }).PAYLOAD_ENCRYPTION_KEYS, undefined);
  });

  test('names a malformed key list, a short key, duplicate ids and an unknown current key', () => {
    assert.throws(() => parseEnv(payloadEncryptionEnv, { PAYLOAD_ENCRYPTION_KEYS: 'k1' }), /PAYLOAD_ENCRYPTION_KEYS: must be up to 16 distinct id:key pairs/);
    assert.throws(() => parseEnv(payloadEncryptionEnv, { PAYLOAD_ENCRYPTION_KEYS: `k1:${Buffer.alloc(16).toString('base64')}` }), /PAYLOAD_ENCRYPTION_KEYS/);
    assert.throws(() => parseEnv(payloadEncryptionEnv, { PAYLOAD_ENCRYPTION_KEYS: `k1:${key()},k1:${key()}` }), /PAYLOAD_ENCRYPTION_KEYS/);
    assert.throws(
      () => parseEnv(payloadEncryptionEnv, { PAYLOAD_ENCRYPTION_KEYS: `k1:${key()}`, PAYLOAD_ENCRYPTION_KEY_ID: 'k9' }),
      /PAYLOAD_ENCRYPTION_KEY_ID: must be one of the ids in PAYLOAD_ENCRYPTION_KEYS \(k1\)/,
    );
    const env = parseEnv(payloadEncryptionEnv, { PAYLOAD_ENCRYPTION_KEYS: `k1:${key()},k2:${key()}`, PAYLOAD_ENCRYPTION_KEY_ID: 'k2' });
    assert.equal(parseKeyring(env.PAYLOAD_ENCRYPTION_KEYS!, env.PAYLOAD_ENCRYPTION_KEY_ID).currentKeyId, 'k2');
  });
});
