// Customers and their saved payment methods. Attaching a test card (`pm_card_visa`) creates a new
// PaymentMethod id, as Stripe does, that remembers which test card it came from so charges on it
// behave like that card.
import type Stripe from 'stripe';
import { requestOrigin, storeCreated, type HandlerContext, type HandlerResult } from './context';
import { invalidRequest, resourceMissing } from './errors';
import { mapParam, objectParam, stringParam, type Params } from './params';
import { newId, nowSeconds } from './state';
import { testCard } from './test-cards';

export async function createCustomer(ctx: HandlerContext): Promise<HandlerResult> {
  const { params } = ctx.request;
  const id = newId('cus');
  const fixture = ctx.fixture as Stripe.Customer;
  const customer: Stripe.Customer = {
    ...fixture,
    id,
    object: 'customer',
    balance: 0,
    created: nowSeconds(),
    default_source: null,
    delinquent: false,
    description: stringParam(params, 'description') ?? null,
    discount: null,
    email: stringParam(params, 'email') ?? null,
    invoice_settings: { ...fixture.invoice_settings, default_payment_method: null },
    livemode: false,
    metadata: mapParam(params, 'metadata'),
    name: stringParam(params, 'name') ?? null,
    phone: stringParam(params, 'phone') ?? null,
    shipping: null,
  };
  storeCreated(ctx, 'customer', customer);
  ctx.emit('customer.created', structuredClone(customer), requestOrigin(ctx.request));
  const paymentMethod = stringParam(params, 'payment_method');
  if (paymentMethod !== undefined) {
    const template = await ctx.upstream.template('payment_method', ctx.request.authorization);
    attach(ctx, paymentMethod, id, template);
  }
  const defaultPaymentMethod = stringParam(objectParam(params, 'invoice_settings') ?? {}, 'default_payment_method');
  if (defaultPaymentMethod !== undefined) customer.invoice_settings.default_payment_method = defaultPaymentMethod;
  return { status: 200, body: customer, objectId: id };
}

export function updateCustomer(ctx: HandlerContext): HandlerResult {
  const id = ctx.pathParams[0]!;
  const customer = ctx.state.get('customer', id, ctx.request.secretKey)?.body;
  if (!customer) throw resourceMissing('customer', id, 'id', 404);
  const { params } = ctx.request;
  const previous: Record<string, unknown> = {};
  for (const field of ['email', 'name', 'phone', 'description'] as const) {
    if (typeof params[field] !== 'string') continue;
    previous[field] = customer[field];
    // Stripe clears a field set to the empty string.
    customer[field] = params[field] === '' ? null : params[field];
  }
  const metadata = objectParam(params, 'metadata');
  if (metadata) {
    previous.metadata = { ...customer.metadata };
    customer.metadata = mergeMetadata(customer.metadata, metadata);
  }
  const invoiceSettings = objectParam(params, 'invoice_settings');
  if (invoiceSettings && typeof invoiceSettings.default_payment_method === 'string') {
    previous.invoice_settings = { ...customer.invoice_settings };
    customer.invoice_settings.default_payment_method = invoiceSettings.default_payment_method || null;
  }
  ctx.emit('customer.updated', structuredClone(customer), requestOrigin(ctx.request), previous);
  return { status: 200, body: customer };
}

export function attachPaymentMethod(ctx: HandlerContext): HandlerResult {
  const paymentMethodId = ctx.pathParams[0]!;
  const customerId = stringParam(ctx.request.params, 'customer')!;
  if (!ctx.state.get('customer', customerId, ctx.request.secretKey)) throw resourceMissing('customer', customerId, 'customer', 400);
  const { paymentMethod, created } = attach(ctx, paymentMethodId, customerId, ctx.fixture as Stripe.PaymentMethod);
  return { status: 200, body: paymentMethod, ...(created ? { objectId: paymentMethod.id } : {}) };
}

/** A test card id is answered with stripe-mock's fixture shaped as that card; anything else must be stored. */
export function retrievePaymentMethod(ctx: HandlerContext): HandlerResult {
  const id = ctx.pathParams[0]!;
  const stored = ctx.state.get('payment_method', id, ctx.request.secretKey);
  if (stored) return { status: 200, body: stored.body };
  const card = testCard(id);
  if (!card) throw resourceMissing('PaymentMethod', id, 'payment_method', 404);
  const fixture = ctx.fixture as Stripe.PaymentMethod;
  return {
    status: 200,
    body: { ...fixture, id, customer: null, type: 'card', card: { ...fixture.card!, brand: card.brand, last4: card.last4, funding: card.funding } },
  };
}

function attach(
  ctx: HandlerContext,
  paymentMethodId: string,
  customerId: string,
  template: Stripe.PaymentMethod,
): { paymentMethod: Stripe.PaymentMethod; created: boolean } {
  const origin = requestOrigin(ctx.request);
  const stored = ctx.state.get('payment_method', paymentMethodId, ctx.request.secretKey);
  if (stored) {
    const owner = stored.body.customer;
    if (owner !== null && owner !== customerId) {
      throw invalidRequest('The payment method you provided has already been attached to a customer.', { param: 'payment_method' });
    }
    stored.body.customer = customerId;
    ctx.emit('payment_method.attached', structuredClone(stored.body), origin);
    return { paymentMethod: stored.body, created: false };
  }
  const card = testCard(paymentMethodId);
  if (!card) throw resourceMissing('PaymentMethod', paymentMethodId, 'payment_method', 404);
  const id = newId('pm');
  const paymentMethod: Stripe.PaymentMethod = {
    ...template,
    id,
    object: 'payment_method',
    card: { ...template.card!, brand: card.brand, last4: card.last4, funding: card.funding },
    created: nowSeconds(),
    customer: customerId,
    livemode: false,
    metadata: {},
    type: 'card',
  };
  storeCreated(ctx, 'payment_method', paymentMethod, { testCard: paymentMethodId });
  ctx.emit('payment_method.attached', structuredClone(paymentMethod), origin);
  return { paymentMethod, created: true };
}

/** Stripe's metadata update: given keys are set, keys set to the empty string are removed. */
function mergeMetadata(current: Stripe.Metadata, update: Params): Stripe.Metadata {
  const merged: Stripe.Metadata = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (typeof value !== 'string') continue;
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
