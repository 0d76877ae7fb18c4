// Queries for stripe_payment_intents: one row per contribution charge, found by its business key
// (the idempotency key) or by Stripe's PaymentIntent ID.
import { type MovementIdentity, type MovementStatus, movementTable } from './movement-table';

export interface PaymentIntentStatusFields extends MovementStatus {
  status: string;
  failureCode: string | null;
  declineCode: string | null;
  failureMessage: string | null;
}

export interface PaymentIntentRow extends MovementIdentity, PaymentIntentStatusFields {
  paymentIntentId: string;
  customerId: string | null;
  paymentMethodId: string | null;
}

export const paymentIntentsTable = movementTable<PaymentIntentRow, PaymentIntentStatusFields>({
  name: 'stripe_payment_intents',
  idField: 'paymentIntentId',
  objectColumns: { paymentIntentId: 'payment_intent_id', customerId: 'customer_id', paymentMethodId: 'payment_method_id' },
  ownStatusColumns: { status: 'status', failureCode: 'failure_code', declineCode: 'decline_code', failureMessage: 'failure_message' },
});
export const findPaymentIntentByKey = paymentIntentsTable.byKey;
export const findPaymentIntentsByKeys = paymentIntentsTable.byKeys;
export const findPaymentIntentById = paymentIntentsTable.byId;
export const listPaymentIntentsByPool = paymentIntentsTable.byPool;
