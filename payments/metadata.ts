// The metadata Poolflow writes on every PaymentIntent, transfer and refund it creates: the business key
// in readable fields plus the idempotency key itself. Webhook routing, crash recovery (search by metadata)
// and reconciliation all read it back through parseMovementMetadata.
import { type MoneyMovementKey, type MoneyMovementKind, moneyMovementKey } from '../domain/core/idempotency-keys';

export interface MovementMetadata extends MoneyMovementKey {
  kind: MoneyMovementKind;
  idempotencyKey: string;
}

export function movementMetadata(kind: MoneyMovementKind, key: MoneyMovementKey): Record<string, string> {
  return {
    poolflow_kind: kind,
    pool_id: key.poolId,
    round: String(key.round),
    member_id: key.memberId,
    purpose: key.purpose,
    idempotency_key: moneyMovementKey(kind, key),
  };
}

const KINDS: readonly MoneyMovementKind[] = ['contribution', 'payout', 'refund'];

/**
 * The business key in a Stripe object's metadata, or null when the object is not one Poolflow created
 * (or its metadata is incomplete or inconsistent, which we never write).
 */
export function parseMovementMetadata(metadata: Record<string, string> | null | undefined): MovementMetadata | null {
  if (!metadata) return null;
  const kind = metadata.poolflow_kind as MoneyMovementKind | undefined;
  if (!kind || !KINDS.includes(kind)) return null;
  if (!/^\d{1,15}$/.test(metadata.round ?? '')) return null;
  const round = Number(metadata.round);
  const key = { poolId: metadata.pool_id ?? '', round, memberId: metadata.member_id ?? '', purpose: metadata.purpose ?? '' };
  try {
    const idempotencyKey = moneyMovementKey(kind, key);
    return idempotencyKey === metadata.idempotency_key ? { kind, ...key, idempotencyKey } : null;
  } catch {
    return null;
  }
}

/** A Stripe search query matching objects whose metadata carries exactly this idempotency key. */
export function idempotencyKeySearchQuery(idempotencyKey: string): string {
  // Keys are built from [A-Za-z0-9_:-] only, so no quoting or escaping is needed inside '…'.
  return `metadata['idempotency_key']:'${idempotencyKey}'`;
}
