// A manager's daily digest (`manager/{managerId}/digest`): every day at DIGEST_HOUR_UTC it reads the
// standing of the manager's pools and, when members are in arrears or something waits for operations,
// delivers one digest. Started when one of their pools becomes active; ends once none is active.
import { continueAsNew, defineSignal, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { NotificationActivities } from '../../activities/notifications';
import { nextDigestAtMs } from '../../domain/notifications/digest';
import { NOTIFICATION_DB_ACTIVITY } from '../../temporal-config/notifications';
import { deliverNotice } from './deliver';

const db = proxyActivities<NotificationActivities>(NOTIFICATION_DB_ACTIVITY);

/** Days one run covers before it continues as new, keeping its history short. */
export const DIGEST_DAYS_PER_RUN = 60;

export interface ManagerDigestInput {
  managerId: string;
}

/** Sent when one of the manager's pools becomes active (the digest may have ended meanwhile). */
export const managerPoolActiveSignal = defineSignal('managerPoolActive');

export async function managerDigest(input: ManagerDigestInput): Promise<void> {
  setHandler(managerPoolActiveSignal, () => {});
  for (let day = 0; day < DIGEST_DAYS_PER_RUN; day++) {
    await sleep(nextDigestAtMs(Date.now()) - Date.now());
    const { activePools, notice } = await db.prepareManagerDigest({ managerId: input.managerId, atMs: Date.now() });
    if (notice) await deliverNotice(notice);
    if (activePools === 0) return;
    if (workflowInfo().continueAsNewSuggested) break;
  }
  await continueAsNew<typeof managerDigest>(input);
}
