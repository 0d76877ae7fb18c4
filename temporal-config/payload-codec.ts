// AES-256-GCM payload codec: every payload leaving a Poolflow client or worker is encrypted before
// Temporal stores it, under a key named by its ID in the payload's metadata, so keys can be rotated
// (new payloads under the current key, older ones still readable while their key is configured).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER = 'aes-256-gcm';
const CIPHER_METADATA = 'encryption-cipher';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface PayloadKeyring {
  /** The key new payloads are encrypted under. */
  currentKeyId: string;
  /** Every key that may still have to decrypt a payload, the current one included. */
  keys: ReadonlyMap<string, Buffer>;
}

/** Raised when a payload names a key this process does not have (retired too early, or a foreign payload). */
export class UnknownPayloadKeyError extends ValueError {}

/**
 * Parses `id:base64,id:base64` (config/env.ts validates the format); the current key is `currentKeyId`,
 * or the first listed.
 */
export function parseKeyring(keys: string, currentKeyId?: string): PayloadKeyring {
  const entries = keys.split(',').map((entry) => {
    const [id, key] = entry.split(':') as [string, string];
    const bytes = Buffer.from(key, 'base64');
    if (bytes.length !== KEY_BYTES) throw new RangeError(`payload key ${id} must be ${KEY_BYTES} bytes`);
    return [id, bytes] as const;
  });
  const current = currentKeyId ?? entries[0]![0];
  if (!entries.some(([id]) => id === current)) throw new RangeError(`the current payload key ${current} is not among the configured keys`);
  return { currentKeyId: current, keys: new Map(entries) };
}

/** The fixed key of `POOLFLOW_MODE=development`: public by construction, so never protecting anything real. */
export function developmentKeyring(): PayloadKeyring {
  const key = createHash('sha256').update('poolflow development payload key: public, never for real data').digest();
  return { currentKeyId: 'development', keys: new Map([['development', key]]) };
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keyring: PayloadKeyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keyring.currentKeyId;
    const key = this.keyring.keys.get(keyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
      // The key ID is authenticated too, so a payload cannot be relabelled to another key.
      cipher.setAAD(Buffer.from(keyId));
      const plaintext = proto.temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: Buffer.from(keyId),
          [CIPHER_METADATA]: Buffer.from('AES-256-GCM'),
        },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Payloads written before encryption was switched on (and the recorded test histories) stay readable.
      if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
      const key = this.keyring.keys.get(keyId);
      if (!key) throw new UnknownPayloadKeyError(`payload is encrypted under key "${keyId}", which is not configured (PAYLOAD_ENCRYPTION_KEYS)`);
      const sealed = Buffer.from(payload.data ?? new Uint8Array());
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload is truncated');
      const decipher = createDecipheriv(CIPHER, key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const plaintext = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      return proto.temporal.api.common.v1.Payload.decode(plaintext) as Payload;
    });
  }
}

const text = (bytes: Uint8Array | null | undefined): string => (bytes ? Buffer.from(bytes).toString('utf8') : '');
