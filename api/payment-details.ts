// A caller's own payment details, the same for a pool member (/v1/members/me) and a trader
// (/v1/traders/me): the profile and its Stripe customer, the saved card, and the payout account with its
// onboarding link, all through the Stripe member records the products share. The caller is the token's
// subject: nobody acts on another's payment details.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { isStripeError } from '../payments/errors';
import { createMemberPayments, InvalidMemberProfileError, MemberNotFoundError } from '../payments/members';
import type { AppEnv } from './context';
import { jsonRequest, jsonResponse, problemResponses } from './contract';
import type { ApiDeps } from './deps';
import { ProblemError } from './problem';

const profileBody = z.strictObject({ displayName: z.string().trim().min(1).max(120), email: z.email().max(254) });
const paymentMethodBody = z.strictObject({ paymentMethodId: z.string().regex(/^pm_[A-Za-z0-9_]{1,200}$/, 'must be a Stripe PaymentMethod ID (pm_…)') });
const payoutAccountBody = z.strictObject({
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as "US"')
    .optional(),
  returnUrl: z.url({ protocol: /^https?$/ }),
  refreshUrl: z.url({ protocol: /^https?$/ }),
});

const profile = z.object({ memberId: z.string(), displayName: z.string(), email: z.string(), stripeCustomerId: z.string() });
const paymentMethod = z.object({
  paymentMethodId: z.string(),
  memberId: z.string(),
  customerId: z.string(),
  methodType: z.string(),
  cardBrand: z.string().nullable(),
  cardLast4: z.string().nullable(),
  cardExpMonth: z.int().nullable(),
  cardExpYear: z.int().nullable(),
});
const payoutAccount = z.object({ accountId: z.string(), onboardingUrl: z.string(), expiresAt: z.int().describe('Unix seconds') });

/** The problem for what member operations throw, or undefined when it is not theirs to explain. */
export function memberProblem(error: unknown): ProblemError | undefined {
  if (error instanceof InvalidMemberProfileError) return new ProblemError(422, 'Validation Failed', error.message);
  if (error instanceof MemberNotFoundError) return new ProblemError(409, 'Profile Required', `${error.message}: PUT /v1/members/me first`);
  // Stripe refusing a request (an unknown payment method, say) is the caller's input, not our fault.
  if (isStripeError(error) && error.type === 'StripeInvalidRequestError') return new ProblemError(422, 'Stripe Refused', error.message);
  return undefined;
}

/**
 * Adds PUT /me, POST /me/payment-methods and POST /me/payout-account for the `holder` role ('member',
 * 'trader'): `access` admits only that role to each route (unless the sub-app already does), `tag` groups
 * them in the reference.
 */
export function addPaymentDetailRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: Pick<ApiDeps, 'stripe' | 'db'>,
  holder: string,
  options: { access?: MiddlewareHandler<AppEnv>; tag?: string } = {},
): void {
  const members = createMemberPayments({ stripe: deps.stripe, db: deps.db });
  const common = { ...(options.tag ? { tags: [options.tag] } : {}), ...(options.access ? { middleware: [options.access] } : {}) };

  app.openapi(
    createRoute({
      method: 'put',
      path: '/me',
      summary: `Create or update your ${holder} profile (${holder})`,
      ...common,
      request: { body: jsonRequest(profileBody) },
      responses: { 200: jsonResponse('Your profile and Stripe customer', profile), ...problemResponses(403, 415, 422) },
    }),
    async (c) => {
      const { member, customer } = await members.registerMember({ memberId: c.get('principal').sub, ...c.req.valid('json') });
      return c.json({ ...member, stripeCustomerId: customer.customerId }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/me/payment-methods',
      summary: `Save a card (pm_…) as your default payment method (${holder})`,
      ...common,
      request: { body: jsonRequest(paymentMethodBody) },
      responses: { 201: jsonResponse('The saved card', paymentMethod), ...problemResponses(403, 409, 415, 422) },
    }),
    async (c) => c.json(await members.attachPaymentMethod(c.get('principal').sub, c.req.valid('json').paymentMethodId), 201),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/me/payout-account',
      summary: `Create your payout account and get an onboarding link (${holder})`,
      ...common,
      request: { body: jsonRequest(payoutAccountBody) },
      responses: { 201: jsonResponse('Your payout account and where to finish onboarding', payoutAccount), ...problemResponses(403, 409, 415, 422) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const holderId = c.get('principal').sub;
      const account = await members.ensureConnectAccount(holderId, body.country ? { country: body.country } : {});
      const link = await members.createOnboardingLink(holderId, { returnUrl: body.returnUrl, refreshUrl: body.refreshUrl });
      return c.json({ accountId: account.accountId, onboardingUrl: link.url, expiresAt: link.expiresAt }, 201);
    },
  );
}
