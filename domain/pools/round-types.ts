// What passes between a pool and its rounds: the round's input (who owes what, who may be paid) and the
// result it reports back. Shared by the pool and round workflows, the projection and notice activities,
// so none of them imports another's module. Amounts are decimal strings: they cross JSON.
import type { DefaultPolicy } from './pool-config';

export type PayoutPlan =
  /** A capital call: the money stays in the pot. */
  | { kind: 'none' }
  /** The next member in the payout order who is eligible this round wins the pot. */
  | { kind: 'order'; candidates: string[]; members: string[]; platformFeeBps: number }
  /** The highest bid among eligible members wins; the discount is shared among the other members. */
  | { kind: 'auction'; eligible: string[]; bids: Array<{ memberId: string; discountMinor: string }>; seed: string; members: string[]; platformFeeBps: number }
  /** An investment distribution of `amountMinor`, pro-rata to paid-in capital, less the management fee. */
  | { kind: 'distribution'; amountMinor: string; paidInMinor: Array<{ memberId: string; amountMinor: string }>; managementFeeBps: number };

export interface PayoutRecipient {
  memberId: string;
  amountMinor: string;
  purpose: 'pot' | 'dividend' | 'distribution';
}

export interface PayoutChoice {
  winnerMemberId: string | null;
  discountMinor: string;
  /** Platform fee (rotating) or management fee (investment), taken from the pot. */
  feeMinor: string;
  recipients: PayoutRecipient[];
}

/**
 * The round shape a pool of the current shape gives its rounds in their input: every change to rounds
 * up to it, no patch marker of their own, a report by completing rather than by signal (the pool run
 * that started the round hears its completion; a later run asks for a signal), and an input and a
 * result of rows (round-input.ts, round-report.ts). Rounds without a shape (started by older pools)
 * find theirs through patched() and always report by signal.
 */
export const GIVEN_ROUND_SHAPE = 'round-2027-01';
/** The shape pools gave their rounds before GIVEN_ROUND_SHAPE: as that one, but an input and a result of objects. */
export const COMPLETING_ROUND_SHAPE = 'round-2026-12';

export interface RoundInput {
  poolId: string;
  round: number;
  currency: string;
  /** What each member owes this round; `arrearsMinor`, owed from earlier rounds, is collected with it. */
  dues: Array<{ memberId: string; amountMinor: string; arrearsMinor?: string }>;
  gracePeriodHours: number;
  lateFeeMinor: string;
  dunningRetryHours: number[];
  defaultPolicy: DefaultPolicy;
  payout: PayoutPlan;
  /** Set by pools of the current shape (GIVEN_ROUND_SHAPE) or the one before; absent in rounds of older pools. */
  shape?: typeof GIVEN_ROUND_SHAPE | typeof COMPLETING_ROUND_SHAPE;
}

/** refunded: the pool was cancelled during the round, and what the member paid went back to them. */
export type ContributionOutcome = 'paid' | 'paid-late' | 'covered' | 'defaulted' | 'refunded';

export interface MemberRoundResult {
  memberId: string;
  outcome: ContributionOutcome;
  /** What the member owed this round (without any late fee). */
  owedMinor: string;
  /** What the member paid, late fee included. */
  paidMinor: string;
  lateFeeMinor: string;
  /** Arrears from earlier rounds paid with this charge (they repay the reserve). */
  arrearsPaidMinor: string;
  /** The default policy applied to a member who did not pay: the reserve covered them, or not. */
  policyApplied: 'none' | 'covered' | 'suspend' | 'expel';
  paymentIntentId: string | null;
  failureCode: string | null;
}

export interface RoundResult {
  round: number;
  members: MemberRoundResult[];
  potMinor: string;
  payout: PayoutChoice | null;
  /** Transfer attempts made, over all recipients. */
  payoutAttempts: number;
}

export type RoundKind = 'contribution' | 'distribution';
