// The catalogue of notices Poolflow sends: each type with its audience, whether a member may mute it,
// and whether a manager may subscribe a webhook to it. Pure data shared by the workflow, the activities
// that deliver, the templates and the API that validates preferences and webhook subscriptions.

export const NOTICE_TYPES = [
  'contribution.due_soon',
  'payment.succeeded',
  'payment.failed',
  'late_fee.applied',
  'member.suspended',
  'member.restored',
  'member.expelled',
  'payout.sent',
  'bid_window.opened',
  'bid.result',
  'pool.activated',
  'pool.paused',
  'pool.resumed',
  'pool.completed',
  'pool.cancelled',
  'refund.issued',
  'manager.digest',
] as const;
export type NoticeType = (typeof NOTICE_TYPES)[number];

export function isNoticeType(value: string): value is NoticeType {
  return (NOTICE_TYPES as readonly string[]).includes(value);
}

/**
 * A reminder is the only kind of notice a member may mute: failed payments, fees and standing changes
 * carry legal weight (the member must be told before consequences follow), so they are always sent.
 */
export function isMutable(type: NoticeType): boolean {
  return type === 'contribution.due_soon';
}

/** The manager's daily digest is theirs alone; everything else about a pool may go to their systems. */
export function isWebhookEventType(type: NoticeType): boolean {
  return type !== 'manager.digest';
}

export type RecipientRole = 'member' | 'manager';

export interface Recipient {
  role: RecipientRole;
  id: string;
}

/**
 * One notice: a business event with the people it is for. `key` is built from business identifiers
 * only (pool, round, member, purpose or due time), so the same event derived twice has the same key,
 * and each delivery is keyed by (key, channel, recipient) under a unique constraint.
 */
export interface Notice {
  key: string;
  type: NoticeType;
  poolId: string;
  /** The pool's manager: their webhook endpoints receive every notice of the pool they subscribed to. */
  managerId: string;
  /** When the event happened, in workflow time (ISO 8601). */
  occurredAt: string;
  recipients: Recipient[];
  /** What the templates need; amounts are minor-unit decimal strings with their `currency`. */
  data: Record<string, string | number | boolean | null | string[]>;
}

export const LANGUAGES = ['en', 'es'] as const;
export type Language = (typeof LANGUAGES)[number];
