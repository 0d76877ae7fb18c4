// An assessment's money through the shared money core: the tier fee charged as a PaymentIntent, its
// refund, and funded-phase payouts as a ledger reservation + Connect transfer saga. The core keys every
// movement by (owner, round, member, purpose); an assessment's owner is `assessment-{id}`, its round is
// 0 for the fee and the payout number for payouts, its member the trader. Ledger keys follow the same
// business identifiers, so every movement is recorded exactly once whatever retries or replays happen.
import { type AccountSpec, creditNormal, debitNormal, unfloored } from '../../db/ledger/chart';
import type { Currency } from '../../domain/core/money';

/** The money core's owner key for an assessment (its `pool_id` column, `pool_id` metadata). */
export const assessmentMoneyOwner = (assessmentId: string) => `assessment-${assessmentId}`;
export const ASSESSMENT_OWNER_PREFIX = 'assessment-';

/** The assessment ID of a money-core owner key, or null when the owner is a pool. */
export function assessmentIdOfOwner(owner: string): string | null {
  return owner.startsWith(ASSESSMENT_OWNER_PREFIX) ? owner.slice(ASSESSMENT_OWNER_PREFIX.length) : null;
}

/** Purposes of an assessment's movements in the money core. */
export const ASSESSMENT_PURPOSES = {
  fee: 'assessment-fee',
  feeRefund: 'assessment-fee-refund',
  /** A payout's attempt is part of its purpose, so a refused transfer can be retried under a new key. */
  profitSplit: (attempt: number) => `profit-split-a${attempt}`,
  feeRefundOnPayout: 'fee-refund-on-payout',
} as const;

const segment = (id: string) => {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new RangeError(`"${id}" cannot be part of an account key`);
  return id;
};

/** The ledger accounts assessments use (the shared chart holds the pools' ones). */
export const assessmentChart = {
  /** What the trader paid for an assessment (debit-normal: a refund can never exceed it). */
  traderPaid: (assessmentId: string, currency: Currency): AccountSpec => debitNormal(`assessment:${segment(assessmentId)}:trader_paid`, currency),
  /** What the platform paid the trader of a funded assessment (credit-normal). */
  traderPaidOut: (assessmentId: string, currency: Currency): AccountSpec => creditNormal(`assessment:${segment(assessmentId)}:trader_paid_out`, currency),
  /** Tier fees the platform earned, per currency; refunds take from it. */
  feeRevenue: (currency: Currency): AccountSpec => unfloored(`platform:assessment_fee_revenue:${currency}`, currency),
  /** Profit splits paid to funded traders: the platform's cost of the funded programme. */
  profitSplitExpense: (currency: Currency): AccountSpec => unfloored(`platform:assessment_profit_split:${currency}`, currency),
};
