// One contribution round of a pool, as a child workflow (`pool/{poolId}/round/{n}`): charge every member
// who owes, wait for settlement, retry declined charges on the dunning schedule (with the late fee),
// apply the default policy when the grace period ends, then pay the pot out as a saga. It reports its
// result by completing, to the pool run that started it; a pool that has continued as new since asks
// for a signal instead (rounds of older pools always signal).
import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { MemberChargeOutcome } from '../../activities/pools/contribution-batch';
import type { PaymentActivities } from '../../activities/core/payments';
import type { PoolActivities } from '../../activities/pools/pools';
import { CHARGE_BATCHES_IN_FLIGHT_MAX, CHARGES_PER_BATCH_MAX, chunks, CONTRIBUTIONS_PER_RECORD_MAX } from '../../domain/pools/contribution-batches';
import { roundInputOf, type RoundStart } from '../../domain/pools/round-input';
import { roundResultRows, type RoundReport } from '../../domain/pools/round-report';
import {
  GIVEN_ROUND_SHAPE,
  type MemberRoundResult,
  type PayoutChoice,
  type PayoutRecipient,
  type RoundInput,
  type RoundResult,
} from '../../domain/pools/round-types';
import { STRIPE_ACTIVITY, STRIPE_BATCH_ACTIVITY, STRIPE_LOCAL_ACTIVITY } from '../../temporal-config/policies';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { paymentIntentUpdatedSignal, type PaymentIntentSignal } from '../core/payment-signals';
import { givenShape, workflowShape } from '../core/workflow-shape';
import { poolActivities, poolLocalActivities } from './activity-proxies';
import { choosePayout } from './round-payout';

const payments = proxyActivities<PaymentActivities>(STRIPE_ACTIVITY);
const paymentBatches = proxyActivities<Pick<PaymentActivities, 'chargeContributions'>>(STRIPE_BATCH_ACTIVITY);

/** The round's ledger steps and single Stripe requests after its charges: the payout saga, refunds, the fee. */
interface RoundSteps {
  ledger: Pick<PoolActivities, 'recordContributions' | 'coverFromReserve' | 'recordPayoutFee' | 'reservePayout' | 'postPayout' | 'voidPayout' | 'recordRefund'>;
  stripe: Pick<PaymentActivities, 'transferPayout' | 'refundContribution'>;
}
const remoteSteps: RoundSteps = { ledger: poolActivities, stripe: payments };
/**
 * The same steps as local activities (rounds of the current shape): each is idempotent under its business key, so a
 * workflow task retried after a crash may run it again safely, and each costs one marker event instead of
 * an activity and a workflow task. The charges stay ordinary activities: they heartbeat, and tests and
 * operators read their inputs in the history. Only the round's main line awaits these (its handlers
 * await nothing), so unlike the pool's they need no oneAtATime (workflows/core/one-at-a-time.ts).
 */
const localSteps: RoundSteps = {
  ledger: poolLocalActivities,
  stripe: proxyLocalActivities<PaymentActivities>(STRIPE_LOCAL_ACTIVITY),
};

/** How many charges a round starts at once; bounds pending activities (Temporal allows 2,000). */
export const CHARGES_IN_FLIGHT_MAX = 50;
/** Failed payout transfers are retried this many times before the round escalates to operations. */
export const PAYOUT_ATTEMPTS_MAX = 3;
/** How often a charge or transfer whose outcome Stripe did not give is asked again before operations are called. */
export const UNKNOWN_OUTCOME_ASKS_MAX = 30;
const HOUR_MS = 3_600_000;
/** How long past the grace period a round waits for payments still processing (bank debits can take two weeks). */
export const PROCESSING_WAIT_MAX_MS = 14 * 24 * HOUR_MS;
/**
 * Payments still processing are asked of Stripe after this long, then at doubling intervals up to
 * PROCESSING_POLL_MAX_MS, so that a lost webhook delays a round by minutes; over two weeks of a slow
 * bank debit that is some sixty polls, not thousands.
 */
