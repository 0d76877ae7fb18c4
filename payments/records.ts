// Records what Stripe tells us about a PaymentIntent, transfer or refund — from an API response or a
// webhook event — under its business key, keeping the stored state monotone (payments/status-order.ts).
// Each function runs on a client inside the caller's SERIALIZABLE transaction, so the read, the
// decision and the write are one step even when an activity and a webhook race.
import type Stripe from 'stripe';
import {
  findPaymentIntentById,
  findPaymentIntentByKey,
  insertPaymentIntent,
  insertPaymentIntents,
  type PaymentIntentRow,
  type PaymentIntentStatusFields,
  updatePaymentIntentStatus,
} from '../db/payments/payment-intents';
import { findRefundById, findRefundByKey, insertRefund, type RefundRow, type RefundStatusFields, updateRefundStatus } from '../db/payments/refunds';
import {
  findTransferById,
  findTransferByKey,
  insertTransfer,
  type TransferRow,
  type TransferStatusFields,
  updateTransferStatus,
} from '../db/payments/transfers';
import type { Queryable } from '../db/pool';
import type { MovementMetadata } from './metadata';
import {
  decideUpdate,
  type Observation,
  paymentIntentOrder,
  paymentIntentState,
  refundOrder,
  type StateOrder,
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

function paymentIntentFields(pi: Stripe.PaymentIntent, source: ObservationSource): PaymentIntentStatusFields {
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

function transferFields(transfer: Stripe.Transfer, source: ObservationSource): TransferStatusFields {
  return { amountReversedMinor: BigInt(transfer.amount_reversed), statusAt: source.at, statusSource: source.source, statusEventId: source.eventId };
}

const transferObservation = (fields: TransferStatusFields): Observation => ({
  state: fields.amountReversedMinor.toString(),
  at: fields.statusAt,
  source: fields.statusSource,
});

function refundFields(refund: Stripe.Refund, source: ObservationSource): RefundStatusFields {
  return {
    status: refund.status ?? 'pending',
    failureReason: refund.failure_reason ?? null,
    statusAt: source.at,
    statusSource: source.source,
    statusEventId: source.eventId,
  };
}

const refundObservation = (fields: RefundStatusFields): Observation => ({ state: fields.status, at: fields.statusAt, source: fields.statusSource });

/**
 * One table of recorded Stripe money movements, as the shared record step needs it: the status fields
 * an observation of the object gives, the row a first observation makes, and the table's queries.
 */
interface MovementTable<Obj extends { id: string }, Fields extends { statusAt: number }, Row extends Fields & { idempotencyKey: string }> {
  fields(object: Obj, source: ObservationSource): Fields;
  newRow(movement: MovementMetadata, object: Obj, fields: Fields): Row;
  /** Stripe's ID of the object a row records. */
  stripeIdOf(row: Row): string;
  findById(client: Queryable, stripeId: string): Promise<Row | null>;
  findByKey(client: Queryable, idempotencyKey: string): Promise<Row | null>;
  insert(client: Queryable, row: Row): Promise<Row | null>;
  updateStatus(client: Queryable, stripeId: string, fields: Fields): Promise<void>;
  order(row: Row): StateOrder;
  observation(fields: Fields): Observation;
}

/**
 * Records an observation of a Stripe object under its movement's business key: a first one inserts the
 * row; a later one moves the stored state only forward (a stale one changes nothing); an object bound to
 * another key, or a key bound to another object, is a conflict and changes nothing.
 */
async function recordMovement<Obj extends { id: string }, Fields extends { statusAt: number }, Row extends Fields & { idempotencyKey: string }>(
  table: MovementTable<Obj, Fields, Row>,
  client: Queryable,
  movement: MovementMetadata,
  object: Obj,
  source: ObservationSource,
): Promise<Recorded<Row>> {
  const fields = table.fields(object, source);
  const existing = (await table.findById(client, object.id)) ?? (await table.findByKey(client, movement.idempotencyKey));
  if (!existing) {
    const row = table.newRow(movement, object, fields);
    const stored = await table.insert(client, row);
    return stored && table.stripeIdOf(stored) === object.id ? { row: stored, verdict: 'transition' } : { row: stored ?? row, verdict: 'conflict' };
  }
  if (table.stripeIdOf(existing) !== object.id || existing.idempotencyKey !== movement.idempotencyKey) return { row: existing, verdict: 'conflict' };
  const verdict = decideUpdate(table.order(existing), table.observation(existing), table.observation(fields));
  if (verdict === 'stale') return { row: existing, verdict };
  const next = keepLaterTime<Fields>(verdict, existing, fields);
  await table.updateStatus(client, object.id, next);
  return { row: { ...existing, ...next }, verdict };
}

/** The business identifiers every recorded movement row starts with. */
const movementColumns = (movement: MovementMetadata) => ({
  idempotencyKey: movement.idempotencyKey,
  poolId: movement.poolId,
  round: movement.round,
  memberId: movement.memberId,
  purpose: movement.purpose,
});

const paymentIntents: MovementTable<Stripe.PaymentIntent, PaymentIntentStatusFields, PaymentIntentRow> = {
  fields: paymentIntentFields,
  newRow: (movement, pi, fields) => ({
    ...movementColumns(movement),
    paymentIntentId: pi.id,
    customerId: stripeId(pi.customer),
    paymentMethodId: stripeId(pi.payment_method),
    amountMinor: BigInt(pi.amount),
    currency: pi.currency,
    ...fields,
  }),
  stripeIdOf: (row) => row.paymentIntentId,
  findById: findPaymentIntentById,
  findByKey: findPaymentIntentByKey,
  insert: insertPaymentIntent,
  updateStatus: updatePaymentIntentStatus,
  order: () => paymentIntentOrder,
  observation: paymentIntentObservation,
};

const transfers: MovementTable<Stripe.Transfer, TransferStatusFields, TransferRow> = {
  fields: transferFields,
  newRow: (movement, transfer, fields) => ({
    ...movementColumns(movement),
    transferId: transfer.id,
    destinationAccountId: stripeId(transfer.destination) ?? '',
    amountMinor: BigInt(transfer.amount),
    currency: transfer.currency,
    ...fields,
  }),
  stripeIdOf: (row) => row.transferId,
  findById: findTransferById,
  findByKey: findTransferByKey,
  insert: insertTransfer,
  updateStatus: updateTransferStatus,
  order: (row) => transferOrder(row.amountMinor),
  observation: transferObservation,
};

const refunds: MovementTable<Stripe.Refund, RefundStatusFields, RefundRow> = {
  fields: refundFields,
  newRow: (movement, refund, fields) => ({
    ...movementColumns(movement),
    refundId: refund.id,
    paymentIntentId: stripeId(refund.payment_intent) ?? '',
    amountMinor: BigInt(refund.amount),
    currency: refund.currency,
    ...fields,
  }),
  stripeIdOf: (row) => row.refundId,
  findById: findRefundById,
  findByKey: findRefundByKey,
  insert: insertRefund,
  updateStatus: updateRefundStatus,
  order: () => refundOrder,
  observation: refundObservation,
};

export const recordPaymentIntent = (client: Queryable, movement: MovementMetadata, pi: Stripe.PaymentIntent, source: ObservationSource) =>
  recordMovement(paymentIntents, client, movement, pi, source);

/** A PaymentIntent as one of a charge batch's requests answered it, under that charge's movement. */
export interface PaymentIntentObservation {
  movement: MovementMetadata;
  pi: Stripe.PaymentIntent;
  source: ObservationSource;
}

/**
 * Records a charge batch's answers from Stripe in one statement, as first observations: one result per
 * observation, in order, or null where the business key or the Stripe ID was recorded already (a
 * webhook got there first); those go through recordPaymentIntent, which keeps the stored state monotone.
 */
export async function recordNewPaymentIntents(
  client: Queryable,
  observations: readonly PaymentIntentObservation[],
): Promise<Array<Recorded<PaymentIntentRow> | null>> {
  const rows = observations.map(({ movement, pi, source }) => paymentIntents.newRow(movement, pi, paymentIntents.fields(pi, source)));
  const inserted = await insertPaymentIntents(client, rows);
  return rows.map((row) => (inserted.has(row.idempotencyKey) ? { row, verdict: 'transition' } : null));
}

export const recordTransfer = (client: Queryable, movement: MovementMetadata, transfer: Stripe.Transfer, source: ObservationSource) =>
  recordMovement(transfers, client, movement, transfer, source);

export const recordRefund = (client: Queryable, movement: MovementMetadata, refund: Stripe.Refund, source: ObservationSource) =>
  recordMovement(refunds, client, movement, refund, source);
