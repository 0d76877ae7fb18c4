// Every activity the pool and round workflows call besides Stripe's: ledger entries, projections,
// the pool's schedule and the outcome of a round that closed unheard. Built from the worker's real dependencies.
import type { Client } from '@temporalio/client';
import type { Redis } from '../../cache/redis';
import type { Db } from '../../db/pool';
import { createPoolDrawActivities } from './pool-draw';
import { createPoolLedgerActivities } from './pool-ledger';
import { createPoolProjectionActivities } from './pool-projections';
import { createRoundOutcomeActivities } from './round-outcome';
import { createScheduleActivities } from './schedules';

export interface PoolActivityDeps {
  db: Db;
  redis: Redis;
  client: Client;
  taskQueue: string;
}

export function createPoolActivities(deps: PoolActivityDeps) {
  return {
    ...createPoolLedgerActivities(deps),
    ...createPoolDrawActivities(deps),
    ...createPoolProjectionActivities(deps),
    ...createScheduleActivities(deps),
    ...createRoundOutcomeActivities(deps),
  };
}

export type PoolActivities = ReturnType<typeof createPoolActivities>;
