// Maps Stripe's errors onto Temporal's retry semantics. Declines and authentication requests are
// business outcomes for the round (dunning and the default policy decide what follows), so they are
// non-retryable failures with stable types; so are requests Stripe will refuse again. Rate limits,
// Stripe-side errors, connection failures and timeouts stay plain errors that Temporal retries.
import { ApplicationFailure } from '@temporalio/common';

/** The stable `type` of every non-retryable failure the payment activities raise. */
export const PaymentFailureType = {
  /** The card or bank declined the charge (card_declined, insufficient_funds, expired_card, …). */
  declined: 'PaymentDeclined',
  /** The issuer wants the cardholder present (3-D Secure); an off-session charge cannot proceed. */
  authenticationRequired: 'PaymentAuthenticationRequired',
  /** The PaymentIntent was canceled (in the Dashboard, say): nothing was or will be collected on it. */
  canceled: 'PaymentCanceled',
  /** Stripe refused the request as malformed or impossible; sending it again changes nothing. */
  invalidRequest: 'StripeInvalidRequest',
  /** The idempotency key was already used with different parameters: a bug in how keys are built. */
  idempotencyConflict: 'StripeIdempotencyConflict',
  /** The platform balance cannot fund a payout transfer; operations must top it up. */
  balanceInsufficient: 'TransferBalanceInsufficient',
  /** The activity's input is malformed (amount, currency, identifiers). */
  invalidInput: 'InvalidPaymentInput',
  /** The member has no Stripe Customer with a default payment method, or no connected account. */
  memberNotPayable: 'MemberNotPayable',
  /** The business key is already bound to a different Stripe object: a duplicate needs a human. */
  conflictingRecord: 'PaymentRecordConflict',
  /** No agreement of the member's to be charged for this pool is in force, or the charge is outside its terms. */
  noAgreement: 'ChargeAgreementMissing',
} as const;

export type PaymentFailureTypeName = (typeof PaymentFailureType)[keyof typeof PaymentFailureType];

/** What a payment failure carries in its `details[0]`, for the workflow to act on. */
export interface PaymentFailureDetails {
  idempotencyKey: string;
  stripeObjectId: string | null;
  code: string | null;
  declineCode: string | null;
  stripeRequestId: string | null;
}

/** The subset of a Stripe SDK error this module reads; `type` is the SDK's class name. */
export interface StripeErrorLike {
  type: string;
  message: string;
  code?: string;
  decline_code?: string;
  statusCode?: number;
  requestId?: string;
  payment_intent?: { id: string; status: string };
  headers?: Record<string, string>;
}

export function isStripeError(error: unknown): error is StripeErrorLike {
  const type = error instanceof Error ? (error as unknown as { type?: unknown }).type : undefined;
  return typeof type === 'string' && type.startsWith('Stripe');
}

/** Decline codes and error codes that mean "the cardholder must authenticate". */
const AUTHENTICATION_CODES = new Set(['authentication_required', 'card_not_enrolled_for_3ds']);

export function paymentFailure(type: PaymentFailureTypeName, message: string, details: PaymentFailureDetails): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type, details);
}

/** The failure type for a card or payment error code, as stored on a failed PaymentIntent. */
export function declineFailureType(code: string | null, declineCode: string | null): PaymentFailureTypeName {
  return AUTHENTICATION_CODES.has(code ?? '') || AUTHENTICATION_CODES.has(declineCode ?? '')
    ? PaymentFailureType.authenticationRequired
    : PaymentFailureType.declined;
}

/**
 * Turns an error from a Stripe call into what the activity should throw: a non-retryable
 * ApplicationFailure for outcomes that retrying cannot change, or the original error (retryable).
 */
export function mapStripeError(error: unknown, context: { idempotencyKey: string; stripeObjectId?: string | null }): unknown {
  if (!isStripeError(error)) return error;
  const details: PaymentFailureDetails = {
    idempotencyKey: context.idempotencyKey,
    stripeObjectId: error.payment_intent?.id ?? context.stripeObjectId ?? null,
    code: error.code ?? null,
    declineCode: error.decline_code ?? null,
    stripeRequestId: error.requestId ?? null,
  };
  switch (error.type) {
    case 'StripeCardError': {
      // Stripe stores a 402 under the idempotency key and answers every retry with it: only a new key
      // (the workflow's next dunning attempt, with its own purpose) can try the card again.
      const type = declineFailureType(details.code, details.declineCode);
      return paymentFailure(type, `${type === PaymentFailureType.declined ? 'payment declined' : 'payment needs authentication'}: ${error.message}`, details);
    }
    case 'StripeInvalidRequestError':
      if (error.code === 'balance_insufficient') return paymentFailure(PaymentFailureType.balanceInsufficient, error.message, details);
      return paymentFailure(PaymentFailureType.invalidRequest, `Stripe refused the request: ${error.message}`, details);
    case 'StripeIdempotencyError':
      return paymentFailure(PaymentFailureType.idempotencyConflict, `idempotency key ${context.idempotencyKey} reused: ${error.message}`, details);
    default:
      // StripeRateLimitError (429), StripeAPIError (5xx, and 409 for a concurrent request with the same
      // key), StripeConnectionError (network failures and timeouts), and authentication or permission
      // errors that a corrected key fixes: all retried by Temporal with backoff.
      return error;
  }
}

/** Stripe's clock in unix seconds from a response's Date header, or ours when the header is missing. */
export function stripeClockSeconds(headers: Record<string, string> | undefined, fallbackMs = Date.now()): number {
  const date = headers?.date ?? headers?.Date;
  const parsedMs = date ? Date.parse(date) : Number.NaN;
  return Math.floor((Number.isNaN(parsedMs) ? fallbackMs : parsedMs) / 1000);
}
