// PaymentIntents, their charges and refunds, as Stripe test mode runs them: the test card decides the
// outcome (succeeded, declined with a 402 card error, authentication required, or processing until a
// delayed settlement), and refunds may never exceed what was captured minus what was refunded before.
import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { newMoneyMovement, requestOrigin, storeCreated, storedOrigin, type HandlerContext, type HandlerResult, type SandboxServices } from './context';
import { docUrl, invalidRequest, resourceMissing, StripeHttpError } from './errors';
import { integerParam, mapParam, objectParam, stringParam, type Params } from './params';
import { newId, nowSeconds, type StoredObject } from './state';
import { testCard, type Decline, type Settlement, type TestCard } from './test-cards';

export async function createPaymentIntent(ctx: HandlerContext): Promise<HandlerResult> {
  const { params } = ctx.request;
  const captureMethod = stringParam(params, 'capture_method') ?? 'automatic';
  if (captureMethod === 'manual') {
    throw invalidRequest('The sandbox does not model capture_method=manual; use automatic capture.', { param: 'capture_method' });
  }
  const customer = stringParam(params, 'customer');
  if (customer !== undefined && !ctx.state.get('customer', customer, ctx.request.secretKey)) throw resourceMissing('customer', customer, 'customer', 400);
  const paymentMethod = stringParam(params, 'payment_method');
  // An unknown payment method fails the whole request: no PaymentIntent is created.
  if (paymentMethod !== undefined) resolveCard(ctx, paymentMethod, ctx.request.secretKey);

  const id = newId('pi');
  const destination = stringParam(objectParam(params, 'transfer_data') ?? {}, 'destination');
  const intent: Stripe.PaymentIntent = {
    ...newMoneyMovement<Stripe.PaymentIntent>(ctx, id, 'payment_intent'),
    amount_capturable: 0,
    amount_received: 0,
    application_fee_amount: integerParam(params, 'application_fee_amount') ?? null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: captureMethod as Stripe.PaymentIntent.CaptureMethod,
    client_secret: `${id}_secret_${randomBytes(12).toString('hex')}`,
    confirmation_method: (stringParam(params, 'confirmation_method') ?? 'automatic') as Stripe.PaymentIntent.ConfirmationMethod,
    created: nowSeconds(),
    customer: customer ?? null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    next_action: null,
    on_behalf_of: stringParam(params, 'on_behalf_of') ?? null,
    payment_method: paymentMethod ?? null,
    processing: null,
    receipt_email: stringParam(params, 'receipt_email') ?? null,
    review: null,
    setup_future_usage: (stringParam(params, 'setup_future_usage') ?? null) as Stripe.PaymentIntent.SetupFutureUsage | null,
    shipping: null,
    status: paymentMethod === undefined ? 'requires_payment_method' : 'requires_confirmation',
    transfer_data: destination === undefined ? null : ({ destination } as Stripe.PaymentIntent.TransferData),
  };
  const stored = storeCreated(ctx, 'payment_intent', intent);
  ctx.emit('payment_intent.created', intent, requestOrigin(ctx.request));
  if (params.confirm !== 'true') return { status: 200, body: intent, objectId: id };
  return { ...(await confirm(ctx, stored, paymentMethod, isOffSession(params))), objectId: id };
}

export async function confirmPaymentIntent(ctx: HandlerContext): Promise<HandlerResult> {
  const stored = storedIntent(ctx, ctx.pathParams[0]!);
  return confirm(ctx, stored, stringParam(ctx.request.params, 'payment_method'), isOffSession(ctx.request.params));
}

export function cancelPaymentIntent(ctx: HandlerContext): HandlerResult {
  const stored = storedIntent(ctx, ctx.pathParams[0]!);
  const intent = stored.body;
  if (!['requires_payment_method', 'requires_confirmation', 'requires_action', 'requires_capture'].includes(intent.status)) {
    throw unexpectedState(intent, `You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`);
  }
  intent.status = 'canceled';
  intent.canceled_at = nowSeconds();
  intent.cancellation_reason = (stringParam(ctx.request.params, 'cancellation_reason') ?? null) as Stripe.PaymentIntent.CancellationReason | null;
  ctx.emit('payment_intent.canceled', snapshot(intent), requestOrigin(ctx.request));
  return { status: 200, body: intent };
}

/**
 * Settles a `processing` PaymentIntent as its card says (succeeded or payment_failed) and sends the
 * webhooks. Called by the settlement timer or the control API; false when there is nothing to settle.
 */
