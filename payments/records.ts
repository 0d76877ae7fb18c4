// Records what Stripe tells us about a PaymentIntent, transfer or refund — from an API response or a
// webhook event — under its business key, keeping the stored state monotone (payments/status-order.ts).
// Each function runs on a client inside the caller's SERIALIZABLE transaction, so the read, the
// decision and the write are one step even when an activity and a webhook race.
import type Stripe from 'stripe';
import type { MovementIdentity, MovementStatus, MovementTable } from '../db/payments/movement-table';
import { type PaymentIntentRow, type PaymentIntentStatusFields, paymentIntentsTable } from '../db/payments/payment-intents';
import { type RefundRow, type RefundStatusFields, refundsTable } from '../db/payments/refunds';
import { type TransferRow, type TransferStatusFields, transfersTable } from '../db/payments/transfers';
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

/** A confirmation keeps the later of the two times, so an API response is never moved back in time. */
function keepLaterTime<F extends { statusAt: number }>(verdict: UpdateVerdict, current: F, next: F): F {
  return verdict === 'confirmation' ? { ...next, statusAt: Math.max(current.statusAt, next.statusAt) } : next;
}

/** What every Stripe money movement object (PaymentIntent, transfer, refund) carries that we read. */
export interface StripeMovement {
  id: string;
  /** Minor units. */
  amount: number;
  currency: string;
  metadata: Stripe.Metadata | null;
}

/** The columns a movement table holds beyond the shared identity and its status. */
type OwnColumns<Row, Status> = Omit<Row, keyof MovementIdentity | keyof Status>;

/**
 * One kind of Stripe money movement, as the shared record step needs it: the table recording it, the
 * object's own columns a first observation fills, the status fields an observation gives, and how the
 * stored status orders.
 */
interface MovementKind<Obj extends StripeMovement, Own, Status extends MovementStatus> {
  table: MovementTable<MovementIdentity & Own & Status, Status>;
  objectColumns(object: Obj): Own;
  ownStatus(object: Obj): Omit<Status, keyof MovementStatus>;
  order(row: MovementIdentity): StateOrder;
  /** The state the order ranks, from the stored status fields. */
  state(status: Status): string;
}

const observation = <Status extends MovementStatus>(kind: { state(status: Status): string }, status: Status): Observation => ({
  state: kind.state(status),
  at: status.statusAt,
  source: status.statusSource,
});

/** The status fields an observation of `object` gives. */
function observedStatus<Obj extends StripeMovement, Own, Status extends MovementStatus>(
  kind: MovementKind<Obj, Own, Status>,
  object: Obj,
  source: ObservationSource,
): Status {
  return { ...kind.ownStatus(object), statusAt: source.at, statusSource: source.source, statusEventId: source.eventId } as Status;
}

/** The row a first observation of `object` inserts under its movement's business key. */
function newRow<Obj extends StripeMovement, Own, Status extends MovementStatus>(
  kind: MovementKind<Obj, Own, Status>,
  movement: MovementMetadata,
  object: Obj,
  status: Status,
): MovementIdentity & Own & Status {
  return {
    idempotencyKey: movement.idempotencyKey,
    poolId: movement.poolId,
    round: movement.round,
    memberId: movement.memberId,
    purpose: movement.purpose,
    amountMinor: BigInt(object.amount),
    currency: object.currency,
    ...kind.objectColumns(object),
    ...status,
  };
}

/**
 * Records an observation of a Stripe object under its movement's business key: a first one inserts the
 * row; a later one moves the stored state only forward (a stale one changes nothing); an object bound to
 * another key, or a key bound to another object, is a conflict and changes nothing.
 */
