// Records what Stripe tells us about a PaymentIntent, transfer or refund — from an API response or a
// webhook event — under its business key, keeping the stored state monotone (payments/status-order.ts).
// Each function runs on a client inside the caller's SERIALIZABLE transaction, so the read, the
// decision and the write are one step even when an activity and a webhook race.
import type Stripe from 'stripe';
import {
  findPaymentIntentById,
  findPaymentIntentByKey,
  insertPaymentIntent,
  type PaymentIntentRow,
  type PaymentIntentStatusFields,
  updatePaymentIntentStatus,
} from '../db/payments/payment-intents';
import { findRefundById, findRefundByKey, insertRefund, type RefundRow, type RefundStatusFields, updateRefundStatus } from '../db/payments/refunds';
import { findTransferById, findTransferByKey, insertTransfer, type TransferRow, type TransferStatusFields, updateTransferStatus } from '../db/payments/transfers';
import type { Queryable } from '../db/pool';
import type { MovementMetadata } from './metadata';
import {
  decideUpdate,
  type Observation,
  paymentIntentOrder,
  paymentIntentState,
  refundOrder,
  type StatusSource,
  transferOrder,
  type UpdateVerdict,
} from './status-order';

/** Where an observation came from: Stripe's clock (unix seconds), the source, and the event if any. */
export interface ObservationSource {
  at: number;
  source: StatusSource;
  eventId: string | null;
}

/** `conflict`: the business key is bound to another Stripe object (or the object to another key). */
export type RecordVerdict = UpdateVerdict | 'conflict';

export interface Recorded<Row> {
  row: Row;
  verdict: RecordVerdict;
}

/** The ID of an expandable Stripe field (a string, or the expanded object). */
export function stripeId(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.id;
}

const PAYMENT_ERROR_STATUSES = new Set(['requires_payment_method', 'requires_action', 'canceled']);

export function paymentIntentFields(pi: Stripe.PaymentIntent, source: ObservationSource): PaymentIntentStatusFields {
  // A later successful attempt leaves the old error on the object; it only describes the state while
  // the PaymentIntent is still waiting for a payment method or action.
  const error = PAYMENT_ERROR_STATUSES.has(pi.status) ? pi.last_payment_error : null;
  return {
    status: pi.status,
    failureCode: error?.code ?? null,
    declineCode: error?.decline_code ?? null,
    failureMessage: error?.message ?? null,
    statusAt: source.at,
    statusSource: source.source,
    statusEventId: source.eventId,
  };
}

const paymentIntentObservation = (fields: PaymentIntentStatusFields): Observation => ({
  state: paymentIntentState(fields.status, fields.failureCode),
  at: fields.statusAt,
  source: fields.statusSource,
});

/** A confirmation keeps the later of the two times, so an API response is never moved back in time. */
function keepLaterTime<F extends { statusAt: number }>(verdict: UpdateVerdict, current: F, next: F): F {
  return verdict === 'confirmation' ? { ...next, statusAt: Math.max(current.statusAt, next.statusAt) } : next;
}

export async function recordPaymentIntent(
  client: Queryable,
  movement: MovementMetadata,
  pi: Stripe.PaymentIntent,
  source: ObservationSource,
): Promise<Recorded<PaymentIntentRow>> {
  const fields = paymentIntentFields(pi, source);
  const existing = (await findPaymentIntentById(client, pi.id)) ?? (await findPaymentIntentByKey(client, movement.idempotencyKey));
  if (!existing) {
    const row: PaymentIntentRow = {
      idempotencyKey: movement.idempotencyKey,
      poolId: movement.poolId,
      round: movement.round,
      memberId: movement.memberId,
      purpose: movement.purpose,
      paymentIntentId: pi.id,
      customerId: stripeId(pi.customer),
      paymentMethodId: stripeId(pi.payment_method),
      amountMinor: BigInt(pi.amount),
      currency: pi.currency,
      ...fields,
    };
    const stored = await insertPaymentIntent(client, row);
    return stored?.paymentIntentId === pi.id ? { row: stored, verdict: 'transition' } : { row: stored ?? row, verdict: 'conflict' };
  }
  if (existing.paymentIntentId !== pi.id || existing.idempotencyKey !== movement.idempotencyKey) return { row: existing, verdict: 'conflict' };
  const verdict = decideUpdate(paymentIntentOrder, paymentIntentObservation(existing), paymentIntentObservation(fields));
  if (verdict === 'stale') return { row: existing, verdict };
  const next = keepLaterTime(verdict, existing, fields);
  await updatePaymentIntentStatus(client, pi.id, next);
  return { row: { ...existing, ...next }, verdict };
}

