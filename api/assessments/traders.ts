// /v1/traders/me: a trader's own profile, saved card (what buys assessments) and payout account (what
// receives funded payouts), through the same Stripe member records the pools use. The trader is the
// token's subject; nobody acts on another trader's payment details.
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { createMemberPayments } from '../../payments/members';
import { contractApp, jsonRequest, jsonResponse, problemResponses } from '../contract';
import type { ApiDeps } from '../deps';
import { requireRole } from './access';

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
const looseJson = z.record(z.string(), z.unknown());

export function traderRoutes(deps: ApiDeps) {
  const app = contractApp();
  const members = createMemberPayments({ stripe: deps.stripe, db: deps.db });

  app.openapi(
    createRoute({
      method: 'put',
      path: '/me',
      summary: 'Create or update the trader’s profile (and Stripe customer)',
      request: { body: jsonRequest(profileBody) },
      responses: { 200: jsonResponse('The profile', looseJson), ...problemResponses(401, 403, 413, 415, 422, 429) },
    }),
    async (c) => {
      requireRole(c.get('principal'), 'trader');
      const { member, customer } = await members.registerMember({ memberId: c.get('principal').sub, ...c.req.valid('json') });
      return c.json({ ...member, stripeCustomerId: customer.customerId } as Record<string, unknown>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/me/payment-methods',
      summary: 'Save the card assessments are bought with',
      request: { body: jsonRequest(paymentMethodBody) },
      responses: { 201: jsonResponse('The saved card', looseJson), ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429) },
    }),
    async (c) => {
      requireRole(c.get('principal'), 'trader');
      const method = await members.attachPaymentMethod(c.get('principal').sub, c.req.valid('json').paymentMethodId);
      return c.json(method as unknown as Record<string, unknown>, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/me/payout-account',
      summary: 'Open the payout account funded payouts go to, with its onboarding link',
      request: { body: jsonRequest(payoutAccountBody) },
      responses: { 201: jsonResponse('The account and onboarding link', looseJson), ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429) },
    }),
    async (c) => {
      requireRole(c.get('principal'), 'trader');
      const body = c.req.valid('json');
      const traderId = c.get('principal').sub;
      const account = await members.ensureConnectAccount(traderId, body.country ? { country: body.country } : {});
      const link = await members.createOnboardingLink(traderId, { returnUrl: body.returnUrl, refreshUrl: body.refreshUrl });
      return c.json({ accountId: account.accountId, onboardingUrl: link.url, expiresAt: link.expiresAt } as Record<string, unknown>, 201);
    },
  );
  return app;
}