export const PROCESSING_POLL_FIRST_MS = 60_000;
export const PROCESSING_POLL_MAX_MS = 6 * HOUR_MS;
/** Marks rounds that poll processing payments (histories recorded before this replay without it). */
const POLL_PROCESSING_PATCH = 'poll-processing-payments';
/**
 * Marks rounds that charge their members in batches (one activity per CHARGES_PER_BATCH_MAX members)
 * and record their contributions in batched ledger transactions; earlier rounds charged and recorded
 * each member with activities of their own, and replay so.
 */
const BATCHED_CONTRIBUTIONS_PATCH = 'batched-contributions';
/** Marks reports of a payout escalation to the pool's metrics (older rounds only logged it). */
const PAYOUT_ESCALATION_REPORT_PATCH = 'report-payout-escalation';
/**
 * Marks rounds of the current shape (workflows/core/workflow-shape.ts): every change marked above, and
 * their steps after the charges as local activities (RoundSteps).
 */
const ROUND_SHAPE_PATCH = 'round-shape-2026-11';
/** Marks rounds that escalate payment failures that are not the member's fault to operations. */
const OUR_FAULTS_ESCALATED_PATCH = 'escalate-our-payment-faults';
/** How many member IDs an escalation of a batch names in the Web UI. */
const ESCALATED_MEMBERS_NAMED_MAX = 5;

// The round's input and result types live in domain/, where the pool, the projections and the notices
// read them too.
export type { RoundInput, RoundResult } from '../../domain/pools/round-types';
export type { RoundReport } from '../../domain/pools/round-report';

export interface RoundProgress {
  round: number;
  phase: 'collecting' | 'collection-escalated' | 'paying-out' | 'payout-escalated' | 'done';
  members: Array<{ memberId: string; state: ChargeState; attempts: number; paymentIntentId: string | null }>;
}

type ChargeState = 'charging' | 'processing' | 'failed' | 'paid' | 'covered' | 'defaulted' | 'refunded';

export const roundProgressQuery = defineQuery<RoundProgress>('roundProgress');
/** Operations send this after fixing what made every payout attempt fail (for example onboarding). */
export const retryPayoutSignal = defineSignal('retryPayout');
/** Operations send this after fixing a charge that failed through no fault of the member's (see MEMBER_FAILURE_TYPES). */
export const retryCollectionSignal = defineSignal('retryCollection');

/**
 * The payment failures Stripe attributes to the member: only these start dunning and, in the end, the
 * default policy. Anything else — a request Stripe refused, a key conflict, a missing agreement, a
 * canceled PaymentIntent — is ours to fix, and escalates the collection to operations instead.
 */
export const MEMBER_FAILURE_TYPES: readonly string[] = ['PaymentDeclined', 'PaymentAuthenticationRequired'];
/** Sent by the pool when it is cancelled: a round that has not begun paying out refunds instead. */
export const cancelRoundSignal = defineSignal('cancelRound');
/** Sent by a round to its pool when it has finished: always by rounds of older pools, else when asked. */
export const roundFinishedSignal = defineSignal<[RoundReport]>('roundFinished');
/**
 * Sent by a pool run that continued as new while this round was under way: the round's completion only
 * reaches the run that started it, so it reports to the pool by signal as well.
 */
export const reportRequestedSignal = defineSignal('reportRequested');

interface MemberCharge {
  memberId: string;
  amountMinor: bigint;
  arrearsMinor: bigint;
  state: ChargeState;
  attempts: number;
  purpose: string;
  paymentIntentId: string | null;
  failureCode: string | null;
  lateFeeMinor: bigint;
}