export function settlePaymentIntent(services: SandboxServices, intentId: string): boolean {
  const stored = services.state.get('payment_intent', intentId);
  const intent = stored?.body;
  if (!stored || intent?.status !== 'processing' || typeof intent.latest_charge !== 'string') return false;
  const charge = services.state.get('charge', intent.latest_charge)!;
  const paymentMethodId = charge.body.payment_method!;
  const card = cardOf(services, paymentMethodId, stored.secretKey)!;
  const settles: Settlement = card.outcome.kind === 'processes' ? card.outcome.settles : { kind: 'succeeds' };
  const origin = storedOrigin(stored);
  if (settles.kind === 'succeeds') {
    succeedCharge(charge.body);
    markSucceeded(intent, charge.body.id, paymentMethodId);
    services.emit('charge.succeeded', snapshot(charge.body), origin);
    services.emit('payment_intent.succeeded', snapshot(intent), origin);
  } else {
    failCharge(charge.body, settles.decline);
    markFailed(intent, charge.body, settles.decline, paymentMethodObject(services, paymentMethodId, stored.secretKey, card, null));
    services.emit('charge.failed', snapshot(charge.body), origin);
    services.emit('payment_intent.payment_failed', snapshot(intent), origin);
  }
  return true;
}

/** `off_session` is `true`, `one_off` or `recurring` when the customer is not there to authenticate. */
function isOffSession(params: Params): boolean {
  const value = stringParam(params, 'off_session');
  return value !== undefined && value !== 'false';
}

async function confirm(
  ctx: HandlerContext,
  stored: StoredObject<'payment_intent'>,
  paymentMethodParam: string | undefined,
  offSession: boolean,
): Promise<HandlerResult> {
  const intent = stored.body;
  if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(intent.status)) {
    throw unexpectedState(
      intent,
      `You cannot confirm this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the ` +
        'following statuses may be confirmed: requires_confirmation, requires_action, requires_payment_method.',
    );
  }
  const paymentMethodId = paymentMethodParam ?? idOf(intent.payment_method);
  if (paymentMethodId === undefined) {
    throw unexpectedState(
      intent,
      "You cannot confirm this PaymentIntent because it's missing a payment method. Update the PaymentIntent with a payment method and then confirm it again.",
    );
  }
  const card = resolveCard(ctx, paymentMethodId, ctx.request.secretKey);
  const template = await ctx.upstream.template('payment_method', ctx.request.authorization);
  const paymentMethod = paymentMethodObject(ctx, paymentMethodId, ctx.request.secretKey, card, template);
  const origin = requestOrigin(ctx.request);
  const outcome = card.outcome;
  if (outcome.kind === 'declines' && outcome.decline.code === 'authentication_required' && !offSession) {
    // On-session the customer can still authenticate: the PaymentIntent waits for them, no charge yet.
    intent.status = 'requires_action';
    intent.payment_method = paymentMethodId;
    intent.next_action = { type: 'use_stripe_sdk', use_stripe_sdk: {} } as Stripe.PaymentIntent.NextAction;
    ctx.emit('payment_intent.requires_action', snapshot(intent), origin);
    return { status: 200, body: intent };
  }
  const charge = await createCharge(ctx, intent, paymentMethodId, card);
  switch (outcome.kind) {
    case 'succeeds':
      markSucceeded(intent, charge.id, paymentMethodId);
      ctx.emit('charge.succeeded', snapshot(charge), origin);
      ctx.emit('payment_intent.succeeded', snapshot(intent), origin);
      return { status: 200, body: intent };
    case 'processes':
      intent.status = 'processing';
      intent.latest_charge = charge.id;
      intent.payment_method = paymentMethodId;
      intent.last_payment_error = null;
      intent.next_action = null;
      ctx.emit('charge.pending', snapshot(charge), origin);
      ctx.emit('payment_intent.processing', snapshot(intent), origin);
      ctx.state.later(ctx.state.settings.settlementDelayMs, () => settlePaymentIntent(ctx, intent.id));
      return { status: 200, body: intent };
    case 'declines': {
      markFailed(intent, charge, outcome.decline, paymentMethod);
      ctx.emit('charge.failed', snapshot(charge), origin);
      ctx.emit('payment_intent.payment_failed', snapshot(intent), origin);
      // The 402 carries the PaymentIntent as it now is, as Stripe's does: callers read its id and status.
      return {
        status: 402,
        body: {
          error: {
            type: 'card_error',
            code: outcome.decline.code,
            decline_code: outcome.decline.declineCode,
            message: outcome.decline.message,
            doc_url: docUrl(outcome.decline.code),
            charge: charge.id,
            payment_intent: snapshot(intent),
            payment_method: paymentMethod,
            request_log_url: `https://dashboard.stripe.com/test/logs/${ctx.request.requestId}`,
          },
        },
      };
    }
  }
}

