// Queries for stripe_payment_intents: one row per contribution charge, found by its business key
// (the idempotency key) or by Stripe's PaymentIntent ID.
import type { StatusSource } from '../../payments/status-order';
import type { Queryable } from '../pool';
import { movementLookups } from './movement-lookups';

export interface PaymentIntentStatusFields {
  status: string;
  failureCode: string | null;
  declineCode: string | null;
  failureMessage: string | null;
  statusAt: number;
  statusSource: StatusSource;
  statusEventId: string | null;
}

export interface PaymentIntentRow extends PaymentIntentStatusFields {
  idempotencyKey: string;
  poolId: string;
  round: number;
  memberId: string;
  purpose: string;
  paymentIntentId: string;
  customerId: string | null;
  paymentMethodId: string | null;
  amountMinor: bigint;
  currency: string;
}

interface DbRow {
  idempotency_key: string;
  pool_id: string;
  round: bigint;
  member_id: string;
  purpose: string;
  payment_intent_id: string;
  customer_id: string | null;
  payment_method_id: string | null;
  amount_minor: bigint;
  currency: string;
  status: string;
  failure_code: string | null;
  decline_code: string | null;
  failure_message: string | null;
  status_at: bigint;
  status_source: StatusSource;
  status_event_id: string | null;
}

const COLUMNS = `idempotency_key, pool_id, round, member_id, purpose, payment_intent_id, customer_id, payment_method_id,
  amount_minor, currency, status, failure_code, decline_code, failure_message, status_at, status_source, status_event_id`;

function toRow(row: DbRow): PaymentIntentRow {
  return {
    idempotencyKey: row.idempotency_key,
    poolId: row.pool_id,
    round: Number(row.round),
    memberId: row.member_id,
    purpose: row.purpose,
    paymentIntentId: row.payment_intent_id,
    customerId: row.customer_id,
    paymentMethodId: row.payment_method_id,
    amountMinor: row.amount_minor,
    currency: row.currency,
    status: row.status,
    failureCode: row.failure_code,
    declineCode: row.decline_code,
    failureMessage: row.failure_message,
    statusAt: Number(row.status_at),
    statusSource: row.status_source,
    statusEventId: row.status_event_id,
  };
}

const lookups = movementLookups<DbRow, PaymentIntentRow>({ name: 'stripe_payment_intents', idColumn: 'payment_intent_id', columns: COLUMNS, toRow });
export const findPaymentIntentByKey = lookups.byKey;
export const findPaymentIntentsByKeys = lookups.byKeys;
export const findPaymentIntentById = lookups.byId;
export const listPaymentIntentsByPool = lookups.byPool;

/** A row's values in the order of COLUMNS. */
const columnValues = (row: PaymentIntentRow) => [
  row.idempotencyKey,
  row.poolId,
  row.round,
  row.memberId,
  row.purpose,
  row.paymentIntentId,
  row.customerId,
  row.paymentMethodId,
  row.amountMinor,
  row.currency,
  row.status,
  row.failureCode,
  row.declineCode,
  row.failureMessage,
  row.statusAt,
  row.statusSource,
  row.statusEventId,
];
const COLUMN_TYPES = ['TEXT', 'TEXT', 'INT8', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'INT8', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'INT8', 'TEXT', 'TEXT'];

/**
 * Records a PaymentIntent unless its business key or its Stripe ID is recorded already (a webhook may
 * have got there first); returns the row now stored under the business key, which the caller compares
 * with what it tried to insert.
 */
export async function insertPaymentIntent(db: Queryable, row: PaymentIntentRow): Promise<PaymentIntentRow | null> {
  await db.query(
    `INSERT INTO stripe_payment_intents (${COLUMNS}) VALUES (${COLUMN_TYPES.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT DO NOTHING`,
    columnValues(row),
  );
  return findPaymentIntentByKey(db, row.idempotencyKey);
}

/**
 * Records many PaymentIntents in one statement (one array per column), each unless its business key or
 * Stripe ID is recorded already; returns the business keys of the rows it inserted (the others are for
 * the caller to compare).
 */
export async function insertPaymentIntents(db: Queryable, rows: readonly PaymentIntentRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const values = rows.map(columnValues);
  const { rows: inserted } = await db.query<{ idempotency_key: string }>(
    `INSERT INTO stripe_payment_intents (${COLUMNS})
     SELECT * FROM unnest(${COLUMN_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})
     ON CONFLICT DO NOTHING
     RETURNING idempotency_key`,
    COLUMN_TYPES.map((_, column) => values.map((row) => row[column])),
  );
  return new Set(inserted.map((row) => row.idempotency_key));
}

export async function updatePaymentIntentStatus(db: Queryable, paymentIntentId: string, fields: PaymentIntentStatusFields): Promise<void> {
  await db.query(
    `UPDATE stripe_payment_intents
     SET status = $2, failure_code = $3, decline_code = $4, failure_message = $5, status_at = $6, status_source = $7,
         status_event_id = $8, updated_at = now()
     WHERE payment_intent_id = $1`,
    [paymentIntentId, fields.status, fields.failureCode, fields.declineCode, fields.failureMessage, fields.statusAt, fields.statusSource, fields.statusEventId],
  );
}