export async function contributionRound(start: RoundStart): Promise<RoundReport> {
  const input = roundInputOf(start);
  // A round given its shape by its pool calls no patched(): two events fewer (the marker and its upsert).
  const shape = input.shape ? givenShape : workflowShape(ROUND_SHAPE_PATCH);
  let reportRequested = input.shape === undefined;
  const lateFeeMinor = BigInt(input.lateFeeMinor);
  const charges = input.dues.map<MemberCharge>((due) => ({
    memberId: due.memberId,
    amountMinor: BigInt(due.amountMinor),
    arrearsMinor: BigInt(due.arrearsMinor ?? '0'),
    state: 'charging',
    attempts: 0,
    purpose: 'contribution',
    paymentIntentId: null,
    failureCode: null,
    lateFeeMinor: 0n,
  }));
  const byMember = new Map(charges.map((charge) => [charge.memberId, charge]));
  let phase: RoundProgress['phase'] = 'collecting';
  /** Operations asked to retry an escalated stage (the retryPayout and retryCollection signals). */
  const retryRequested = { payout: false, collection: false };
  let cancelRequested = false;
  const policyApplied = new Map<string, MemberRoundResult['policyApplied']>();

  setHandler(roundProgressQuery, () => ({
    round: input.round,
    phase,
    members: charges.map((c) => ({ memberId: c.memberId, state: c.state, attempts: c.attempts, paymentIntentId: c.paymentIntentId })),
  }));
  setHandler(retryPayoutSignal, () => {
    retryRequested.payout = true;
  });
  setHandler(cancelRoundSignal, () => {
    cancelRequested = true;
  });
  setHandler(reportRequestedSignal, () => {
    reportRequested = true;
  });
  setHandler(retryCollectionSignal, () => {
    retryRequested.collection = true;
  });
  // Gated: histories recorded before escalation existed treated every definite failure as the member's.
  const escalatesOurFaults = shape.since(OUR_FAULTS_ESCALATED_PATCH);
  // Charges run side by side, so several may wait for operations at once (one log line each): the
  // details list them all, and the round leaves the escalated phase once the last of them is retried.
  const waitingForOperations = new Map<number, string>();
  let escalationsMade = 0;
  let phaseBeforeEscalation: RoundProgress['phase'] = phase;
  const batched = shape.since(BATCHED_CONTRIBUTIONS_PATCH);
  const steps = shape.current ? localSteps : remoteSteps;
  /**
   * Waits, visibly in the Web UI (the round's current details and phase), until operations have fixed
   * the cause and sent the retry signal; the caller then asks again under the same idempotency key.
   */
  const escalate = async (stage: keyof typeof retryRequested, what: string) => {
    const escalatedPhase = stage === 'payout' ? 'payout-escalated' : 'collection-escalated';
    const showWaiting = () =>
      setCurrentDetails(
        waitingForOperations.size === 0
          ? ''
          : `**Needs operations** — ${[...waitingForOperations.values()].join('; ')}. Fix the cause, then send the \`${escalatedPhase === 'payout-escalated' ? 'retryPayout' : 'retryCollection'}\` signal.`,
      );
    const id = ++escalationsMade;
    if (waitingForOperations.size === 0) phaseBeforeEscalation = phase;
    waitingForOperations.set(id, what);
    phase = escalatedPhase;
    retryRequested[stage] = false;
    showWaiting();
    log.warn('round escalated to operations', { poolId: input.poolId, round: input.round, what, waiting: waitingForOperations.size });
    await condition(() => retryRequested[stage]);
    waitingForOperations.delete(id);
    showWaiting();
    if (waitingForOperations.size === 0) phase = phaseBeforeEscalation;
  };
  const escalatePayout = (what: string) => escalate('payout', what);
  const escalateCollection = (what: string) => escalate('collection', what);
  // Webhooks settle charges that were still processing. Signals repeat and arrive out of order, so a
  // signal only moves a charge that is processing and only for the attempt it names.
  // A webhook may even beat the charge activity's own answer: it is kept until that answer comes.
  const settle = (charge: MemberCharge, signal: PaymentIntentSignal) => {
    if (signal.status === 'succeeded') charge.state = 'paid';
    else if (signal.status === 'requires_payment_method' || signal.status === 'canceled') {
      charge.state = 'failed';
      charge.failureCode = signal.failureCode ?? signal.status;
    }
  };
  const early = new Map<string, PaymentIntentSignal>();
  setHandler(paymentIntentUpdatedSignal, (signal: PaymentIntentSignal) => {
    const charge = byMember.get(signal.memberId);
    if (!charge || signal.round !== input.round || signal.purpose !== charge.purpose) return;
    if (charge.state === 'processing') settle(charge, signal);
    else if (charge.state === 'charging' && signal.status !== 'processing') early.set(charge.memberId, signal);
  });

  /** A PaymentIntent that succeeded or is processing; a webhook that came before this answer is applied now. */
  const charged = (member: MemberCharge, paymentIntentId: string, status: string) => {
    member.paymentIntentId = paymentIntentId;
    member.state = status === 'succeeded' ? 'paid' : 'processing';
    const signal = early.get(member.memberId);
    early.delete(member.memberId);
    if (member.state === 'processing' && signal?.purpose === member.purpose) settle(member, signal);
  };

  // A charge ends paid, processing (a webhook will settle it) or failed. An outcome Stripe did not give
  // (an outage outlasting the activity's retries) is asked again under the same idempotency key.
  const charge = async (member: MemberCharge): Promise<void> => {
    member.attempts++;
    member.state = 'charging';
    const amountMinor = member.amountMinor + member.arrearsMinor + member.lateFeeMinor;
    for (let asks = 1; ; asks++) {
      try {
        const summary = await payments.chargeContribution({
          poolId: input.poolId,
          round: input.round,
          memberId: member.memberId,
          amountMinor: amountMinor.toString(),
          currency: input.currency,
          purpose: member.purpose,
        });
        charged(member, summary.paymentIntentId, summary.status);
        return;
      } catch (error) {
        const failure = definiteFailure(error);
        if (!failure) {
          log.warn('contribution charge outcome unknown; asking again', { memberId: member.memberId, purpose: member.purpose });
          if (escalatesOurFaults && asks >= UNKNOWN_OUTCOME_ASKS_MAX) {
            await escalateCollection(`the charge of ${member.memberId} (${member.purpose}) has had no outcome from Stripe after ${asks} asks`);
            asks = 0;
          } else await sleep('1 minute');
          continue;
        }
        if (escalatesOurFaults && !MEMBER_FAILURE_TYPES.includes(failure.type ?? '')) {
          await escalateCollection(`the charge of ${member.memberId} (${member.purpose}) failed with ${failure.type}: ${failure.message}`);
          continue;
        }
        const details = failure.details?.[0] as { stripeObjectId?: string | null; code?: string | null } | undefined;
        member.paymentIntentId = details?.stripeObjectId ?? member.paymentIntentId;
        member.failureCode = details?.code ?? failure.type ?? 'failed';
        member.state = 'failed';
        log.info('contribution not paid', { memberId: member.memberId, attempt: member.attempts, type: failure.type });
        return;
      }
    }
  };

  // Batched: one activity charges up to CHARGES_PER_BATCH_MAX members, each with an outcome of their
  // own. A batch whose outcome is unknown is asked again whole, under the same keys, and members whose
  // charge failed through no fault of theirs are escalated together and asked again once fixed.
  const chargeBatch = async (batch: MemberCharge[]): Promise<void> => {
    for (const member of batch) {
      member.attempts++;
      member.state = 'charging';
    }
    let pending = batch;
    let askedBefore = false;
    for (let asks = 1; pending.length > 0; asks++) {
      let outcomes: MemberChargeOutcome[];
      try {
        outcomes = await paymentBatches.chargeContributions({
          poolId: input.poolId,
          round: input.round,
          currency: input.currency,
          charges: pending.map((m) => ({
            memberId: m.memberId,
            amountMinor: (m.amountMinor + m.arrearsMinor + m.lateFeeMinor).toString(),
            purpose: m.purpose,
          })),
          askedBefore,
        });
      } catch (error) {
        askedBefore = true;
        const failure = definiteFailure(error);
        if (failure) {
          await escalateCollection(`a batch of ${pending.length} charges was refused with ${failure.type}: ${failure.message}`);
          asks = 0;
        } else if (asks >= UNKNOWN_OUTCOME_ASKS_MAX) {
          await escalateCollection(`a batch of ${pending.length} charges has had no outcome from Stripe after ${asks} asks`);
          asks = 0;
        } else {
          log.warn('contribution batch outcome unknown; asking again', { members: pending.length, asks });
          await sleep('1 minute');
        }
        continue;
      }
      askedBefore = true;
      const ours: Array<{ member: MemberCharge; failure: string }> = [];
      outcomes.forEach((outcome, i) => {
        const member = pending[i]!;
        if (outcome.outcome === 'charged') charged(member, outcome.paymentIntentId, outcome.status);
        else if (!MEMBER_FAILURE_TYPES.includes(outcome.failureType)) ours.push({ member, failure: `${outcome.failureType}: ${outcome.message}` });
        else {
          member.paymentIntentId = outcome.paymentIntentId ?? member.paymentIntentId;
          member.failureCode = outcome.failureCode ?? outcome.failureType;
          member.state = 'failed';
          log.info('contribution not paid', { memberId: member.memberId, attempt: member.attempts, type: outcome.failureType });
        }
      });
      pending = ours.map((o) => o.member);
      if (ours.length > 0) {
        const named = ours.slice(0, ESCALATED_MEMBERS_NAMED_MAX).map((o) => `${o.member.memberId} (${o.member.purpose}) failed with ${o.failure}`);
        await escalateCollection(`the charge of ${named.join('; ')}${ours.length > named.length ? `; and ${ours.length - named.length} more` : ''}`);
        asks = 0;
      }
    }
  };

  const chargeAll = async (members: MemberCharge[]) => {
    if (batched) {
      // A few lanes, each taking the next batch as soon as its last one is done.
      const batches = chunks(members, CHARGES_PER_BATCH_MAX);
      const lane = async () => {
        for (let batch = batches.shift(); batch; batch = batches.shift()) await chargeBatch(batch);
      };
      await Promise.all(Array.from({ length: Math.min(CHARGE_BATCHES_IN_FLIGHT_MAX, batches.length) }, lane));
      return;
    }
    for (let start = 0; start < members.length; start += CHARGES_IN_FLIGHT_MAX) {
      await Promise.all(members.slice(start, start + CHARGES_IN_FLIGHT_MAX).map(charge));
    }
  };

  // Stripe is asked about payments still processing, in case their webhook never comes. Asking is
  // charging again under the same idempotency key: it finds the PaymentIntent, never makes another.
  let collecting = true;
  const refresh = async (member: MemberCharge) => {
    try {
      const summary = await payments.chargeContribution({
        poolId: input.poolId,
        round: input.round,
        memberId: member.memberId,
        amountMinor: (member.amountMinor + member.arrearsMinor + member.lateFeeMinor).toString(),
        currency: input.currency,
        purpose: member.purpose,
      });
      if (collecting && member.state === 'processing' && summary.status === 'succeeded') member.state = 'paid';
    } catch (error) {
      const failure = definiteFailure(error);
      if (!failure || !collecting || member.state !== 'processing') return; // Unknown: asked again at the next poll.
      const details = failure.details?.[0] as { code?: string | null } | undefined;
      member.failureCode = details?.code ?? failure.type ?? 'failed';
      member.state = 'failed';
    }
  };
  const pollProcessing = async () => {
    let intervalMs = PROCESSING_POLL_FIRST_MS;
    for (;;) {
      await condition(() => !collecting || charges.some((c) => c.state === 'processing'));
      if (!collecting) return;
      // Nothing settles the payments while this waits but a webhook: when one does, polling stops.
      if (await condition(() => !collecting || charges.every((c) => c.state !== 'processing'), intervalMs)) {
        intervalMs = PROCESSING_POLL_FIRST_MS;
        continue;
      }
      for (const member of charges.filter((c) => c.state === 'processing')) await refresh(member);
      intervalMs = Math.min(intervalMs * 2, PROCESSING_POLL_MAX_MS);
    }
  };
  const polling = shape.since(POLL_PROCESSING_PATCH) ? pollProcessing() : Promise.resolve();

  // 1. The first charge of every member.
  await chargeAll(charges);

  // 2. Dunning: each retry comes at its offset from the round's start, inside the grace period, and
  //    carries the late fee. A retry is a new purpose, hence a new idempotency key and PaymentIntent.
  const startedAtMs = workflowInfo().runStartTime.getTime();
  const graceEndsAtMs = startedAtMs + input.gracePeriodHours * HOUR_MS;
  for (const [index, retryHours] of input.dunningRetryHours.entries()) {
    const retryAtMs = startedAtMs + retryHours * HOUR_MS;
    if (retryAtMs >= graceEndsAtMs) break;
    await waitUntil(retryAtMs, () => cancelRequested || charges.every((c) => c.state === 'paid'));
    if (cancelRequested) break;
    const failed = charges.filter((c) => c.state === 'failed');
    if (failed.length === 0) continue;
    for (const member of failed) {
      member.purpose = `dunning-${index + 1}`;
      member.lateFeeMinor = lateFeeMinor;
    }
    await chargeAll(failed);
  }

  // 3. Settlement of what is still processing, until the grace period ends. A cancelled round waits
  //    too: a payment that succeeds after all is refunded with the others, not left collected. What has
  //    not settled by then is not paid this round, and a later webhook no longer changes that.
  await waitUntil(graceEndsAtMs, () => charges.every((c) => c.state === 'paid' || c.state === 'failed'));
  // A payment still processing then is money on its way, not a default: its outcome is awaited, for
  // PROCESSING_WAIT_MAX_MS at most, so nobody is put in arrears — and charged again for this round with
  // their next contribution — for a payment that then succeeds.
  if (charges.some((c) => c.state === 'processing')) {
    await waitUntil(graceEndsAtMs + PROCESSING_WAIT_MAX_MS, () => charges.every((c) => c.state !== 'processing'));
  }
  collecting = false;
  await polling;
  for (const member of charges) if (member.state !== 'paid') member.state = 'defaulted';

  // 4. Every paid contribution into the ledger (batched: a few hundred in one transaction); the
  //    default policy for the rest.
  const contribution = (member: MemberCharge) => ({
    poolId: input.poolId,
    round: input.round,
    memberId: member.memberId,
    currency: input.currency,
    amountMinor: member.amountMinor.toString(),
    lateFeeMinor: member.lateFeeMinor.toString(),
    arrearsMinor: member.arrearsMinor.toString(),
    paymentIntentId: member.paymentIntentId,
  });
  const paidMembers = charges.filter((c) => c.state === 'paid');
  if (batched) {
    for (const batch of chunks(paidMembers, CONTRIBUTIONS_PER_RECORD_MAX)) await steps.ledger.recordContributions({ contributions: batch.map(contribution) });
  } else {
    for (const member of paidMembers) await poolActivities.recordContribution(contribution(member));
  }
  if (cancelRequested) {
    await refundAll(input, charges, steps);
    return await finish(input, charges, policyApplied, null, 0, reportRequested);
  }
  for (const member of charges.filter((c) => c.state !== 'paid')) {
    member.state = 'defaulted';
    if (input.defaultPolicy !== 'cover-from-reserve') {
      policyApplied.set(member.memberId, input.defaultPolicy);
      continue;
    }
    const covered = await steps.ledger.coverFromReserve({
      poolId: input.poolId,
      round: input.round,
      memberId: member.memberId,
      currency: input.currency,
      amountMinor: member.amountMinor.toString(),
    });
    // A reserve too small to cover the member leaves them suspended instead.
    policyApplied.set(member.memberId, covered ? 'covered' : 'suspend');
    if (covered) member.state = 'covered';
  }

  // 5. The payout saga.
  phase = 'paying-out';
  const potMinor = charges.filter((c) => c.state === 'paid' || c.state === 'covered').reduce((sum, c) => sum + c.amountMinor, 0n);
  const unpaid = new Set(charges.filter((c) => c.state === 'defaulted' || c.state === 'covered').map((c) => c.memberId));
  const defaulted = new Set(charges.filter((c) => c.state === 'defaulted').map((c) => c.memberId));
  const choice = choosePayout(input.payout, potMinor, unpaid, defaulted, input.round);
  let payoutAttempts = 0;
  if (choice) {
    await steps.ledger.recordPayoutFee({
      poolId: input.poolId,
      round: input.round,
      currency: input.currency,
      feeMinor: choice.feeMinor,
      kind: input.payout.kind,
    });
    const paid = new Set<string>();
    // Attempts are numbered per recipient, so that each one's keys (`pot-a1`, `dividend-a1`, …) do not
    // depend on how many attempts the others needed.
    const attemptsOf = new Map<string, number>();
    for (;;) {
      for (const recipient of choice.recipients) {
        if (paid.has(recipient.memberId)) continue;
        const before = attemptsOf.get(recipient.memberId) ?? 0;
        const outcome = await payRecipient(input, steps, recipient, before, escalatesOurFaults ? escalatePayout : null);
        attemptsOf.set(recipient.memberId, outcome.attempts);
        payoutAttempts += outcome.attempts - before;
        if (outcome.paid) paid.add(recipient.memberId);
      }
      if (paid.size === choice.recipients.length) break;
      // Every attempt for someone failed: escalate to operations, who fix the cause and ask again.
      phase = 'payout-escalated';
      log.warn('payout escalated to operations', { poolId: input.poolId, round: input.round });
      // Counted for the escalated-payout alert; rounds recorded before this report replay without it.
      if (shape.since(PAYOUT_ESCALATION_REPORT_PATCH)) await poolActivities.reportPayoutEscalated({ poolId: input.poolId, round: input.round });
      retryRequested.payout = false;
      await condition(() => retryRequested.payout);
      phase = 'paying-out';
    }
  }

  return await finish(input, charges, policyApplied, choice, payoutAttempts, reportRequested);
}

