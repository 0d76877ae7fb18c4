// GET /v1/pools/{poolId}/events: server-sent events of the pool's changes in version order. A fresh
// subscriber first gets a `pool` event with the whole view; then each version is a `pool-change` event:
// the pool without its member list, plus `members` holding only the member rows that changed (replace
// each by memberId). Versions projected before changes were deltas are `pool` events with the whole
// view. Resumable: a client reconnecting with Last-Event-ID (the last version it saw) receives every
// version after it that Redis still holds, then live ones.
import { Hono } from 'hono';
import type { AppEnv } from '../context';
import type { ApiDeps } from '../deps';
import { eventStreamsOf } from '../event-streams';
import { allowed, poolFor } from './pool-access';
import { standingOf } from './pool-standings';
import { ProblemError } from '../problem';
import { poolEventsKey } from '../../cache/keys';

/** How often an open stream asks the database whether its subscriber may still see the pool. */
export const SSE_ACCESS_RECHECK_MS = 2_000;

export function poolEventRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/:poolId/events', async (c) => {
    const poolId = c.req.param('poolId');
    const principal = c.get('principal');
    const view = await poolFor(deps, principal, poolId, 'read');
    const resumeFrom = c.req.header('last-event-id') ?? c.req.query('lastEventId');
    if (resumeFrom !== undefined && !/^\d{1,15}$/.test(resumeFrom))
      throw new ProblemError(400, 'Invalid Last-Event-ID', 'Last-Event-ID is a pool version number');

    // A fresh subscriber first gets the current view, then everything newer.
    const after = resumeFrom === undefined ? view.version : Number(resumeFrom);
    return eventStreamsOf(deps).respond(c, {
      key: poolEventsKey(poolId),
      after: `${after}-1`,
      opening: async (send) => {
        if (resumeFrom === undefined) await send({ id: String(view.version), event: 'pool', data: JSON.stringify(view) });
      },
      toMessage: ({ id, fields }) => ({ id: id.split('-')[0]!, event: fields[0] === 'change' ? 'pool-change' : 'pool', data: fields[1]! }),
      // A member who leaves, is replaced or expelled loses the stream too, within SSE_ACCESS_RECHECK_MS.
      stillAllowed: async () => {
        const standing = await standingOf(deps.db, poolId, principal);
        return standing !== null && allowed(principal, standing, 'read');
      },
      recheckMs: SSE_ACCESS_RECHECK_MS,
    });
  });
  return app;
}