export function transferFields(transfer: Stripe.Transfer, source: ObservationSource): TransferStatusFields {
  return { amountReversedMinor: BigInt(transfer.amount_reversed), statusAt: source.at, statusSource: source.source, statusEventId: source.eventId };
}

const transferObservation = (fields: TransferStatusFields): Observation => ({
  state: fields.amountReversedMinor.toString(),
  at: fields.statusAt,
  source: fields.statusSource,
});

export async function recordTransfer(
  client: Queryable,
  movement: MovementMetadata,
  transfer: Stripe.Transfer,
  source: ObservationSource,
): Promise<Recorded<TransferRow>> {
  const fields = transferFields(transfer, source);
  const existing = (await findTransferById(client, transfer.id)) ?? (await findTransferByKey(client, movement.idempotencyKey));
  if (!existing) {
    const row: TransferRow = {
      idempotencyKey: movement.idempotencyKey,
      poolId: movement.poolId,
      round: movement.round,
      memberId: movement.memberId,
      purpose: movement.purpose,
      transferId: transfer.id,
      destinationAccountId: stripeId(transfer.destination) ?? '',
      amountMinor: BigInt(transfer.amount),
      currency: transfer.currency,
      ...fields,
    };
    const stored = await insertTransfer(client, row);
    return stored?.transferId === transfer.id ? { row: stored, verdict: 'transition' } : { row: stored ?? row, verdict: 'conflict' };
  }
  if (existing.transferId !== transfer.id || existing.idempotencyKey !== movement.idempotencyKey) return { row: existing, verdict: 'conflict' };
  const verdict = decideUpdate(transferOrder(existing.amountMinor), transferObservation(existing), transferObservation(fields));
  if (verdict === 'stale') return { row: existing, verdict };
  const next = keepLaterTime(verdict, existing, fields);
  await updateTransferStatus(client, transfer.id, next);
  return { row: { ...existing, ...next }, verdict };
}

export function refundFields(refund: Stripe.Refund, source: ObservationSource): RefundStatusFields {
  return {
    status: refund.status ?? 'pending',
    failureReason: refund.failure_reason ?? null,
    statusAt: source.at,
    statusSource: source.source,
    statusEventId: source.eventId,
  };
}

const refundObservation = (fields: RefundStatusFields): Observation => ({ state: fields.status, at: fields.statusAt, source: fields.statusSource });

export async function recordRefund(
  client: Queryable,
  movement: MovementMetadata,
  refund: Stripe.Refund,
  source: ObservationSource,
): Promise<Recorded<RefundRow>> {
  const fields = refundFields(refund, source);
  const existing = (await findRefundById(client, refund.id)) ?? (await findRefundByKey(client, movement.idempotencyKey));
  if (!existing) {
    const row: RefundRow = {
      idempotencyKey: movement.idempotencyKey,
      poolId: movement.poolId,
      round: movement.round,
      memberId: movement.memberId,
      purpose: movement.purpose,
      refundId: refund.id,
      paymentIntentId: stripeId(refund.payment_intent) ?? '',
      amountMinor: BigInt(refund.amount),
      currency: refund.currency,
      ...fields,
    };
    const stored = await insertRefund(client, row);
    return stored?.refundId === refund.id ? { row: stored, verdict: 'transition' } : { row: stored ?? row, verdict: 'conflict' };
  }
  if (existing.refundId !== refund.id || existing.idempotencyKey !== movement.idempotencyKey) return { row: existing, verdict: 'conflict' };
  const verdict = decideUpdate(refundOrder, refundObservation(existing), refundObservation(fields));
  if (verdict === 'stale') return { row: existing, verdict };
  const next = keepLaterTime(verdict, existing, fields);
  await updateRefundStatus(client, refund.id, next);
  return { row: { ...existing, ...next }, verdict };
}
