// /v1/members/me: a member's own profile, saved card, payout account and pending invitations, each
// route defined once. The member is the token's subject; nobody acts on another member's payment details.
import { createRoute, type OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import { z } from 'zod';
import { listPendingInvitations } from '../../db/consent';
import { isStripeError } from '../../payments/errors';
import { createMemberPayments, InvalidMemberProfileError, MemberNotFoundError } from '../../payments/members';
import type { AppEnv } from '../context';
import { contractApp, jsonRequest, jsonResponse, problemResponses } from '../contract';
import type { ApiDeps } from '../deps';
import * as s from './pool-schemas';
import { invitationJson } from './pools';
import { ProblemError } from '../problem';

/** The pending invitations one read lists (newest first). */
export const INVITATIONS_PAGE_MAX = 50;

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

/** The problem for what member operations throw, or undefined when it is not theirs to explain. */
export function memberProblem(error: unknown): ProblemError | undefined {
  if (error instanceof InvalidMemberProfileError) return new ProblemError(422, 'Validation Failed', error.message);
  if (error instanceof MemberNotFoundError) return new ProblemError(409, 'Profile Required', `${error.message}: PUT /v1/members/me first`);
  // Stripe refusing a request (an unknown payment method, say) is the caller's input, not our fault.
  if (isStripeError(error) && error.type === 'StripeInvalidRequestError') return new ProblemError(422, 'Stripe Refused', error.message);
  return undefined;
}

export function memberRoutes(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const app = contractApp();
  const members = createMemberPayments({ stripe: deps.stripe, db: deps.db });
  // Everything under /v1/members is the member's own: anyone else is refused, whichever path they try.
  app.use('*', async (c, next) => {
    if (c.get('principal').role !== 'member') throw new ProblemError(403, 'Forbidden', 'only members have a member profile');
    await next();
  });
  const route = <R extends RouteConfig>(config: R) => createRoute({ ...config, tags: ['Members'] });

  app.openapi(
    route({
      method: 'put',
      path: '/me',
      summary: 'Create or update your member profile (member)',
      request: { body: jsonRequest(profileBody) },
      responses: { 200: jsonResponse('Your profile and Stripe customer', s.memberProfile), ...problemResponses(403, 415, 422) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { member, customer } = await members.registerMember({ memberId: c.get('principal').sub, ...body });
      return c.json({ ...member, stripeCustomerId: customer.customerId }, 200);
    },
  );

  app.openapi(
    route({
      method: 'post',
      path: '/me/payment-methods',
      summary: 'Save a card (pm_…) as your default payment method (member)',
      request: { body: jsonRequest(paymentMethodBody) },
      responses: { 201: jsonResponse('The saved card', s.paymentMethod), ...problemResponses(403, 409, 415, 422) },
    }),
    async (c) => {
      const { paymentMethodId } = c.req.valid('json');
      const method = await members.attachPaymentMethod(c.get('principal').sub, paymentMethodId);
      return c.json(method, 201);
    },
  );

  app.openapi(
    route({
      method: 'post',
      path: '/me/payout-account',
      summary: 'Create your payout account and get an onboarding link (member)',
      request: { body: jsonRequest(payoutAccountBody) },
      responses: { 201: jsonResponse('Your payout account and where to finish onboarding', s.payoutAccount), ...problemResponses(403, 409, 415, 422) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const memberId = c.get('principal').sub;
      const account = await members.ensureConnectAccount(memberId, body.country ? { country: body.country } : {});
      const link = await members.createOnboardingLink(memberId, { returnUrl: body.returnUrl, refreshUrl: body.refreshUrl });
      return c.json({ accountId: account.accountId, onboardingUrl: link.url, expiresAt: link.expiresAt }, 201);
    },
  );

  app.openapi(
    route({
      method: 'get',
      path: '/me/invitations',
      summary: 'Your pending invitations with each pool’s terms (member)',
      responses: { 200: jsonResponse('Your pending invitations, newest first', s.invitationsPage), ...problemResponses(403) },
    }),
    async (c) => {
      const invitations = await listPendingInvitations(deps.db, c.get('principal').sub, INVITATIONS_PAGE_MAX);
      return c.json({ invitations: invitations.map((i) => ({ ...invitationJson(i), terms: i.config })) }, 200);
    },
  );

  return app;
}