async function recordMovement<Obj extends StripeMovement, Own, Status extends MovementStatus>(
  kind: MovementKind<Obj, Own, Status>,
  client: Queryable,
  movement: MovementMetadata,
  object: Obj,
  source: ObservationSource,
): Promise<Recorded<MovementIdentity & Own & Status>> {
  const { table } = kind;
  const status = observedStatus(kind, object, source);
  const existing = (await table.byId(client, object.id)) ?? (await table.byKey(client, movement.idempotencyKey));
  if (!existing) {
    const row = newRow(kind, movement, object, status);
    const stored = await table.insert(client, row);
    return stored && table.stripeIdOf(stored) === object.id ? { row: stored, verdict: 'transition' } : { row: stored ?? row, verdict: 'conflict' };
  }
  if (table.stripeIdOf(existing) !== object.id || existing.idempotencyKey !== movement.idempotencyKey) return { row: existing, verdict: 'conflict' };
  const verdict = decideUpdate(kind.order(existing), observation(kind, existing), observation(kind, status));
  if (verdict === 'stale') return { row: existing, verdict };
  const next = keepLaterTime<Status>(verdict, existing, status);
  await table.updateStatus(client, object.id, next);
  return { row: { ...existing, ...next }, verdict };
}

const paymentIntents: MovementKind<Stripe.PaymentIntent, OwnColumns<PaymentIntentRow, PaymentIntentStatusFields>, PaymentIntentStatusFields> = {
  table: paymentIntentsTable,
  objectColumns: (pi) => ({ paymentIntentId: pi.id, customerId: stripeId(pi.customer), paymentMethodId: stripeId(pi.payment_method) }),
  ownStatus(pi) {
    // A later successful attempt leaves the old error on the object; it only describes the state while
    // the PaymentIntent is still waiting for a payment method or action.
    const error = PAYMENT_ERROR_STATUSES.has(pi.status) ? pi.last_payment_error : null;
    return { status: pi.status, failureCode: error?.code ?? null, declineCode: error?.decline_code ?? null, failureMessage: error?.message ?? null };
  },
  order: () => paymentIntentOrder,
  state: (status) => paymentIntentState(status.status, status.failureCode),
};

const transfers: MovementKind<Stripe.Transfer, OwnColumns<TransferRow, TransferStatusFields>, TransferStatusFields> = {
  table: transfersTable,
  objectColumns: (transfer) => ({ transferId: transfer.id, destinationAccountId: stripeId(transfer.destination) ?? '' }),
  ownStatus: (transfer) => ({ amountReversedMinor: BigInt(transfer.amount_reversed) }),
  order: (row) => transferOrder(row.amountMinor),
  state: (status) => status.amountReversedMinor.toString(),
};

const refunds: MovementKind<Stripe.Refund, OwnColumns<RefundRow, RefundStatusFields>, RefundStatusFields> = {
  table: refundsTable,
  objectColumns: (refund) => ({ refundId: refund.id, paymentIntentId: stripeId(refund.payment_intent) ?? '' }),
  ownStatus: (refund) => ({ status: refund.status ?? 'pending', failureReason: refund.failure_reason ?? null }),
  order: () => refundOrder,
  state: (status) => status.status,
};

/** Where one kind of movement is kept, and how an observation of it is recorded (recordMovement). */
export interface MovementRecords<Obj extends StripeMovement, Row extends MovementIdentity> {
  table: Pick<MovementTable<Row, MovementStatus>, 'byId'>;
  record(client: Queryable, movement: MovementMetadata, object: Obj, source: ObservationSource): Promise<Recorded<Row>>;
}

function recordsOf<Obj extends StripeMovement, Own, Status extends MovementStatus>(
  kind: MovementKind<Obj, Own, Status>,
): MovementRecords<Obj, MovementIdentity & Own & Status> {
  return { table: kind.table, record: (client, movement, object, source) => recordMovement(kind, client, movement, object, source) };
}

export const paymentIntentRecords = recordsOf(paymentIntents);
export const transferRecords = recordsOf(transfers);
export const refundRecords = recordsOf(refunds);
export const recordPaymentIntent = paymentIntentRecords.record;
export const recordTransfer = transferRecords.record;
export const recordRefund = refundRecords.record;

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
  const rows = observations.map(({ movement, pi, source }) => newRow(paymentIntents, movement, pi, observedStatus(paymentIntents, pi, source)));
  const inserted = await paymentIntentsTable.insertMany(client, rows);
  return rows.map((row) => (inserted.has(row.idempotencyKey) ? { row, verdict: 'transition' } : null));
}
