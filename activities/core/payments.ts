// Payment activities: charge a contribution (PaymentIntent, off-session, saved card), pay a member out
// (Connect transfer) and refund a contribution. Each money movement is keyed by (pool, round, member,
// purpose); correctness does not rest on Stripe remembering idempotency keys for 24 hours:
//   1. our database: a recorded object is re-read from Stripe and returned, never created again;
//   2. Stripe, by the business key in metadata: finds an object created by an attempt that crashed
//      after Stripe answered and before we recorded it (search lags up to about a minute — inside the
//      idempotency key's 24-hour window, which covers that gap);
//   3. only then create, with the business key as `idempotencyKey` and in `metadata`, and record it.
import type Stripe from 'stripe';
import { type ChargeAgreementRow, findChargeAgreements } from '../../db/consent';
import { type CustomerRow, findConnectAccount, findCustomer, findCustomers } from '../../db/payments/members';
import { findPaymentIntentByKey, findPaymentIntentsByKeys, type PaymentIntentRow } from '../../db/payments/payment-intents';
import { findRefundByKey, type RefundRow } from '../../db/payments/refunds';
import { findTransferByKey, type TransferRow } from '../../db/payments/transfers';
import type { MovementIdentity } from '../../db/payments/movement-table';
import type { Db, Queryable } from '../../db/pool';
import { transaction } from '../../db/transaction';
import { MoneyError, parseCurrency, parseMinor } from '../../domain/core/money';
import {
  declineFailureType,
  isStripeError,
  mapStripeError,
  PaymentFailureType,
  paymentFailure,
  stripeClockSeconds,
  type PaymentFailureDetails,
} from '../../payments/errors';
import { idempotencyKeys, InvalidKeyPartError, type MoneyMovementKind, poolTransferGroup } from '../../domain/core/idempotency-keys';
import { idempotencyKeySearchQuery, type MovementMetadata, movementMetadata, parseMovementMetadata } from '../../payments/metadata';
import {
  type ObservationSource,
  recordNewPaymentIntents,
  recordPaymentIntent,
  recordRefund,
  recordTransfer,
  type Recorded,
  type StripeMovement,
} from '../../payments/records';
import { paymentIntentState } from '../../payments/status-order';
import { businessMetrics } from '../../observability/metrics';
import { type BatchChargeSteps, chargeContributionBatch, type ContributionBatchInput, type MemberChargeOutcome } from '../pools/contribution-batch';

/** A money movement as the workflow asks for it; money crosses the Temporal wall as a decimal string. */
export interface MoneyMovementInput {
  poolId: string;
  round: number;
  memberId: string;
  /** Integer minor units, canonical decimal form ("2500"). */
  amountMinor: string;
  /** Lower-case ISO-4217 code ("usd"). */
  currency: string;
  /** What the movement is for within the round ("contribution", "late-fee", "dunning-2", "pot", …). */
  purpose: string;
}

export interface RefundInput extends MoneyMovementInput {
  /** The purpose under which the refunded contribution was charged. */
  chargePurpose: string;
}

/** What the workflow learns of every recorded movement: its business key and its money. */
interface MovementSummary {
  idempotencyKey: string;
  amountMinor: string;
  currency: string;
}

export interface PaymentIntentSummary extends MovementSummary {
  paymentIntentId: string;
  /** Stripe's PaymentIntent status: succeeded or processing (declines are thrown as failures). */
  status: string;
}

export interface TransferSummary extends MovementSummary {
  transferId: string;
  destinationAccountId: string;
  amountReversedMinor: string;
}

export interface RefundSummary extends MovementSummary {
  refundId: string;
  paymentIntentId: string;
  /** Stripe's refund status: pending, requires_action, succeeded, failed or canceled. */
  status: string;
}

/** Stripe's largest amount is 8 digits for most currencies; anything beyond a safe integer is refused here. */
const STRIPE_AMOUNT_MAX = BigInt(Number.MAX_SAFE_INTEGER);
/** How many transfers or refunds the crash-recovery lookup reads through before giving up. */
export const STRIPE_LOOKUP_OBJECTS_MAX = 1_000;

export interface PaymentActivityDeps {
  stripe: Stripe;
  db: Db;
}

/** An object found in Stripe by its business key, and the observation finding it makes. */
interface Found<T> {
  object: T;
  source: ObservationSource;
}

