// Signatures of outgoing webhooks: HMAC-SHA256 over "{id}.{timestamp}.{body}" with the endpoint's
// secret, sent as `Poolflow-Signature: v1=<hex>` (one entry per secret while a rotation overlaps).
// Receivers check it with verifyWebhook (the README shows the same check as a standalone snippet).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'poolflow-signature';
export const ID_HEADER = 'poolflow-webhook-id';
export const TIMESTAMP_HEADER = 'poolflow-webhook-timestamp';
/** Receivers refuse a delivery whose timestamp is further than this from their clock (replays). */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

/** A new endpoint secret: 32 random bytes, prefixed so it is recognisable in a secrets store. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function signature(secret: string, id: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${id}.${timestampSeconds}.${body}`).digest('hex');
}

/** The headers of one delivery attempt, signed with every secret given (current first). */
export function signedHeaders(secrets: string[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    [ID_HEADER]: id,
    [TIMESTAMP_HEADER]: String(timestampSeconds),
    [SIGNATURE_HEADER]: secrets.map((secret) => `v1=${signature(secret, id, timestampSeconds, body)}`).join(' '),
  };
}

/** A receiver's check: a signature made with `secret` over this body, within the timestamp tolerance. */
export function verifyWebhook(secret: string, headers: Record<string, string | undefined>, body: string, nowSeconds: number): boolean {
  const id = headers[ID_HEADER];
  const timestamp = Number(headers[TIMESTAMP_HEADER]);
  const given = headers[SIGNATURE_HEADER];
  if (!id || !given || !Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > TIMESTAMP_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(signature(secret, id, timestamp, body), 'hex');
  return given.split(' ').some((entry) => {
    const candidate = Buffer.from(entry.replace(/^v1=/, ''), 'hex');
    return candidate.length === expected.length && timingSafeEqual(candidate, expected);
  });
}
