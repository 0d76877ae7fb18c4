// The plumbing probe: a one-step workflow that runs the probe activity, proving the path from the API
// through Temporal to a worker that reaches the database and Redis.
import { proxyActivities } from '@temporalio/workflow';
import type { createProbeActivities, ProbeInput, ProbeRecord } from '../../activities/core/probe';
import { DB_ACTIVITY } from '../../temporal-config/policies';

const { recordProbe } = proxyActivities<ReturnType<typeof createProbeActivities>>(DB_ACTIVITY);

export async function plumbingProbe(input: ProbeInput): Promise<ProbeRecord> {
  return await recordProbe(input);
}
