// Queries for members and the Stripe objects made for them: Customer, saved payment methods and the
// Express connected account.
import type { Queryable } from '../pool';

export interface MemberRow {
  memberId: string;
  displayName: string;
  email: string;
}

export interface CustomerRow {
  memberId: string;
  customerId: string;
  defaultPaymentMethodId: string | null;
}

export interface PaymentMethodRow {
  paymentMethodId: string;
  memberId: string;
  customerId: string;
  methodType: string;
  cardBrand: string | null;
  cardLast4: string | null;
  cardExpMonth: number | null;
  cardExpYear: number | null;
}

export interface ConnectAccountRow {
  memberId: string;
  accountId: string;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
}

/** Creates the member or updates their profile; returns the stored row. */
export async function upsertMember(db: Queryable, member: MemberRow): Promise<MemberRow> {
  const { rows } = await db.query<{ member_id: string; display_name: string; email: string }>(
    `INSERT INTO members (member_id, display_name, email) VALUES ($1, $2, $3)
     ON CONFLICT (member_id) DO UPDATE SET display_name = excluded.display_name, email = excluded.email, updated_at = now()
     RETURNING member_id, display_name, email`,
    [member.memberId, member.displayName, member.email],
  );
  const row = rows[0]!;
  return { memberId: row.member_id, displayName: row.display_name, email: row.email };
}

export async function findMember(db: Queryable, memberId: string): Promise<MemberRow | null> {
  const { rows } = await db.query<{ member_id: string; display_name: string; email: string }>(
    'SELECT member_id, display_name, email FROM members WHERE member_id = $1',
    [memberId],
  );
  const row = rows[0];
  return row ? { memberId: row.member_id, displayName: row.display_name, email: row.email } : null;
}

type CustomerDbRow = { member_id: string; customer_id: string; default_payment_method_id: string | null };
const CUSTOMER_SELECT = 'SELECT member_id, customer_id, default_payment_method_id FROM stripe_customers';
const toCustomer = (row: CustomerDbRow): CustomerRow => ({
  memberId: row.member_id,
  customerId: row.customer_id,
  defaultPaymentMethodId: row.default_payment_method_id,
});

export async function findCustomer(db: Queryable, memberId: string): Promise<CustomerRow | null> {
  const { rows } = await db.query<CustomerDbRow>(`${CUSTOMER_SELECT} WHERE member_id = $1`, [memberId]);
  return rows[0] ? toCustomer(rows[0]) : null;
}

/** The Customers of many members (a charge batch's), read in one query; members without one are absent. */
export async function findCustomers(db: Queryable, memberIds: readonly string[]): Promise<Map<string, CustomerRow>> {
  const { rows } = await db.query<CustomerDbRow>(`${CUSTOMER_SELECT} WHERE member_id = ANY($1::TEXT[])`, [memberIds]);
  return new Map(rows.map((row) => [row.member_id, toCustomer(row)]));
}

/** Records the member's Customer unless one is recorded already; returns whichever is stored. */
export async function insertCustomer(db: Queryable, memberId: string, customerId: string): Promise<CustomerRow> {
  await db.query(`INSERT INTO stripe_customers (member_id, customer_id) VALUES ($1, $2) ON CONFLICT (member_id) DO NOTHING`, [memberId, customerId]);
  return (await findCustomer(db, memberId))!;
}

export async function insertPaymentMethod(db: Queryable, method: PaymentMethodRow): Promise<void> {
  await db.query(
    `INSERT INTO stripe_payment_methods
       (payment_method_id, member_id, customer_id, method_type, card_brand, card_last4, card_exp_month, card_exp_year)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (payment_method_id) DO NOTHING`,
    [
      method.paymentMethodId,
      method.memberId,
      method.customerId,
      method.methodType,
      method.cardBrand,
      method.cardLast4,
      method.cardExpMonth,
      method.cardExpYear,
    ],
  );
}

export async function setDefaultPaymentMethod(db: Queryable, memberId: string, paymentMethodId: string): Promise<void> {
  await db.query('UPDATE stripe_customers SET default_payment_method_id = $2, updated_at = now() WHERE member_id = $1', [memberId, paymentMethodId]);
}

export async function listPaymentMethods(db: Queryable, memberId: string): Promise<PaymentMethodRow[]> {
  const { rows } = await db.query<{
    payment_method_id: string;
    member_id: string;
    customer_id: string;
    method_type: string;
    card_brand: string | null;
    card_last4: string | null;
    card_exp_month: bigint | null;
    card_exp_year: bigint | null;
  }>(
    `SELECT payment_method_id, member_id, customer_id, method_type, card_brand, card_last4, card_exp_month, card_exp_year
     FROM stripe_payment_methods WHERE member_id = $1 ORDER BY attached_at, payment_method_id`,
    [memberId],
  );
  return rows.map((row) => ({
    paymentMethodId: row.payment_method_id,
    memberId: row.member_id,
    customerId: row.customer_id,
    methodType: row.method_type,
    cardBrand: row.card_brand,
    cardLast4: row.card_last4,
    cardExpMonth: row.card_exp_month === null ? null : Number(row.card_exp_month),
    cardExpYear: row.card_exp_year === null ? null : Number(row.card_exp_year),
  }));
}

type ConnectAccountDbRow = {
  member_id: string;
  account_id: string;
  charges_enabled: boolean;
  payouts_enabled: boolean;
  details_submitted: boolean;
};

const toConnectAccount = (row: ConnectAccountDbRow): ConnectAccountRow => ({
  memberId: row.member_id,
  accountId: row.account_id,
  chargesEnabled: row.charges_enabled,
  payoutsEnabled: row.payouts_enabled,
  detailsSubmitted: row.details_submitted,
});

export async function findConnectAccount(db: Queryable, memberId: string): Promise<ConnectAccountRow | null> {
  const { rows } = await db.query<ConnectAccountDbRow>(
    'SELECT member_id, account_id, charges_enabled, payouts_enabled, details_submitted FROM stripe_connect_accounts WHERE member_id = $1',
    [memberId],
  );
  return rows[0] ? toConnectAccount(rows[0]) : null;
}

/** Records the member's connected account unless one is recorded already; returns whichever is stored. */
export async function insertConnectAccount(db: Queryable, account: ConnectAccountRow): Promise<ConnectAccountRow> {
  await db.query(
    `INSERT INTO stripe_connect_accounts (member_id, account_id, charges_enabled, payouts_enabled, details_submitted)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (member_id) DO NOTHING`,
    [account.memberId, account.accountId, account.chargesEnabled, account.payoutsEnabled, account.detailsSubmitted],
  );
  return (await findConnectAccount(db, account.memberId))!;
}

/** Refreshes the capability flags from Stripe's latest view of the account (account.updated or a retrieve). */
export async function updateConnectAccountFlags(db: Queryable, account: ConnectAccountRow): Promise<void> {
  await db.query(
    `UPDATE stripe_connect_accounts SET charges_enabled = $2, payouts_enabled = $3, details_submitted = $4, updated_at = now()
     WHERE account_id = $1`,
    [account.accountId, account.chargesEnabled, account.payoutsEnabled, account.detailsSubmitted],
  );
}