/**
 * Builds the round's report — rows in the current shape, else objects — and signals it to the pool
 * workflow when `bySignal` (else the completion reports it).
 */
async function finish(
  input: RoundInput,
  charges: MemberCharge[],
  policyApplied: Map<string, MemberRoundResult['policyApplied']>,
  choice: PayoutChoice | null,
  payoutAttempts: number,
  bySignal: boolean,
): Promise<RoundReport> {
  // Everything that entered the pot this round; refunds and the payout take it out again.
  const collected = charges.filter((c) => c.state === 'paid' || c.state === 'covered' || c.state === 'refunded');
  const result: RoundResult = {
    round: input.round,
    potMinor: collected.reduce((sum, c) => sum + c.amountMinor, 0n).toString(),
    payout: choice,
    payoutAttempts,
    members: charges.map((c) => {
      const paid = c.state === 'paid' || c.state === 'refunded';
      return {
        memberId: c.memberId,
        outcome:
          c.state === 'paid'
            ? c.lateFeeMinor > 0n
              ? 'paid-late'
              : 'paid'
            : c.state === 'covered'
              ? 'covered'
              : c.state === 'refunded'
                ? 'refunded'
                : 'defaulted',
        owedMinor: c.amountMinor.toString(),
        paidMinor: paid ? (c.amountMinor + c.arrearsMinor + c.lateFeeMinor).toString() : '0',
        lateFeeMinor: paid ? c.lateFeeMinor.toString() : '0',
        arrearsPaidMinor: paid ? c.arrearsMinor.toString() : '0',
        policyApplied: policyApplied.get(c.memberId) ?? 'none',
        paymentIntentId: c.paymentIntentId,
        failureCode: paid ? null : c.failureCode,
      };
    }),
  };
  const report = input.shape === GIVEN_ROUND_SHAPE ? roundResultRows(result) : result;
  if (bySignal) await getExternalWorkflowHandle(workflowIds.pool(input.poolId)).signal(roundFinishedSignal, report);
  return report;
}

