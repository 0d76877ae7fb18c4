// The signals the Stripe webhook router sends to the workflow waiting on a money movement, and their
// payloads: small JSON objects carrying the event id, the Stripe object, its new state and the
// business key. Temporal does not de-duplicate signals and a re-routed event may arrive twice, so
// receivers de-duplicate by business key (idempotencyKey) and state, or by eventId.
//
// Targets: contribution charges and payout transfers go to the round workflow
// (`pool/{poolId}/round/{round}`), which charges the members and pays the pot out; refunds go to the
// pool workflow (`pool/{poolId}`), which runs cancellation.
import { defineSignal } from '@temporalio/workflow';

export interface MovementSignalBase {
  /** The Stripe event that caused this signal. */
  eventId: string;
  /** The event's `created`, unix seconds on Stripe's clock. */
  eventCreated: number;
  poolId: string;
  round: number;
  memberId: string;
  purpose: string;
  /** The business key, also the idempotency key sent to Stripe. */
  idempotencyKey: string;
  /** Integer minor units as a decimal string (JSON has no bigint). */
  amountMinor: string;
  currency: string;
}

/** A contribution PaymentIntent reached a new state (or a webhook first confirmed the one we had). */
export interface PaymentIntentSignal extends MovementSignalBase {
  paymentIntentId: string;
  /** Stripe's PaymentIntent status. */
  status: string;
  /** Set when the last attempt failed: Stripe's error code (card_declined, authentication_required, …). */
  failureCode: string | null;
  declineCode: string | null;
}

/** A payout transfer was confirmed, or (partly) reversed. */
export interface TransferSignal extends MovementSignalBase {
  transferId: string;
  destinationAccountId: string;
  amountReversedMinor: string;
}

/** A refund reached a new state. */
export interface RefundSignal extends MovementSignalBase {
  refundId: string;
  paymentIntentId: string;
  /** Stripe's refund status: pending, requires_action, succeeded, failed, canceled. */
  status: string;
  failureReason: string | null;
}

/** Signal names, stored with each routed webhook event so that re-delivery sends the same signal. */
export const PAYMENT_SIGNAL_NAMES = {
  paymentIntent: 'stripePaymentIntentUpdated',
  transfer: 'stripeTransferUpdated',
  refund: 'stripeRefundUpdated',
} as const;

export const paymentIntentUpdatedSignal = defineSignal<[PaymentIntentSignal]>(PAYMENT_SIGNAL_NAMES.paymentIntent);
export const transferUpdatedSignal = defineSignal<[TransferSignal]>(PAYMENT_SIGNAL_NAMES.transfer);
export const refundUpdatedSignal = defineSignal<[RefundSignal]>(PAYMENT_SIGNAL_NAMES.refund);

export type PaymentSignal = PaymentIntentSignal | TransferSignal | RefundSignal;
