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
//   ledger:contribution|cover|refund:{poolId}:{round}:{memberId}       a pool's movement of a member's money
//   ledger:fee:{poolId}:{round}                                         a round's fee
//   ledger:payout:{poolId}:{round}:{memberId}:{purpose}                a member's payout
// Notices and their deliveries (db/migrations: notification_deliveries.delivery_key is unique):
//   {noticeType}:{poolId}:{unique}                       a notice about a pool (`unique`: what happened there)
//   manager.digest:{managerId}:{day}                     a manager's daily digest
//   {channel}:{recipientId}:{noticeKey}                  one delivery of a notice to one recipient
// An assessment's recorded violations and warnings (assessment_violations: unique per assessment and key):
//   {phaseIndex}:{rule}:{eventKey}                       a violation, by the event that breached the rule
//   warning:{phaseIndex}:{rule}:{day}                    a warning, once a day per rule
// Temporal update IDs of an assessment's commands (Temporal drops an update whose ID it has seen):
//   order|fills|payout|ops:{Idempotency-Key}             the request's key, under the command's kind

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

/** The idempotency keys of a pool's ledger transfers (reconciliation reads them back by prefix). */
export const poolLedgerKeys = {
  contribution: (m: { poolId: string; round: number; memberId: string }) => `ledger:contribution:${m.poolId}:${m.round}:${m.memberId}`,
  cover: (m: { poolId: string; round: number; memberId: string }) => `ledger:cover:${m.poolId}:${m.round}:${m.memberId}`,
  fee: (poolId: string, round: number) => `ledger:fee:${poolId}:${round}`,
  payout: (key: MoneyMovementKey) => `ledger:payout:${key.poolId}:${key.round}:${key.memberId}:${key.purpose}`,
  refund: (m: { poolId: string; round: number; memberId: string }) => `ledger:refund:${m.poolId}:${m.round}:${m.memberId}`,
  prefix: (kind: 'contribution' | 'cover' | 'fee' | 'payout' | 'refund', poolId: string) => `ledger:${kind}:${poolId}:`,
};

/**
 * The keys of notices and of their deliveries: a replayed workflow derives a notice under the same key,
 * and each delivery of it (channel and recipient) is claimed once under a unique constraint.
 */
export const noticeKeys = {
  pool: (type: string, poolId: string, unique: string) => `${type}:${poolId}:${unique}`,
  managerDigest: (managerId: string, day: string) => `manager.digest:${managerId}:${day}`,
  delivery: (channel: 'email', recipientId: string, noticeKey: string) => `${channel}:${recipientId}:${noticeKey}`,
};

/** The kinds of command a trader or ops send to a running assessment as a workflow update. */
export type AssessmentCommandKind = 'order' | 'fills' | 'payout' | 'ops';

/** The update ID an assessment command runs under: the request's Idempotency-Key, scoped by the command's kind. */
export const assessmentUpdateId = (kind: AssessmentCommandKind, idempotencyKey: string) => `${kind}:${idempotencyKey}`;

/** The keys an assessment's violations and warnings are recorded under, so a replayed event records none twice. */
export const assessmentRecordKeys = {
  violation: (phaseIndex: number, rule: string, eventKey: string) => `${phaseIndex}:${rule}:${eventKey}`,
  /** The workflow's own key of a warning (one a day per rule), which the activity stores as `storedWarning`. */
  warning: (phaseIndex: number, rule: string, day: string) => `${phaseIndex}:${rule}:${day}`,
  storedWarning: (warningKey: string) => `warning:${warningKey}`,
};