export async function createRefund(ctx: HandlerContext): Promise<HandlerResult> {
  const { params } = ctx.request;
  const charge = refundableCharge(ctx, params);
  const remaining = charge.amount_captured - charge.amount_refunded;
  if (remaining <= 0) {
    throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
  }
  const amount = integerParam(params, 'amount') ?? remaining;
  if (amount < 1) throw invalidRequest('Refund amount must be at least 1.', { param: 'amount', code: 'amount_too_small' });
  if (amount > remaining) {
    throw invalidRequest(`Refund amount (${amount} ${charge.currency}) is greater than unrefunded amount on charge (${remaining} ${charge.currency})`, {
      param: 'amount',
      code: 'amount_too_large',
    });
  }
  const refund: Stripe.Refund = {
    ...(ctx.fixture as Stripe.Refund),
    id: newId('re'),
    object: 'refund',
    amount,
    balance_transaction: newId('txn'),
    charge: charge.id,
    created: nowSeconds(),
    currency: charge.currency,
    metadata: mapParam(params, 'metadata'),
    payment_intent: idOf(charge.payment_intent) ?? null,
    reason: (stringParam(params, 'reason') ?? null) as Stripe.Refund.Reason | null,
    status: 'succeeded',
  };
  storeCreated(ctx, 'refund', refund);
  const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount_captured;
  if (charge.refunds) {
    charge.refunds.data.unshift(refund);
  }
  const origin = requestOrigin(ctx.request);
  ctx.emit('refund.created', snapshot(refund), origin);
  ctx.emit('charge.refunded', snapshot(charge), origin, previous);
  return { status: 200, body: refund, objectId: refund.id };
}

/** The succeeded charge a refund request points at, by `payment_intent` or `charge`. */
function refundableCharge(ctx: HandlerContext, params: Params): Stripe.Charge {
  const intentId = stringParam(params, 'payment_intent');
  const chargeId = stringParam(params, 'charge');
  if (intentId !== undefined) {
    const intent = ctx.state.get('payment_intent', intentId, ctx.request.secretKey)?.body;
    if (!intent) throw resourceMissing('payment_intent', intentId, 'payment_intent', 400);
    const latest = idOf(intent.latest_charge);
    const charge = latest === undefined ? undefined : ctx.state.get('charge', latest)?.body;
    if (intent.status !== 'succeeded' || !charge) {
      throw invalidRequest(`This PaymentIntent (${intentId}) does not have a successful charge to refund.`, {
        param: 'payment_intent',
        code: 'charge_not_refundable',
      });
    }
    return charge;
  }
  if (chargeId !== undefined) {
    const charge = ctx.state.get('charge', chargeId, ctx.request.secretKey)?.body;
    if (!charge) throw resourceMissing('charge', chargeId, 'charge', 400);
    if (charge.status !== 'succeeded') {
      throw invalidRequest(`Charge ${chargeId} has not succeeded and cannot be refunded.`, { param: 'charge', code: 'charge_not_refundable' });
    }
    return charge;
  }
  throw invalidRequest('One of `charge` or `payment_intent` is required to create a refund.', { code: 'parameter_missing' });
}

async function createCharge(ctx: HandlerContext, intent: Stripe.PaymentIntent, paymentMethodId: string, card: TestCard): Promise<Stripe.Charge> {
  const template = await ctx.upstream.template('charge', ctx.request.authorization);
  const id = newId('ch');
  const charge: Stripe.Charge = {
    ...template,
    id,
    object: 'charge',
    amount: intent.amount,
    amount_captured: 0,
    amount_refunded: 0,
    balance_transaction: null,
    captured: false,
    created: nowSeconds(),
    currency: intent.currency,
    customer: intent.customer,
    description: intent.description,
    disputed: false,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: { ...intent.metadata },
    paid: false,
    payment_intent: intent.id,
    payment_method: paymentMethodId,
    payment_method_details: withCard(template.payment_method_details, card),
    refunded: false,
    refunds: { object: 'list', data: [], has_more: false, url: `/v1/charges/${id}/refunds` },
    status: 'pending',
    transfer_data: null,
    transfer_group: intent.transfer_group,
  };
  if (card.outcome.kind === 'succeeds') succeedCharge(charge);
  if (card.outcome.kind === 'declines') failCharge(charge, card.outcome.decline);
  storeCreated(ctx, 'charge', charge);
  return charge;
}

