// Queries for stripe_refunds: one row per refund of a contribution, found by its business key (the
// idempotency key) or by Stripe's refund ID.
import { type MovementIdentity, type MovementStatus, movementTable } from './movement-table';

export interface RefundStatusFields extends MovementStatus {
  status: string;
  failureReason: string | null;
}

export interface RefundRow extends MovementIdentity, RefundStatusFields {
  refundId: string;
  paymentIntentId: string;
}

export const refundsTable = movementTable<RefundRow, RefundStatusFields>({
  name: 'stripe_refunds',
  idField: 'refundId',
  objectColumns: { refundId: 'refund_id', paymentIntentId: 'payment_intent_id' },
  ownStatusColumns: { status: 'status', failureReason: 'failure_reason' },
});
export const findRefundByKey = refundsTable.byKey;
export const listRefundsByPool = refundsTable.byPool;