interface ParsedMovement {
  movement: MovementMetadata;
  amountMinor: bigint;
  currency: string;
}

function noDetails(idempotencyKey: string): PaymentFailureDetails {
  return { idempotencyKey, stripeObjectId: null, code: null, declineCode: null, stripeRequestId: null };
}

function parseMovement(kind: MoneyMovementKind, input: MoneyMovementInput): ParsedMovement {
  try {
    const key = { poolId: input.poolId, round: input.round, memberId: input.memberId, purpose: input.purpose };
    const idempotencyKey = idempotencyKeys[kind](key);
    const amountMinor = parseMinor(input.amountMinor);
    if (amountMinor <= 0n || amountMinor > STRIPE_AMOUNT_MAX) throw new MoneyError(`amount ${input.amountMinor} is not a positive amount Stripe accepts`);
    return { movement: { kind, ...key, idempotencyKey }, amountMinor, currency: parseCurrency(input.currency) };
  } catch (error) {
    if (error instanceof MoneyError || error instanceof InvalidKeyPartError) {
      throw paymentFailure(PaymentFailureType.invalidInput, error.message, noDetails(''));
    }
    throw error;
  }
}

function apiSource(headers: Record<string, string> | undefined): ObservationSource {
  return { at: stripeClockSeconds(headers), source: 'api', eventId: null };
}

function conflict(what: string, idempotencyKey: string, stripeObjectId: string | null): never {
  throw paymentFailure(PaymentFailureType.conflictingRecord, what, { ...noDetails(idempotencyKey), stripeObjectId });
}

/** A recorded or found object must be the movement the workflow asked for, to the cent. */
function checkSameMoney(parsed: ParsedMovement, amountMinor: bigint, currency: string, objectId: string): void {
  if (amountMinor !== parsed.amountMinor || currency !== parsed.currency) {
    conflict(
      `${parsed.movement.idempotencyKey} is bound to ${objectId} for ${amountMinor} ${currency}, not ${parsed.amountMinor} ${parsed.currency}`,
      parsed.movement.idempotencyKey,
      objectId,
    );
  }
}

/** Picks the one object carrying this business key in its metadata; two would be a duplicate for a human. */
function onlyMatch<T extends StripeMovement>(objects: T[], idempotencyKey: string): T | null {
  const matches = objects.filter((object) => parseMovementMetadata(object.metadata)?.idempotencyKey === idempotencyKey);
  if (matches.length > 1)
    conflict(`Stripe holds ${matches.length} objects for ${idempotencyKey}: ${matches.map((m) => m.id).join(', ')}`, idempotencyKey, null);
  return matches[0] ?? null;
}

const movementSummary = (row: MovementIdentity): MovementSummary => ({
  idempotencyKey: row.idempotencyKey,
  amountMinor: row.amountMinor.toString(),
  currency: row.currency,
});

const paymentIntentSummary = (row: PaymentIntentRow): PaymentIntentSummary => ({
  ...movementSummary(row),
  paymentIntentId: row.paymentIntentId,
  status: row.status,
});

const transferSummary = (row: TransferRow): TransferSummary => ({
  ...movementSummary(row),
  transferId: row.transferId,
  destinationAccountId: row.destinationAccountId,
  amountReversedMinor: row.amountReversedMinor.toString(),
});

const refundSummary = (row: RefundRow): RefundSummary => ({
  ...movementSummary(row),
  refundId: row.refundId,
  paymentIntentId: row.paymentIntentId,
  status: row.status,
});

/** A Stripe object, with the response that returned it when an API call just did. */
type Returned<T> = T & Partial<Pick<Stripe.Response<T>, 'lastResponse'>>;

/** The observation an object Stripe returned makes: the response's headers carry Stripe's clock. */
const responseSource = (object: Returned<object>) => apiSource(object.lastResponse?.headers);

type Recorder<Obj, Row> = (client: Queryable, movement: MovementMetadata, object: Obj, source: ObservationSource) => Promise<Recorded<Row>>;

/**
 * A charge's result from its recorded (monotone, best-known) state: a summary when it succeeded or is
 * processing (a webhook will settle it); a non-retryable failure when the charge was declined, needs the
 * cardholder or was canceled, which the same business key will always repeat.
 */
