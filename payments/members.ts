// Members and their Stripe objects: the profile (member id = the auth subject), a Stripe Customer made
// once per member, saved payment methods with one default for off-session charges, and an Express
// connected account with its onboarding link for payouts. Every Stripe ID is stored.
import type Stripe from 'stripe';
import {
  type ConnectAccountRow,
  type CustomerRow,
  findConnectAccount,
  findCustomer,
  findMember,
  insertConnectAccount,
  insertCustomer,
  insertPaymentMethod,
  type MemberRow,
  type PaymentMethodRow,
  setDefaultPaymentMethod,
  updateConnectAccountFlags,
  upsertMember,
} from '../db/payments/members';
import type { Db } from '../db/pool';
import { idempotencyKeys } from '../domain/core/idempotency-keys';

/** Thrown when an operation names a member who has no profile (or no connected account) yet. */
export class MemberNotFoundError extends Error {}

/** Thrown when a profile cannot be stored: a member id that cannot key Stripe requests, an empty name, a bad email. */
export class InvalidMemberProfileError extends Error {}

const DISPLAY_NAME_LENGTH_MAX = 200;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

function checkProfile(profile: MemberRow): void {
  try {
    idempotencyKeys.customer(profile.memberId);
  } catch (error) {
    throw new InvalidMemberProfileError((error as Error).message);
  }
  const name = profile.displayName.trim();
  if (name.length === 0 || name.length > DISPLAY_NAME_LENGTH_MAX) {
    throw new InvalidMemberProfileError(`displayName must be 1-${DISPLAY_NAME_LENGTH_MAX} characters`);
  }
  if (!EMAIL.test(profile.email)) throw new InvalidMemberProfileError(`email ${JSON.stringify(profile.email)} is not an email address`);
}

export interface MemberPaymentsDeps {
  stripe: Stripe;
  db: Db;
}

export interface OnboardingLink {
  accountId: string;
  url: string;
  /** Unix seconds; Stripe's links are short-lived and single-use, so they are made fresh, never stored. */
  expiresAt: number;
}

/** The metadata key tying a Customer or account to its member, which is how a lost ID is found again. */
const MEMBER_METADATA_KEY = 'poolflow_member_id';

function connectAccountRow(memberId: string, account: Stripe.Account): ConnectAccountRow {
  return {
    memberId,
    accountId: account.id,
    chargesEnabled: account.charges_enabled ?? false,
    payoutsEnabled: account.payouts_enabled ?? false,
    detailsSubmitted: account.details_submitted ?? false,
  };
}

export function createMemberPayments(deps: MemberPaymentsDeps) {
  const { stripe, db } = deps;

  async function requireMember(memberId: string): Promise<MemberRow> {
    const member = await findMember(db, memberId);
    if (!member) throw new MemberNotFoundError(`member ${memberId} has no profile`);
    return member;
  }

  /**
   * The member's Customer: ours if recorded; else one Stripe holds for the member (an earlier call that
   * crashed before recording it); else a new one, created under `customer:{memberId}`.
   */
  async function ensureCustomer(member: MemberRow): Promise<CustomerRow> {
    const stored = await findCustomer(db, member.memberId);
    if (stored) return stored;
    const found = await stripe.customers.search({ query: `metadata['${MEMBER_METADATA_KEY}']:'${member.memberId}'`, limit: 10 });
    const existing = found.data.find((customer) => customer.metadata[MEMBER_METADATA_KEY] === member.memberId);
    const customer =
      existing ??
      (await stripe.customers.create(
        { name: member.displayName, email: member.email, metadata: { [MEMBER_METADATA_KEY]: member.memberId } },
        { idempotencyKey: idempotencyKeys.customer(member.memberId) },
      ));
    return insertCustomer(db, member.memberId, customer.id);
  }

  return {
    /** Creates or updates the member's profile and makes sure they have a Stripe Customer. */
    async registerMember(profile: MemberRow): Promise<{ member: MemberRow; customer: CustomerRow }> {
      checkProfile(profile);
      const before = await findMember(db, profile.memberId);
      const member = await upsertMember(db, profile);
      const customer = await ensureCustomer(member);
      if (before && (before.displayName !== member.displayName || before.email !== member.email)) {
        // Setting fields to given values is idempotent by itself; a fixed key would replay a stale update.
        await stripe.customers.update(customer.customerId, { name: member.displayName, email: member.email });
      }
      return { member, customer };
    },

    /** Attaches a saved payment method (pm_…) to the member's Customer and makes it their default. */
    async attachPaymentMethod(memberId: string, paymentMethodId: string): Promise<PaymentMethodRow> {
      const customer = await ensureCustomer(await requireMember(memberId));
      const method = await stripe.paymentMethods.attach(
        paymentMethodId,
        { customer: customer.customerId },
        { idempotencyKey: idempotencyKeys.attachPaymentMethod(memberId, paymentMethodId) },
      );
      await stripe.customers.update(customer.customerId, { invoice_settings: { default_payment_method: method.id } });
      const row: PaymentMethodRow = {
        paymentMethodId: method.id,
        memberId,
        customerId: customer.customerId,
        methodType: method.type,
        cardBrand: method.card?.brand ?? null,
        cardLast4: method.card?.last4 ?? null,
        cardExpMonth: method.card?.exp_month ?? null,
        cardExpYear: method.card?.exp_year ?? null,
      };
      await insertPaymentMethod(db, row);
      await setDefaultPaymentMethod(db, memberId, method.id);
      return row;
    },

    /**
     * The member's Express connected account for payouts, created once under
     * `connect-account:{memberId}`. Stripe cannot search accounts, so the record in our database is what
     * prevents a second one after the idempotency key's 24 hours.
     */
    async ensureConnectAccount(memberId: string, options: { country?: string } = {}): Promise<ConnectAccountRow> {
      const member = await requireMember(memberId);
      const stored = await findConnectAccount(db, memberId);
      if (stored) return stored;
      const account = await stripe.accounts.create(
        {
          type: 'express',
          ...(options.country ? { country: options.country } : {}),
          email: member.email,
          capabilities: { transfers: { requested: true } },
          metadata: { [MEMBER_METADATA_KEY]: memberId },
        },
        { idempotencyKey: idempotencyKeys.connectAccount(memberId) },
      );
      return insertConnectAccount(db, connectAccountRow(memberId, account));
    },

    /** A fresh onboarding link for the member's connected account. */
    async createOnboardingLink(memberId: string, urls: { refreshUrl: string; returnUrl: string }): Promise<OnboardingLink> {
      const account = await findConnectAccount(db, memberId);
      if (!account) throw new MemberNotFoundError(`member ${memberId} has no connected account`);
      const link = await stripe.accountLinks.create({
        account: account.accountId,
        type: 'account_onboarding',
        refresh_url: urls.refreshUrl,
        return_url: urls.returnUrl,
      });
      return { accountId: account.accountId, url: link.url, expiresAt: link.expires_at };
    },

    /** Re-reads the connected account's capability flags from Stripe (after onboarding, or account.updated). */
    async refreshConnectAccount(memberId: string): Promise<ConnectAccountRow> {
      const stored = await findConnectAccount(db, memberId);
      if (!stored) throw new MemberNotFoundError(`member ${memberId} has no connected account`);
      const row = connectAccountRow(memberId, await stripe.accounts.retrieve(stored.accountId));
      await updateConnectAccountFlags(db, row);
      return row;
    },
  };
}

export type MemberPayments = ReturnType<typeof createMemberPayments>;
