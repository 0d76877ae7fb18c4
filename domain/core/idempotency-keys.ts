// The idempotency keys of every mutating Stripe call and every ledger transfer, built only from business
// identifiers (never run IDs or randomness), so a retried activity, a replayed workflow or a second
// worker sends the same key. Pure: workflows may build the same keys to name what they will ask for.
// The ID pattern is declared once, with the workflow IDs (temporal-config/workflow-ids.ts). A key's value
// never changes: stored rows, ledger transfers and Stripe objects are found by it.
//
// Stripe keys (each part 1-64 of [A-Za-z0-9_-]; round a non-negative safe integer; at most 255
// characters, Stripe's limit):
//   contribution:{poolId}:{round}:{memberId}:{purpose}   the PaymentIntent charging a contribution
//   payout:{poolId}:{round}:{memberId}:{purpose}         the Connect transfer paying a member out
//   refund:{poolId}:{round}:{memberId}:{purpose}         the refund of a contribution
//   customer:{memberId}                                  the member's Stripe Customer
//   connect-account:{memberId}                           the member's Express connected account
//   attach-payment-method:{memberId}:{paymentMethodId}   attaching a saved card to the Customer
// Ledger transfer keys (the ledger checks their form, db/ledger/transfer-request.ts):
//   ledger:assessment-fee:{assessmentId}                 the tier fee a trader paid
//   ledger:assessment-fee-refund:{assessmentId}          its refund
//   ledger:assessment-payout:{assessmentId}:{payoutNumber}:{purpose}   a funded trader's payout
//   ledger:platform-fee-sweep:{accountKey}:{creditsPostedMinor}        one sweep of a pool's fee income
// A pool's own ledger keys (ledger:contribution:…, ledger:payout:…) are built in activities/pools/pool-ledger.ts.

import { ID_PART_PATTERN } from '../../temporal-config/workflow-ids';

const STRIPE_PAYMENT_METHOD_ID = /^pm_[A-Za-z0-9_]{1,200}$/;
export const IDEMPOTENCY_KEY_LENGTH_MAX = 255;

/** Thrown when a business identifier cannot be part of an idempotency key. */
export class InvalidKeyPartError extends TypeError {}

/** Which money movement a key names; also written to each Stripe object's metadata as `poolflow_kind`. */
export type MoneyMovementKind = 'contribution' | 'payout' | 'refund';

/** The business identifiers every charge, transfer and refund is keyed by. */
export interface MoneyMovementKey {
  poolId: string;
  round: number;
  memberId: string;
  purpose: string;
}

function part(label: string, value: string): string {
  if (typeof value !== 'string' || !ID_PART_PATTERN.test(value)) {
    throw new InvalidKeyPartError(`${label} must be 1-64 letters, digits, "_" or "-", got ${JSON.stringify(value)}`);
  }
  return value;
}

function roundPart(round: number): string {
  if (!Number.isSafeInteger(round) || round < 0) throw new InvalidKeyPartError(`round must be a non-negative integer, got ${round}`);
  return String(round);
}

export function moneyMovementKey(kind: MoneyMovementKind, key: MoneyMovementKey): string {
  return [kind, part('poolId', key.poolId), roundPart(key.round), part('memberId', key.memberId), part('purpose', key.purpose)].join(':');
}

export const idempotencyKeys = {
  contribution: (key: MoneyMovementKey) => moneyMovementKey('contribution', key),
  payout: (key: MoneyMovementKey) => moneyMovementKey('payout', key),
  refund: (key: MoneyMovementKey) => moneyMovementKey('refund', key),
  customer: (memberId: string) => `customer:${part('memberId', memberId)}`,
  connectAccount: (memberId: string) => `connect-account:${part('memberId', memberId)}`,
  attachPaymentMethod: (memberId: string, paymentMethodId: string) => {
    if (!STRIPE_PAYMENT_METHOD_ID.test(paymentMethodId)) {
      throw new InvalidKeyPartError(`paymentMethodId must be a Stripe PaymentMethod ID (pm_…), got ${JSON.stringify(paymentMethodId)}`);
    }
    return `attach-payment-method:${part('memberId', memberId)}:${paymentMethodId}`;
  },
};

/**
 * The transfer group shared by every payout transfer of a pool: Stripe has no search for transfers, but
 * lists them by transfer_group, which is how a transfer created before a crash is found again.
 */
export function poolTransferGroup(poolId: string): string {
  return `pool-${part('poolId', poolId)}`;
}

export const ledgerKeys = {
  assessmentFee: (assessmentId: string) => `ledger:assessment-fee:${assessmentId}`,
  assessmentFeeRefund: (assessmentId: string) => `ledger:assessment-fee-refund:${assessmentId}`,
  assessmentPayout: (assessmentId: string, payoutNumber: number, purpose: string) => `ledger:assessment-payout:${assessmentId}:${payoutNumber}:${purpose}`,
  /**
   * One sweep of a pool's fee income: the account and the cumulative credits it is swept through, so a
   * retried sweep of the same balance replays, and a later one (after more fees) is a new transfer.
   */
  platformFeeSweep: (accountKey: string, creditsPostedMinor: bigint) => `ledger:platform-fee-sweep:${accountKey}:${creditsPostedMinor}`,
};