function succeedCharge(charge: Stripe.Charge): void {
  charge.status = 'succeeded';
  charge.paid = true;
  charge.captured = true;
  charge.amount_captured = charge.amount;
  charge.balance_transaction = newId('txn');
  charge.outcome = { ...charge.outcome!, network_status: 'approved_by_network', reason: null, seller_message: 'Payment complete.', type: 'authorized' };
}

function failCharge(charge: Stripe.Charge, decline: Decline): void {
  charge.status = 'failed';
  charge.paid = false;
  charge.captured = false;
  charge.failure_code = decline.code;
  charge.failure_message = decline.message;
  charge.outcome = {
    ...charge.outcome!,
    network_status: 'declined_by_network',
    reason: decline.declineCode,
    seller_message: 'The bank did not return any further details with this decline.',
    type: 'issuer_declined',
  };
}

function markSucceeded(intent: Stripe.PaymentIntent, chargeId: string, paymentMethodId: string): void {
  intent.status = 'succeeded';
  intent.next_action = null;
  intent.amount_received = intent.amount;
  intent.latest_charge = chargeId;
  intent.payment_method = paymentMethodId;
  intent.last_payment_error = null;
}

/** Off-session failures leave the PaymentIntent waiting for a new payment method, as on Stripe. */
function markFailed(intent: Stripe.PaymentIntent, charge: Stripe.Charge, decline: Decline, paymentMethod: Stripe.PaymentMethod | null): void {
  intent.status = 'requires_payment_method';
  intent.latest_charge = charge.id;
  intent.next_action = null;
  intent.payment_method = null;
  intent.last_payment_error = {
    type: 'card_error',
    code: decline.code as Stripe.PaymentIntent.LastPaymentError.Code,
    decline_code: decline.declineCode,
    message: decline.message,
    doc_url: docUrl(decline.code),
    charge: charge.id,
    ...(paymentMethod ? { payment_method: paymentMethod } : {}),
  };
}

function storedIntent(ctx: HandlerContext, id: string): StoredObject<'payment_intent'> {
  const stored = ctx.state.get('payment_intent', id, ctx.request.secretKey);
  if (!stored) throw resourceMissing('payment_intent', id, 'intent', 404);
  return stored;
}

function unexpectedState(intent: Stripe.PaymentIntent, message: string): StripeHttpError {
  return new StripeHttpError(400, {
    type: 'invalid_request_error',
    code: 'payment_intent_unexpected_state',
    doc_url: docUrl('payment_intent_unexpected_state'),
    message,
    payment_intent: snapshot(intent),
  });
}

/** The test card behind a payment method id: a `pm_card_…` test card itself, or one attached from it. */
function resolveCard(services: SandboxServices, paymentMethodId: string, secretKey: string): TestCard {
  const card = cardOf(services, paymentMethodId, secretKey);
  if (!card) throw resourceMissing('PaymentMethod', paymentMethodId, 'payment_method', 400);
  return card;
}

function cardOf(services: SandboxServices, paymentMethodId: string, secretKey: string): TestCard | undefined {
  const stored = services.state.get('payment_method', paymentMethodId, secretKey);
  return testCard(stored?.testCard ?? paymentMethodId);
}

/** The PaymentMethod object errors carry: the stored one, or the test card shaped from stripe-mock's fixture. */
function paymentMethodObject(
  services: SandboxServices,
  paymentMethodId: string,
  secretKey: string,
  card: TestCard,
  template: Stripe.PaymentMethod | null,
): Stripe.PaymentMethod | null {
  const stored = services.state.get('payment_method', paymentMethodId, secretKey);
  if (stored) return snapshot(stored.body);
  if (!template) return null;
  return {
    ...template,
    id: paymentMethodId,
    customer: null,
    type: 'card',
    card: { ...template.card!, brand: card.brand, last4: card.last4, funding: card.funding },
  };
}

function withCard(details: Stripe.Charge.PaymentMethodDetails | null, card: TestCard): Stripe.Charge.PaymentMethodDetails | null {
  if (!details?.card) return details;
  return { ...details, type: 'card', card: { ...details.card, brand: card.brand, last4: card.last4, funding: card.funding } };
}

function idOf(value: string | { id: string } | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : value.id;
}

/** Events and errors carry the object as it was at that moment, not a live reference. */
function snapshot<T>(object: T): T {
  return structuredClone(object);
}
