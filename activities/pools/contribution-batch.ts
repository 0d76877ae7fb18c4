// Charges a batch of a round's members in one activity: each member is charged on their own (their own
// business key, consent check and Stripe request), a few at a time, and each gets an outcome of their
// own, so one member's decline stays that member's and the round treats it exactly as a lone charge.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { CHARGES_PER_BATCH_CONCURRENCY_MAX, CHARGES_PER_BATCH_MAX } from '../../domain/pools/contribution-batches';
import { PaymentFailureType, paymentFailure } from '../../payments/errors';
import type { MoneyMovementInput, PaymentIntentSummary } from '../core/payments';

export interface ContributionBatchInput {
  poolId: string;
  round: number;
  currency: string;
  charges: Array<{ memberId: string; amountMinor: string; purpose: string }>;
  /**
   * Set when the round asks again after a batch whose outcome it never learnt: an earlier activity may
   * have created PaymentIntents it did not record, so Stripe is searched before creating (as on a retry).
   */
  askedBefore?: boolean;
}

/** What became of one member's charge: a PaymentIntent that succeeded or is processing, or a definite failure. */
export type MemberChargeOutcome =
  | { memberId: string; purpose: string; outcome: 'charged'; paymentIntentId: string; status: string }
  | {
      memberId: string;
      purpose: string;
      outcome: 'failed';
      /** The PaymentFailureType (payments/errors.ts): the round decides from it between dunning and operations. */
      failureType: string;
      message: string;
      paymentIntentId: string | null;
      failureCode: string | null;
    };

type ChargeOne = (input: MoneyMovementInput, options: { lookUpInStripe: boolean }) => Promise<PaymentIntentSummary>;

/**
 * Charges every member of the batch and returns one outcome per member, in input order. A member whose
 * outcome is unknown (Stripe or the database failing) fails the whole activity once every other member
 * has been tried, so that Temporal retries it with backoff: on the retry, members already charged are
 * found in our records and answered from Stripe, never charged again.
 */
export async function chargeContributionBatch(chargeOne: ChargeOne, input: ContributionBatchInput): Promise<MemberChargeOutcome[]> {
  if (!Array.isArray(input.charges) || input.charges.length === 0 || input.charges.length > CHARGES_PER_BATCH_MAX) {
    throw paymentFailure(PaymentFailureType.invalidInput, `a charge batch holds 1-${CHARGES_PER_BATCH_MAX} members`, {
      idempotencyKey: '',
      stripeObjectId: null,
      code: null,
      declineCode: null,
      stripeRequestId: null,
    });
  }
  const lookUpInStripe = input.askedBefore === true || Context.current().info.attempt > 1;
  const outcomes: MemberChargeOutcome[] = new Array(input.charges.length);
  const unknown: unknown[] = [];
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < input.charges.length; i = next++) {
      const { memberId, amountMinor, purpose } = input.charges[i]!;
      try {
        const summary = await chargeOne(
          { poolId: input.poolId, round: input.round, memberId, amountMinor, currency: input.currency, purpose },
          { lookUpInStripe },
        );
        outcomes[i] = { memberId, purpose, outcome: 'charged', paymentIntentId: summary.paymentIntentId, status: summary.status };
      } catch (error) {
        if (!(error instanceof ApplicationFailure && error.nonRetryable)) {
          unknown.push(error);
          continue;
        }
        const details = error.details?.[0] as { stripeObjectId?: string | null; code?: string | null } | undefined;
        outcomes[i] = {
          memberId,
          purpose,
          outcome: 'failed',
          failureType: error.type ?? 'failed',
          message: error.message,
          paymentIntentId: details?.stripeObjectId ?? null,
          failureCode: details?.code ?? null,
        };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHARGES_PER_BATCH_CONCURRENCY_MAX, input.charges.length) }, lane));
  if (unknown.length > 0) {
    const first = unknown[0] instanceof Error ? unknown[0].message : String(unknown[0]);
    throw new Error(`${unknown.length} of ${input.charges.length} charges of pool ${input.poolId} round ${input.round} have no outcome yet (first: ${first})`, {
      cause: unknown[0],
    });
  }
  return outcomes;
}
