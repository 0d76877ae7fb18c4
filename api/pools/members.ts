// /v1/members/me: a member's own payment details (api/payment-details.ts, as a trader's) and pending
// invitations. The member is the token's subject; nobody acts on another member's.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { listPendingInvitations } from '../../db/consent';
import type { AppEnv } from '../context';
import { contractApp, jsonResponse, problemResponses, requireRole } from '../contract';
import type { ApiDeps } from '../deps';
import { addPaymentDetailRoutes } from '../payment-details';
import * as s from './pool-schemas';
import { invitationJson } from './pools';

/** The pending invitations one read lists (newest first). */
export const INVITATIONS_PAGE_MAX = 50;

export function memberRoutes(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const app = contractApp();
  // Everything under /v1/members is the member's own: anyone else is refused, whichever path they try.
  app.use('*', requireRole(['member'], 'only members have a member profile'));
  addPaymentDetailRoutes(app, deps, 'member', { tag: 'Members' });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me/invitations',
      tags: ['Members'],
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
