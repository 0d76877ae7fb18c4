// Bench-only workflows, bundled apart from workflows/: the baseline bench/pools/throughput.ts measures pools
// against — bare Temporal running the same number of activities, in the same shape, doing nothing.
import { proxyActivities } from '@temporalio/workflow';
import { DB_ACTIVITY } from '../../temporal-config/policies';

export interface BaselineActivities {
  noop(): Promise<void>;
}

const { noop } = proxyActivities<BaselineActivities>(DB_ACTIVITY);

/** One activity per member per round, each round's activities at once, as a pool's charges are. */
export async function baselinePool(input: { members: number; rounds: number }): Promise<number> {
  let done = 0;
  for (let round = 0; round < input.rounds; round++) {
    await Promise.all(Array.from({ length: input.members }, () => noop()));
    done += input.members;
  }
  return done;
}
