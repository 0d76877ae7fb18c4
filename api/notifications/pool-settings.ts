// /v1/pools/{poolId}/notification-settings: the pool's reminder lead times, set by its manager and read
// by whoever may read the pool.
import { Hono } from 'hono';
import { getReminderLeadHours, putReminderLeadHours } from '../../db/notifications/preferences';
import type { AppEnv } from '../context';
import type { ApiDeps } from '../deps';
import { poolFor } from '../pool-access';
import { jsonBody } from '../validation';
import { poolSettingsBody } from './schemas';

export function poolNotificationSettingsRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/:poolId/notification-settings', async (c) => {
    const view = await poolFor(deps, c.get('principal'), c.req.param('poolId'), 'read');
    return c.json({ reminderLeadHours: await getReminderLeadHours(deps.db, view.poolId) });
  });

  app.put('/:poolId/notification-settings', async (c) => {
    const view = await poolFor(deps, c.get('principal'), c.req.param('poolId'), 'manage');
    const { reminderLeadHours } = await jsonBody(c, poolSettingsBody);
    // Longest lead first: the order reminders go out in.
    const sorted = [...reminderLeadHours].sort((a, b) => b - a);
    await putReminderLeadHours(deps.db, view.poolId, sorted);
    return c.json({ reminderLeadHours: sorted });
  });
  return app;
}