/**
 * The pool was cancelled before the payout: every paid contribution goes back through a Stripe refund,
 * recorded in the ledger. Late fees stay in the reserve.
 */
async function refundAll(input: RoundInput, charges: MemberCharge[], steps: RoundSteps): Promise<void> {
  for (const member of charges.filter((c) => c.state === 'paid')) {
    const movement = { poolId: input.poolId, round: input.round, memberId: member.memberId, currency: input.currency };
    const refund = await steps.stripe.refundContribution({
      ...movement,
      amountMinor: member.amountMinor.toString(),
      purpose: 'cancellation',
      chargePurpose: member.purpose,
    });
    await steps.ledger.recordRefund({ ...movement, amountMinor: member.amountMinor.toString(), refundId: refund.refundId });
    member.state = 'refunded';
  }
}

/** Sleeps until `atMs` (workflow time) or until `done()` holds, whichever comes first. */
async function waitUntil(atMs: number, done: () => boolean): Promise<void> {
  const remainingMs = atMs - Date.now();
  if (remainingMs > 0) await condition(done, remainingMs);
}

/**
 * Pays one recipient as a saga: reserve the amount in the ledger (pending), transfer it through Stripe,
 * then post the reservation. A definite failure (Stripe refused) voids the reservation and starts a new
 * attempt under a new key; anything else (a timeout, an outage) is retried under the SAME key, since
 * Stripe may have made that transfer, so no second transfer can ever be created beside it.
 */
