// A round's result as it crosses Temporal: rounds given the current round shape report their members
// and payout recipients as rows (arrays) instead of objects with named fields, and leave out what follows
// from the rest (what a member paid). The pool, the round projection and the notices workflow read any
// report — rows, or the objects of rounds started by older pools — through roundResultOf.
//
// Why: a round's result enters the pool's history (the child's completion) and the notices workflow's
// (a signal). With named fields, a round of POOL_MEMBERS_MAX members with IDs of the longest allowed
// length came to 261 KB, over the 256 KB a payload may take here; as rows it is about half that.
import type { ContributionOutcome, MemberRoundResult, PayoutChoice, PayoutRecipient, RoundResult } from './round-types';

/** One member's outcome; what they paid follows from the outcome and the amounts (paidMinorOf). */
export type MemberOutcomeRow = [
  memberId: string,
  outcome: ContributionOutcome,
  owedMinor: string,
  arrearsPaidMinor: string,
  lateFeeMinor: string,
  policyApplied: MemberRoundResult['policyApplied'],
  paymentIntentId: string | null,
  failureCode: string | null,
];

export type RecipientRow = [memberId: string, amountMinor: string, purpose: PayoutRecipient['purpose']];

export interface RoundResultRows {
  /** Tells a report of rows from one of objects. */
  form: 'rows';
  round: number;
  potMinor: string;
  payoutAttempts: number;
  payout: (Omit<PayoutChoice, 'recipients'> & { recipients: RecipientRow[] }) | null;
  members: MemberOutcomeRow[];
}

/** What a round reports: rows (rounds of the current shape) or objects (rounds started by older pools). */
export type RoundReport = RoundResult | RoundResultRows;

/** Outcomes in which the member's money came in (a refund sends it back later, but it was paid). */
const PAID_OUTCOMES: ReadonlySet<ContributionOutcome> = new Set(['paid', 'paid-late', 'refunded']);

/** What a member paid: owed, arrears and late fee when their money came in, else nothing. */
function paidMinorOf(outcome: ContributionOutcome, owedMinor: string, arrearsPaidMinor: string, lateFeeMinor: string): string {
  return PAID_OUTCOMES.has(outcome) ? (BigInt(owedMinor) + BigInt(arrearsPaidMinor) + BigInt(lateFeeMinor)).toString() : '0';
}

export function roundResultRows(result: RoundResult): RoundResultRows {
  for (const m of result.members) {
    // The rows leave paidMinor out: a result it could not be rebuilt from is a bug in the round.
    if (m.paidMinor !== paidMinorOf(m.outcome, m.owedMinor, m.arrearsPaidMinor, m.lateFeeMinor))
      throw new Error(`round ${result.round}: ${m.memberId} paid ${m.paidMinor}, which their outcome ${m.outcome} and amounts do not explain`);
  }
  return {
    form: 'rows',
    round: result.round,
    potMinor: result.potMinor,
    payoutAttempts: result.payoutAttempts,
    payout: result.payout && { ...result.payout, recipients: result.payout.recipients.map((r) => [r.memberId, r.amountMinor, r.purpose]) },
    members: result.members.map((m) => [
      m.memberId,
      m.outcome,
      m.owedMinor,
      m.arrearsPaidMinor,
      m.lateFeeMinor,
      m.policyApplied,
      m.paymentIntentId,
      m.failureCode,
    ]),
  };
}

export function roundResultOf(report: RoundReport): RoundResult {
  if (!('form' in report)) return report;
  return {
    round: report.round,
    potMinor: report.potMinor,
    payoutAttempts: report.payoutAttempts,
    payout: report.payout && {
      ...report.payout,
      recipients: report.payout.recipients.map(([memberId, amountMinor, purpose]) => ({ memberId, amountMinor, purpose })),
    },
    members: report.members.map(([memberId, outcome, owedMinor, arrearsPaidMinor, lateFeeMinor, policyApplied, paymentIntentId, failureCode]) => ({
      memberId,
      outcome,
      owedMinor,
      paidMinor: paidMinorOf(outcome, owedMinor, arrearsPaidMinor, lateFeeMinor),
      lateFeeMinor,
      arrearsPaidMinor,
      policyApplied,
      paymentIntentId,
      failureCode,
    })),
  };
}
