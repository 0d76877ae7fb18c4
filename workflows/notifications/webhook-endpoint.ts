// Delivers one webhook endpoint's queue (`webhook-endpoint/{endpointId}`), strictly one event at a
// time in order of creation: a receiver that is down holds the queue back, with backoff, and gets every
// event afterwards, in order. When every attempt at an event fails, the endpoint is disabled.
import { ActivityFailure, condition, continueAsNew, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { NotificationActivities } from '../../activities/notifications';
import { NOTIFICATION_DB_ACTIVITY, WEBHOOK_ACTIVITY } from '../../temporal-config/notifications';

const db = proxyActivities<NotificationActivities>(NOTIFICATION_DB_ACTIVITY);
const http = proxyActivities<NotificationActivities>(WEBHOOK_ACTIVITY);

/** An endpoint with nothing to deliver for this long lets its workflow end; the next event starts another. */
export const IDLE_MS = 24 * 3_600_000;

export interface WebhookEndpointInput {
  endpointId: string;
}

/** Sent whenever events join the queue, or the endpoint was enabled again. */
export const deliveriesQueuedSignal = defineSignal('deliveriesQueued');

export async function webhookEndpoint(input: WebhookEndpointInput): Promise<void> {
  let queued = true;
  setHandler(deliveriesQueuedSignal, () => {
    queued = true;
  });
  for (;;) {
    if (!queued && !(await condition(() => queued, IDLE_MS))) return;
    queued = false;
    for (;;) {
      const next = await db.nextWebhookDelivery(input.endpointId);
      if (!next) break;
      try {
        await http.sendWebhookDelivery({ deliveryId: next.deliveryId });
      } catch (error) {
        if (!(error instanceof ActivityFailure)) throw error;
        await db.disableWebhookEndpoint({ endpointId: input.endpointId, deliveryId: next.deliveryId, reason: error.cause?.message ?? error.message });
        break;
      }
      if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof webhookEndpoint>(input);
    }
  }
}
