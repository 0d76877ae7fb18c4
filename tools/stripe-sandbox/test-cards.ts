// Stripe's test PaymentMethods (`pm_card_visa`, `pm_card_chargeDeclined`, …) and what a charge on each
// does, plus two sandbox-only cards whose charges stay `processing` and settle later by webhook.
export interface Decline {
  code: string;
  declineCode: string;
  message: string;
}

export type Settlement = { kind: 'succeeds' } | { kind: 'declines'; decline: Decline };
export type CardOutcome = Settlement | { kind: 'processes'; settles: Settlement };

export interface TestCard {
  brand: string;
  last4: string;
  funding: 'credit' | 'debit';
  outcome: CardOutcome;
}

const succeeds: CardOutcome = { kind: 'succeeds' };
const declines = (code: string, declineCode: string, message: string): Settlement => ({
  kind: 'declines',
  decline: { code, declineCode, message },
});
const genericDecline = declines('card_declined', 'generic_decline', 'Your card was declined.');
const insufficientFunds = declines('card_declined', 'insufficient_funds', 'Your card has insufficient funds.');
const lostCard = declines('card_declined', 'lost_card', 'Your card was declined.');
const stolenCard = declines('card_declined', 'stolen_card', 'Your card was declined.');
const expiredCard = declines('expired_card', 'expired_card', 'Your card has expired.');
const processingError = declines('processing_error', 'processing_error', 'An error occurred while processing your card. Try again in a little bit.');

const visa = (last4: string, outcome: CardOutcome): TestCard => ({ brand: 'visa', last4, funding: 'credit', outcome });

export const testCards: Readonly<Record<string, TestCard>> = {
  pm_card_visa: visa('4242', succeeds),
  pm_card_visa_debit: { brand: 'visa', last4: '5556', funding: 'debit', outcome: succeeds },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', funding: 'credit', outcome: succeeds },
  pm_card_amex: { brand: 'amex', last4: '8431', funding: 'credit', outcome: succeeds },
  pm_card_chargeDeclined: visa('0002', genericDecline),
  pm_card_visa_chargeDeclined: visa('0002', genericDecline),
  pm_card_chargeDeclinedInsufficientFunds: visa('9995', insufficientFunds),
  pm_card_visa_chargeDeclinedInsufficientFunds: visa('9995', insufficientFunds),
  pm_card_chargeDeclinedLostCard: visa('9987', lostCard),
  pm_card_visa_chargeDeclinedLostCard: visa('9987', lostCard),
  pm_card_chargeDeclinedStolenCard: visa('9979', stolenCard),
  pm_card_visa_chargeDeclinedStolenCard: visa('9979', stolenCard),
  pm_card_chargeDeclinedExpiredCard: visa('0069', expiredCard),
  pm_card_visa_chargeDeclinedExpiredCard: visa('0069', expiredCard),
  pm_card_chargeDeclinedProcessingError: visa('0119', processingError),
  pm_card_visa_chargeDeclinedProcessingError: visa('0119', processingError),
  // Off-session charges on this card need 3D Secure, which cannot happen without the customer.
  pm_card_authenticationRequired: visa(
    '3184',
    declines('authentication_required', 'authentication_required', 'Your card was declined. This transaction requires authentication.'),
  ),
  // Sandbox-only: the charge is `processing` and settles after the sandbox's settlementDelayMs.
  pm_card_sandbox_processing: visa('1000', { kind: 'processes', settles: { kind: 'succeeds' } }),
  pm_card_sandbox_processingDeclined: visa('1001', { kind: 'processes', settles: insufficientFunds }),
};

export function testCard(id: string): TestCard | undefined {
  return Object.hasOwn(testCards, id) ? testCards[id] : undefined;
}
