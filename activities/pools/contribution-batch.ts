// Charges a batch of a round's members in one activity: each member is charged on their own (their own
// business key, consent check and Stripe request), a few at a time, and each gets an outcome of their
// own, so one member's decline stays that member's and the round treats it exactly as a lone charge;
// what our records hold is read, and Stripe's answers written, once per batch rather than per member.
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

/**
 * How the batch reaches Stripe and our records (activities/core/payments.ts): `observe` takes one
 * member's charge up to Stripe's answer, or throws; `recordAll` records the answers together and gives
 * each its result (a summary, or the failure it turned into).
 */
export interface BatchChargeSteps<Observed> {
  observe(charge: MoneyMovementInput, lookUpInStripe: boolean): Promise<Observed>;
  recordAll(observed: Observed[]): Promise<Array<{ summary: PaymentIntentSummary } | { error: unknown }>>;
}

/** A failure Temporal would not retry is that member's outcome; anything else leaves their outcome unknown. */
function failedOutcome(memberId: string, purpose: string, error: unknown): MemberChargeOutcome | null {
  if (!(error instanceof ApplicationFailure && error.nonRetryable)) return null;
  const details = error.details?.[0] as { stripeObjectId?: string | null; code?: string | null } | undefined;
  return {
    memberId,
    purpose,
    outcome: 'failed',
    failureType: error.type ?? 'failed',
    message: error.message,
    paymentIntentId: details?.stripeObjectId ?? null,
    failureCode: details?.code ?? null,
  };
}

function refuse(message: string): never {
  throw paymentFailure(PaymentFailureType.invalidInput, message, {
    idempotencyKey: '',
    stripeObjectId: null,
    code: null,
    declineCode: null,
    stripeRequestId: null,
  });
}

/**
 * Charges every member of the batch and returns one outcome per member, in input order: the batch's
 * records are read once (`prepare`), each member's charge is taken to Stripe on its own, a few at a
 * time, and the answers are recorded together. A member whose outcome is unknown (Stripe or the
 * database failing) fails the whole activity once every other member has been tried, so that Temporal
 * retries it with backoff: on the retry, members already charged are found in our records (or, for an
 * answer never recorded, by Stripe's search) and answered from Stripe, never charged again.
 */
export async function chargeContributionBatch<Observed>(
  prepare: (input: ContributionBatchInput) => Promise<BatchChargeSteps<Observed>>,
  input: ContributionBatchInput,
): Promise<MemberChargeOutcome[]> {
  if (!Array.isArray(input.charges) || input.charges.length === 0 || input.charges.length > CHARGES_PER_BATCH_MAX) {
    refuse(`a charge batch holds 1-${CHARGES_PER_BATCH_MAX} members`);
  }
  // Two charges under one business key would race each other at Stripe and in our records.
  if (new Set(input.charges.map((c) => `${c.memberId}\u0000${c.purpose}`)).size !== input.charges.length) {
    refuse('a charge batch names each member and purpose once');
  }
  const lookUpInStripe = input.askedBefore === true || Context.current().info.attempt > 1;
  const steps = await prepare(input);
  const outcomes: Array<MemberChargeOutcome | undefined> = new Array(input.charges.length);
  const observed: Array<{ index: number; observed: Observed }> = [];
  const unknown: unknown[] = [];
  const settle = (index: number, error: unknown) => {
    const { memberId, purpose } = input.charges[index]!;
    const outcome = failedOutcome(memberId, purpose, error);
    if (outcome) outcomes[index] = outcome;
    else unknown.push(error);
  };

  let next = 0;
  const lane = async () => {
    for (let i = next++; i < input.charges.length; i = next++) {
      const { memberId, amountMinor, purpose } = input.charges[i]!;
      try {
        const movement = { poolId: input.poolId, round: input.round, memberId, amountMinor, currency: input.currency, purpose };
        observed.push({ index: i, observed: await steps.observe(movement, lookUpInStripe) });
      } catch (error) {
        settle(i, error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHARGES_PER_BATCH_CONCURRENCY_MAX, input.charges.length) }, lane));

  if (observed.length > 0) {
    const results = await steps.recordAll(observed.map((o) => o.observed));
    results.forEach((result, i) => {
      const { index } = observed[i]!;
      const { memberId, purpose } = input.charges[index]!;
      if ('error' in result) settle(index, result.error);
      else outcomes[index] = { memberId, purpose, outcome: 'charged', paymentIntentId: result.summary.paymentIntentId, status: result.summary.status };
    });
  }
  if (unknown.length > 0) {
    const first = unknown[0] instanceof Error ? unknown[0].message : String(unknown[0]);
    throw new Error(`${unknown.length} of ${input.charges.length} charges of pool ${input.poolId} round ${input.round} have no outcome yet (first: ${first})`, {
      cause: unknown[0],
    });
  }
  return outcomes as MemberChargeOutcome[];
}
