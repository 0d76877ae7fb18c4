// /v1/traders/me: a trader's own profile, saved card (what buys assessments) and payout account (what
// receives funded payouts): the same payment details, through the same Stripe member records, as a
// pool member's (api/payment-details.ts). Nobody acts on another trader's payment details.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context';
import { contractApp, requireRole } from '../contract';
import type { ApiDeps } from '../deps';
import { addPaymentDetailRoutes } from '../payment-details';

export function traderRoutes(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const app = contractApp();
  addPaymentDetailRoutes(app, deps, 'trader', { access: requireRole(['trader'], 'this needs the trader role') });
  return app;
}
