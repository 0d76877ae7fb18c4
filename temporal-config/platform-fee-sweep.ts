// The Temporal Schedule that sweeps the pools' platform-fee accounts into the platform's revenue account.
import type { Client } from '@temporalio/client';
import { ensurePlatformSweepSchedule, type PlatformSweep } from './platform-schedules';

export const PLATFORM_FEE_SWEEP_SCHEDULE_ID = 'platform/fee-sweep';

const feeSweep: PlatformSweep = {
  scheduleId: PLATFORM_FEE_SWEEP_SCHEDULE_ID,
  workflowType: 'platformFeeSweep',
  // How often fee income reaches the platform's revenue account.
  every: '15 minutes',
  executionTimeout: '10m',
  summary: "Sweep the pools' platform fees into the platform's revenue",
  note: "Moves each pool's platform-fee balance into platform:fee_revenue",
};

export const ensurePlatformFeeSweepSchedule = (client: Client, taskQueue: string) => ensurePlatformSweepSchedule(client, taskQueue, feeSweep);
