// How the pools' workflows reach the pool activities: one proxy per policy, shared by the pool workflow
// and its round child workflows, so both run the same activities under the same timeouts and retries.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PoolActivities } from '../../activities/pools/pools';
import { DB_ACTIVITY, DB_LOCAL_ACTIVITY } from '../../temporal-config/policies';

export const poolActivities = proxyActivities<PoolActivities>(DB_ACTIVITY);
/**
 * The same activities as local activities, for the idempotent steps of runs of the current shape: one
 * marker event each, in the workflow task that made the change, instead of an activity's three events
 * and a workflow task of their own.
 */
export const poolLocalActivities = proxyLocalActivities<PoolActivities>(DB_LOCAL_ACTIVITY);