function chargeResult(parsed: ParsedMovement, row: PaymentIntentRow): PaymentIntentSummary {
  const key = parsed.movement.idempotencyKey;
  const details: PaymentFailureDetails = {
    idempotencyKey: key,
    stripeObjectId: row.paymentIntentId,
    code: row.failureCode,
    declineCode: row.declineCode,
    stripeRequestId: null,
  };
  const state = paymentIntentState(row.status, row.failureCode);
  switch (state) {
    case 'succeeded':
    case 'processing':
    case 'requires_capture':
      return paymentIntentSummary(row);
    case 'failed':
    case 'requires_action': {
      const type = state === 'requires_action' ? PaymentFailureType.authenticationRequired : declineFailureType(row.failureCode, row.declineCode);
      throw paymentFailure(type, `contribution ${key} not paid: ${row.failureMessage ?? row.failureCode ?? state}`, details);
    }
    case 'canceled':
      throw paymentFailure(PaymentFailureType.canceled, `contribution ${key}: PaymentIntent ${row.paymentIntentId} was canceled`, details);
    default:
      // Never left so by a create with confirm: true; someone else touched it, and a human must look.
      throw paymentFailure(PaymentFailureType.conflictingRecord, `contribution ${key}: PaymentIntent ${row.paymentIntentId} is ${row.status}`, details);
  }
}

/** Where a charge finds what our records hold about it: queried one by one, or read for a whole batch at once. */
interface ChargeRecords {
  storedPaymentIntent(idempotencyKey: string): Promise<PaymentIntentRow | null>;
  agreementInForce(memberId: string): Promise<ChargeAgreementRow | null>;
  customer(memberId: string): Promise<CustomerRow | null>;
}

/** Stripe's answer to a charge, and when it gave it. */
interface Observed {
  pi: Stripe.PaymentIntent;
  source: ObservationSource;
}

/** A batch member's answer from Stripe, checked against the movement it was asked for, to be recorded. */
interface ObservedCharge extends Observed {
  parsed: ParsedMovement;
}

