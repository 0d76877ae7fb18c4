// Stripe Connect: connected accounts (which start without the transfers capability, as new Express and
// Custom accounts do), onboarding links that lead back to the sandbox to finish onboarding, and
// transfers, which Stripe refuses to accounts that do not exist or cannot receive them yet.
import type Stripe from 'stripe';
import { newMoneyMovement, requestOrigin, storeCreated, storedOrigin, type HandlerContext, type HandlerResult, type SandboxServices } from './context';
import { invalidRequest, resourceMissing } from './errors';
import { mapParam, objectParam, stringParam } from './params';
import { newId, nowSeconds } from './state';

/** How long an AccountLink stays usable, as on Stripe. */
const accountLinkLifetimeSeconds = 300;

export function createAccount(ctx: HandlerContext): HandlerResult {
  const { params } = ctx.request;
  const fixture = ctx.fixture as Stripe.Account;
  const id = newId('acct');
  const requested = Object.entries(objectParam(params, 'capabilities') ?? {})
    .filter(([, value]) => typeof value === 'object' && !Array.isArray(value) && value.requested === 'true')
    .map(([name]) => name);
  const account: Stripe.Account = {
    ...fixture,
    id,
    object: 'account',
    business_type: (stringParam(params, 'business_type') ?? null) as Stripe.Account.BusinessType | null,
    capabilities: Object.fromEntries(requested.map((name) => [name, 'inactive'])) as Stripe.Account.Capabilities,
    charges_enabled: false,
    country: stringParam(params, 'country') ?? 'US',
    created: nowSeconds(),
    details_submitted: false,
    email: stringParam(params, 'email') ?? null,
    external_accounts: { object: 'list', data: [], has_more: false, url: `/v1/accounts/${id}/external_accounts` },
    metadata: mapParam(params, 'metadata'),
    payouts_enabled: false,
    type: (stringParam(params, 'type') ?? 'standard') as Stripe.Account.Type,
  };
  storeCreated(ctx, 'account', account);
  return { status: 200, body: account, objectId: id };
}

/** Finishes an account's onboarding: every requested capability active, charges and payouts enabled. */
export function onboardAccount(services: SandboxServices, accountId: string): Stripe.Account | undefined {
  const stored = services.state.get('account', accountId);
  if (!stored) return undefined;
  const account = stored.body;
  const previous = {
    capabilities: { ...account.capabilities },
    charges_enabled: account.charges_enabled,
    details_submitted: account.details_submitted,
    payouts_enabled: account.payouts_enabled,
  };
  const names = Object.keys(account.capabilities ?? {});
  account.capabilities = Object.fromEntries((names.length > 0 ? names : ['transfers']).map((name) => [name, 'active'])) as Stripe.Account.Capabilities;
  account.charges_enabled = true;
  account.details_submitted = true;
  account.payouts_enabled = true;
  if (account.requirements) {
    account.requirements = { ...account.requirements, currently_due: [], eventually_due: [], past_due: [], disabled_reason: null };
  }
  services.emit('account.updated', structuredClone(account), storedOrigin(stored), previous);
  return account;
}

export function createAccountLink(ctx: HandlerContext): HandlerResult {
  const { params } = ctx.request;
  const accountId = stringParam(params, 'account')!;
  if (!ctx.state.get('account', accountId, ctx.request.secretKey)) throw resourceMissing('account', accountId, 'account', 400);
  const created = nowSeconds();
  const query = new URLSearchParams();
  for (const name of ['return_url', 'refresh_url']) {
    const value = stringParam(params, name);
    if (value !== undefined) query.set(name, value);
  }
  const link: Stripe.AccountLink = {
    ...(ctx.fixture as Stripe.AccountLink),
    object: 'account_link',
    created,
    expires_at: created + accountLinkLifetimeSeconds,
    url: `${ctx.request.origin}/__sandbox/connect/onboard/${accountId}?${query}`,
  };
  return { status: 200, body: link };
}

export function createTransfer(ctx: HandlerContext): HandlerResult {
  const { params } = ctx.request;
  const destination = stringParam(params, 'destination')!;
  const account = ctx.state.get('account', destination, ctx.request.secretKey)?.body;
  if (!account) throw resourceMissing('destination', destination, 'destination', 400);
  if (account.capabilities?.transfers !== 'active') {
    throw invalidRequest(
      'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
      { param: 'destination', code: 'insufficient_capabilities_for_transfer' },
    );
  }
  const id = newId('tr');
  const transfer: Stripe.Transfer = {
    ...newMoneyMovement<Stripe.Transfer>(ctx, id, 'transfer'),
    amount_reversed: 0,
    balance_transaction: newId('txn'),
    created: nowSeconds(),
    destination,
    destination_payment: newId('py'),
    livemode: false,
    reversals: { object: 'list', data: [], has_more: false, url: `/v1/transfers/${id}/reversals` },
    reversed: false,
    source_transaction: stringParam(params, 'source_transaction') ?? null,
  };
  storeCreated(ctx, 'transfer', transfer);
  ctx.emit('transfer.created', structuredClone(transfer), requestOrigin(ctx.request));
  return { status: 200, body: transfer, objectId: id };
}
