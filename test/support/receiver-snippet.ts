// The verification snippet the README gives webhook receivers, verbatim between the markers (a test
// checks the README still shows exactly this), used by the tests' own receiver.
// --- README snippet start ---
import { createHmac, timingSafeEqual } from 'node:crypto';

const seen = new Set<string>(); // use your database in production: ids must stay unique for 5 minutes at least

/** 'new' for an authentic, fresh, first delivery; 'repeat' for one already handled (answer it 2xx too); null to refuse. */
export function checkPoolflowWebhook(secret: string, headers: Record<string, string | undefined>, body: string): 'new' | 'repeat' | null {
  const id = headers['poolflow-webhook-id'];
  const timestamp = Number(headers['poolflow-webhook-timestamp']);
  const signatures = (headers['poolflow-signature'] ?? '').split(' ');
  if (!id || !Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return null; // stale: a replay
  const expected = createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest();
  const valid = signatures.some((s) => {
    const given = Buffer.from(s.replace(/^v1=/, ''), 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) return null; // forged, or signed with a secret you do not hold
  if (seen.has(id)) return 'repeat';
  seen.add(id);
  return 'new';
}
// --- README snippet end ---
