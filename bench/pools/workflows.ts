// Bench-only workflows, bundled apart from workflows/: the baseline bench/pools/throughput.ts measures pools
// against — bare Temporal running the same number of activities, in the same shape, doing nothing —
// and the stand-in pool a lone round reports to in bench/pools/round.ts.
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import { DB_ACTIVITY } from '../../temporal-config/policies';
import { roundFinishedSignal, type RoundResult } from '../../workflows/pools/round';

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

/** Runs as `pool/{poolId}` for a round started on its own: takes the round's report, as the pool would. */
export async function roundReceiver(): Promise<RoundResult> {
  let result: RoundResult | undefined;
  setHandler(roundFinishedSignal, (finished) => {
    result = finished;
  });
  await condition(() => result !== undefined);
  return result!;
}
