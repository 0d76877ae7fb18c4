// Keeps what we store about each Stripe object monotone although webhooks repeat and arrive out of order
// and API responses race with them. Pure: the webhook router and the payment activities both ask it
// whether an observation moves the stored state forward.
//
// The rule, in order:
//   1. Nothing stored yet: take the observation.
//   2. Same state as stored: a webhook confirming what only an API response had told us is a
//      confirmation (stored, because webhooks are the source of truth); else stale.
//   3. A terminal state never changes.
//   4. The later observation wins (Stripe's clock: event `created`, or the Date header of the API
//      response, both in whole seconds); within the same second the state ranked further along its
//      lifecycle wins. The ranks assume what Poolflow does: a PaymentIntent is confirmed once (each
//      dunning attempt is a new PaymentIntent), so an outcome always comes after `processing`.

export type StatusSource = 'api' | 'webhook';

export interface Observation {
  /** A label from the object's order (see the orders below), not necessarily Stripe's raw status. */
  state: string;
  /** Unix seconds on Stripe's clock. */
  at: number;
  source: StatusSource;
}

export interface StateOrder {
  rank(state: string): number;
  terminal(state: string): boolean;
}

export type UpdateVerdict = 'transition' | 'confirmation' | 'stale';

export function decideUpdate(order: StateOrder, current: Observation | null, next: Observation): UpdateVerdict {
  if (current === null) return 'transition';
  if (next.state === current.state) return current.source === 'api' && next.source === 'webhook' ? 'confirmation' : 'stale';
  if (order.terminal(current.state)) return 'stale';
  if (next.at > current.at) return 'transition';
  if (next.at === current.at && order.rank(next.state) > order.rank(current.state)) return 'transition';
  return 'stale';
}

/**
 * PaymentIntent states: Stripe's status, except that `requires_payment_method` with a payment error is
 * `failed` (Stripe reports a declined off-session charge that way), so a failure is never mistaken for,
 * or overwritten by, the freshly created state.
 */
const PAYMENT_INTENT_RANKS: Record<string, number> = {
  requires_payment_method: 0,
  requires_confirmation: 0,
  requires_action: 1,
  processing: 2,
  failed: 3,
  requires_capture: 4,
  succeeded: 5,
  canceled: 5,
};

export function paymentIntentState(status: string, failureCode: string | null): string {
  return status === 'requires_payment_method' && failureCode !== null ? 'failed' : status;
}

export const paymentIntentOrder: StateOrder = {
  rank: (state) => PAYMENT_INTENT_RANKS[state] ?? -1,
  terminal: (state) => state === 'succeeded' || state === 'canceled',
};

/** Refunds: a succeeded refund can still fail later (Stripe sends refund.failed), so only failed/canceled end it. */
const REFUND_RANKS: Record<string, number> = { pending: 1, requires_action: 2, succeeded: 3, failed: 4, canceled: 4 };

export const refundOrder: StateOrder = {
  rank: (state) => REFUND_RANKS[state] ?? -1,
  terminal: (state) => state === 'failed' || state === 'canceled',
};

/**
 * Transfers have no status; what changes is the amount reversed, which only grows. The state label is
 * that amount in minor units; fully reversed is terminal.
 */
export function transferOrder(amountMinor: bigint): StateOrder {
  return {
    rank: (state) => Number(state),
    terminal: (state) => BigInt(state) >= amountMinor,
  };
}