async function payRecipient(
  input: RoundInput,
  steps: RoundSteps,
  recipient: PayoutRecipient,
  attemptsBefore: number,
  escalate: ((what: string) => Promise<void>) | null,
): Promise<{ paid: boolean; attempts: number }> {
  let attempts = attemptsBefore;
  for (let attempt = 1; attempt <= PAYOUT_ATTEMPTS_MAX; attempt++) {
    attempts++;
    const key = { poolId: input.poolId, round: input.round, memberId: recipient.memberId, purpose: `${recipient.purpose}-a${attempts}` };
    await steps.ledger.reservePayout({ ...key, currency: input.currency, amountMinor: recipient.amountMinor });
    for (let asks = 1; ; asks++) {
      try {
        await steps.stripe.transferPayout({ ...key, amountMinor: recipient.amountMinor, currency: input.currency });
        await steps.ledger.postPayout(key);
        return { paid: true, attempts };
      } catch (error) {
        if (definiteFailure(error)) break;
        log.warn('payout transfer outcome unknown; asking again under the same key', { ...key });
        // Never a new key while Stripe may have made the transfer: past the bound, operations look.
        if (escalate && asks >= UNKNOWN_OUTCOME_ASKS_MAX) {
          await escalate(`the transfer to ${recipient.memberId} (${key.purpose}) has had no outcome from Stripe after ${asks} asks`);
          asks = 0;
        } else await sleep('1 minute');
      }
    }
    log.warn('payout transfer refused; voiding the reservation', { ...key });
    await steps.ledger.voidPayout(key);
    await sleep(`${2 ** attempt} minutes`);
  }
  return { paid: false, attempts };
}

/**
 * The non-retryable ApplicationFailure behind an activity's failure — Stripe said no and will say it
 * again — or undefined when the outcome is unknown. Cancellation is passed on as it is.
 */
function definiteFailure(error: unknown): ApplicationFailure | undefined {
  if (isCancellation(error)) throw error;
  const cause = error instanceof ApplicationFailure ? error : (error as { cause?: unknown }).cause;
  return cause instanceof ApplicationFailure && cause.nonRetryable === true ? cause : undefined;
}