export function createPaymentActivities(deps: PaymentActivityDeps) {
  const { stripe, db } = deps;

  /**
   * Records an object Stripe returned or we found, once it is shown to be the movement the workflow
   * asked for (to the cent, under its key); returns the row recorded.
   */
  async function recordChecked<Obj extends StripeMovement, Row>(
    parsed: ParsedMovement,
    record: Recorder<Obj, Row>,
    object: Obj,
    source: ObservationSource,
  ): Promise<Row> {
    const key = parsed.movement.idempotencyKey;
    checkSameMoney(parsed, BigInt(object.amount), object.currency, object.id);
    const recorded = await transaction(db, (client) => record(client, parsed.movement, object, source));
    if (recorded.verdict === 'conflict') conflict(`${key} and ${object.id} are recorded against different objects`, key, object.id);
    return recorded.row;
  }

  /**
   * Records the PaymentIntent (in a transaction of its own) and turns its state into the charge's result
   * (chargeResult).
   */
  async function settleCharge(parsed: ParsedMovement, pi: Stripe.PaymentIntent, source: ObservationSource): Promise<PaymentIntentSummary> {
    return chargeResult(parsed, await recordChecked(parsed, recordPaymentIntent, pi, source));
  }

  /**
   * Nobody is charged without their own recorded agreement, whoever asks (the API, an operator's update
   * in the Web UI, a bug): checked here, where the PaymentIntent is created, not only at the API. This is
   * also what stops a join that reached the pool after its agreement was ended as stale
   * (api/pools/stale-agreement.ts): the pool's validator knows its members, not their agreements, so it
   * may take such a member in, but no PaymentIntent is made for them (test/consent-unknown-join.test.ts).
   */
  async function requireAgreement(parsed: ParsedMovement, records: ChargeRecords): Promise<void> {
    const { poolId, memberId, idempotencyKey } = parsed.movement;
    const agreement = await records.agreementInForce(memberId);
    if (!agreement)
      throw paymentFailure(
        PaymentFailureType.noAgreement,
        `member ${memberId} has no agreement in force to be charged for pool ${poolId}`,
        noDetails(idempotencyKey),
      );
    if (agreement.currency !== parsed.currency) {
      throw paymentFailure(
        PaymentFailureType.noAgreement,
        `member ${memberId} agreed to be charged in ${agreement.currency}, not ${parsed.currency}`,
        noDetails(idempotencyKey),
      );
    }
    // The agreement is the one the member joined on: a join on other terms that reached the pool after
    // its own agreement had ended (api/pools/stale-agreement.ts) leaves the member in on terms nobody agreed to.
    const joined = agreement.joinedCommitmentMinor;
    if (agreement.commitmentMinor !== null && joined !== null && joined !== agreement.commitmentMinor) {
      throw paymentFailure(
        PaymentFailureType.noAgreement,
        `member ${memberId} joined pool ${poolId} with a commitment of ${joined}, but the agreement in force is to ${agreement.commitmentMinor}`,
        noDetails(idempotencyKey),
      );
    }
    // An investment member agreed to their commitment: no single call (with arrears and a late fee) goes
    // beyond it. A rotating charge may carry arrears of several rounds, bounded by the pool's own rules.
    if (agreement.commitmentMinor !== null && parsed.amountMinor > agreement.commitmentMinor + agreement.lateFeeMinor) {
      throw paymentFailure(
        PaymentFailureType.noAgreement,
        `charging ${parsed.amountMinor} exceeds member ${memberId}'s commitment of ${agreement.commitmentMinor} to pool ${poolId}`,
        noDetails(idempotencyKey),
      );
    }
  }

  async function findPaymentIntentInStripe(key: string): Promise<Found<Stripe.PaymentIntent> | null> {
    const result = await stripe.paymentIntents.search({ query: idempotencyKeySearchQuery(key), limit: 10 });
    const object = onlyMatch(result.data, key);
    return object ? { object, source: responseSource(result) } : null;
  }

  /** The one object in a Stripe list (read up to STRIPE_LOOKUP_OBJECTS_MAX) carrying this business key. */
  async function findListed<T extends StripeMovement>(list: AsyncIterable<T>, key: string): Promise<Found<T> | null> {
    const candidates: T[] = [];
    for await (const object of list) {
      candidates.push(object);
      if (candidates.length >= STRIPE_LOOKUP_OBJECTS_MAX) break;
    }
    const object = onlyMatch(candidates, key);
    return object ? { object, source: apiSource(undefined) } : null;
  }

  /**
   * One charge up to Stripe's answer, without recording it: the PaymentIntent stored under its key
   * (re-read from Stripe), one an earlier attempt made (found by search, only when `lookUpInStripe`), or
   * a new one (declined ones too: Stripe makes those). Throws when the member may not be charged.
   */
  async function observeCharge(parsed: ParsedMovement, records: ChargeRecords, lookUpInStripe: boolean): Promise<Observed> {
    const key = parsed.movement.idempotencyKey;
    const stored = await records.storedPaymentIntent(key);
    if (stored) {
      const pi = await stripe.paymentIntents.retrieve(stored.paymentIntentId);
      return { pi, source: responseSource(pi) };
    }
    // Only an attempt after one that may have created the PaymentIntent needs Stripe's search: a first
    // attempt is protected by the idempotency key, which Stripe keeps for 24 hours.
    const found = lookUpInStripe ? await findPaymentIntentInStripe(key) : null;
    if (found) return { pi: found.object, source: found.source };

    await requireAgreement(parsed, records);
    const customer = await records.customer(parsed.movement.memberId);
    if (!customer?.defaultPaymentMethodId) {
      throw paymentFailure(PaymentFailureType.memberNotPayable, `member ${parsed.movement.memberId} has no default payment method`, noDetails(key));
    }
    // A new PaymentIntent for a dunning purpose is a dunning retry; one found again is not counted twice.
    if (parsed.movement.purpose.startsWith('dunning-')) businessMetrics.dunningCharges.inc();
    try {
      const pi = await stripe.paymentIntents.create(
        {
          amount: Number(parsed.amountMinor),
          currency: parsed.currency,
          customer: customer.customerId,
          payment_method: customer.defaultPaymentMethodId,
          confirm: true,
          off_session: true,
          // A saved card confirmed off-session never redirects, so no return_url is needed.
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          description: `Poolflow contribution, pool ${parsed.movement.poolId}, round ${parsed.movement.round}`,
          metadata: movementMetadata('contribution', parsed.movement),
        },
        { idempotencyKey: key },
      );
      return { pi, source: responseSource(pi) };
    } catch (error) {
      // A declined off-session charge still creates the PaymentIntent: it is recorded before failing, so
      // the next attempt finds it in our records and the round sees the same outcome.
      if (isStripeError(error) && error.type === 'StripeCardError') businessMetrics.chargesFailed.inc({ reason: error.code ?? 'card_error' });
      if (isStripeError(error) && error.type === 'StripeCardError' && error.payment_intent) {
        const pi = error.payment_intent as Stripe.PaymentIntent;
        if (parseMovementMetadata(pi.metadata)?.idempotencyKey === key) return { pi, source: apiSource(error.headers) };
      }
      throw error;
    }
  }

  /** Our records, asked one query at a time: a lone charge's. */
  const queriedRecords = (poolId: string): ChargeRecords => ({
    storedPaymentIntent: (key) => findPaymentIntentByKey(db, key),
    agreementInForce: async (memberId) => (await findChargeAgreements(db, poolId, [memberId])).get(memberId) ?? null,
    customer: (memberId) => findCustomer(db, memberId),
  });

  /**
   * Charges a member's contribution off-session with their default payment method (see chargeContribution).
   * `lookUpInStripe` asks Stripe's search for a PaymentIntent made by an earlier attempt before creating.
   */
  async function charge(input: MoneyMovementInput, options: { lookUpInStripe: boolean }): Promise<PaymentIntentSummary> {
    const parsed = parseMovement('contribution', input);
    try {
      const { pi, source } = await observeCharge(parsed, queriedRecords(input.poolId), options.lookUpInStripe);
      return await settleCharge(parsed, pi, source);
    } catch (error) {
      throw mapStripeError(error, { idempotencyKey: parsed.movement.idempotencyKey });
    }
  }

  /**
   * A batch's charges: what our records hold for the whole batch is read with one query per table
   * (stored PaymentIntents, agreements in force, Customers), and Stripe's answers are recorded with one
   * statement; only a PaymentIntent recorded already (a webhook came first) takes a transaction of its own.
   */
  const batchSteps = async (input: ContributionBatchInput): Promise<BatchChargeSteps<ObservedCharge>> => {
    const memberIds = input.charges.map((c) => c.memberId);
    const keys = input.charges.flatMap((c) => {
      try {
        return [idempotencyKeys.contribution({ poolId: input.poolId, round: input.round, memberId: c.memberId, purpose: c.purpose })];
      } catch {
        return []; // Refused for that member alone, when it is parsed.
      }
    });
    const [stored, agreements, customers] = await Promise.all([
      findPaymentIntentsByKeys(db, keys),
      findChargeAgreements(db, input.poolId, memberIds),
      findCustomers(db, memberIds),
    ]);
    const storedByKey = new Map(stored.map((row) => [row.idempotencyKey, row]));
    const records: ChargeRecords = {
      storedPaymentIntent: async (key) => storedByKey.get(key) ?? null,
      agreementInForce: async (memberId) => agreements.get(memberId) ?? null,
      customer: async (memberId) => customers.get(memberId) ?? null,
    };
    return {
      async observe(movement, lookUpInStripe) {
        const parsed = parseMovement('contribution', movement);
        try {
          const observed = await observeCharge(parsed, records, lookUpInStripe);
          checkSameMoney(parsed, BigInt(observed.pi.amount), observed.pi.currency, observed.pi.id);
          return { parsed, ...observed };
        } catch (error) {
          throw mapStripeError(error, { idempotencyKey: parsed.movement.idempotencyKey });
        }
      },
      async recordAll(observed) {
        const recorded = await recordNewPaymentIntents(
          db,
          observed.map(({ parsed, pi, source }) => ({ movement: parsed.movement, pi, source })),
        );
        return Promise.all(
          observed.map(async ({ parsed, pi, source }, i) => {
            try {
              const row = recorded[i];
              return { summary: row ? chargeResult(parsed, row.row) : await settleCharge(parsed, pi, source) };
            } catch (error) {
              return { error: mapStripeError(error, { idempotencyKey: parsed.movement.idempotencyKey }) };
            }
          }),
        );
      },
    };
  };

  return {
    /**
     * Charges a member's contribution off-session with their default payment method. Idempotency key
     * and metadata: `contribution:{poolId}:{round}:{memberId}:{purpose}` (domain/core/idempotency-keys.ts).
     * Throws PaymentDeclined / PaymentAuthenticationRequired (non-retryable, details carry the codes and
     * the PaymentIntent ID); a dunning retry is a new purpose, hence a new PaymentIntent.
     */
    async chargeContribution(input: MoneyMovementInput): Promise<PaymentIntentSummary> {
      return charge(input, { lookUpInStripe: true });
    },

    /**
     * Charges up to CHARGES_PER_BATCH_MAX members of a round in one activity, each under their own key
     * and consent check, with an outcome per member (activities/pools/contribution-batch.ts); our records
     * are read and written once per batch (batchSteps). Stripe is searched before creating only on a
     * retry, or when the round asks again.
     */
    async chargeContributions(input: ContributionBatchInput): Promise<MemberChargeOutcome[]> {
      return chargeContributionBatch(batchSteps, input);
    },

    /**
     * Pays a member out to their Express connected account. Idempotency key and metadata:
     * `payout:{poolId}:{round}:{memberId}:{purpose}`; transfer_group `pool-{poolId}`, which is how a
     * transfer created before a crash is found again (Stripe cannot search transfers).
     */
    async transferPayout(input: MoneyMovementInput): Promise<TransferSummary> {
      const parsed = parseMovement('payout', input);
      const key = parsed.movement.idempotencyKey;
      const record = async (transfer: Returned<Stripe.Transfer>, source = responseSource(transfer)) =>
        transferSummary(await recordChecked(parsed, recordTransfer, transfer, source));
      try {
        const stored = await findTransferByKey(db, key);
        if (stored) return await record(await stripe.transfers.retrieve(stored.transferId));
        const found = await findListed(stripe.transfers.list({ transfer_group: poolTransferGroup(parsed.movement.poolId), limit: 100 }), key);
        if (found) return await record(found.object, found.source);

        const account = await findConnectAccount(db, parsed.movement.memberId);
        if (!account) {
          throw paymentFailure(PaymentFailureType.memberNotPayable, `member ${parsed.movement.memberId} has no connected account`, noDetails(key));
        }
        const transfer = await stripe.transfers.create(
          {
            amount: Number(parsed.amountMinor),
            currency: parsed.currency,
            destination: account.accountId,
            transfer_group: poolTransferGroup(parsed.movement.poolId),
            description: `Poolflow payout, pool ${parsed.movement.poolId}, round ${parsed.movement.round}`,
            metadata: movementMetadata('payout', parsed.movement),
          },
          { idempotencyKey: key },
        );
        return await record(transfer);
      } catch (error) {
        throw mapStripeError(error, { idempotencyKey: key });
      }
    },

    /**
     * Refunds (part of) a recorded contribution charge. Idempotency key and metadata:
     * `refund:{poolId}:{round}:{memberId}:{purpose}`; the charge is the one recorded under
     * `contribution:{poolId}:{round}:{memberId}:{chargePurpose}`. A refund that later fails arrives
     * as a webhook (refund.failed) and a signal to the pool workflow.
     */
    async refundContribution(input: RefundInput): Promise<RefundSummary> {
      const parsed = parseMovement('refund', input);
      const key = parsed.movement.idempotencyKey;
      const chargeKey = parseMovement('contribution', { ...input, purpose: input.chargePurpose }).movement.idempotencyKey;
      const record = async (refund: Returned<Stripe.Refund>, source = responseSource(refund)) =>
        refundSummary(await recordChecked(parsed, recordRefund, refund, source));
      try {
        const stored = await findRefundByKey(db, key);
        if (stored) return await record(await stripe.refunds.retrieve(stored.refundId));
        const charge = await findPaymentIntentByKey(db, chargeKey);
        if (!charge) throw paymentFailure(PaymentFailureType.invalidInput, `no contribution is recorded under ${chargeKey}`, noDetails(key));
        if (charge.currency !== parsed.currency || parsed.amountMinor > charge.amountMinor) {
          throw paymentFailure(
            PaymentFailureType.invalidInput,
            `cannot refund ${parsed.amountMinor} ${parsed.currency} of ${charge.amountMinor} ${charge.currency} charged under ${chargeKey}`,
            { ...noDetails(key), stripeObjectId: charge.paymentIntentId },
          );
        }
        const found = await findListed(stripe.refunds.list({ payment_intent: charge.paymentIntentId, limit: 100 }), key);
        if (found) return await record(found.object, found.source);

        const refund = await stripe.refunds.create(
          { payment_intent: charge.paymentIntentId, amount: Number(parsed.amountMinor), metadata: movementMetadata('refund', parsed.movement) },
          { idempotencyKey: key },
        );
        return await record(refund);
      } catch (error) {
        throw mapStripeError(error, { idempotencyKey: key });
      }
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
