// Rebuilds a tier's leaderboard from the database: every assessment that ran, scored by the balance in
// its last published standing. The sorted set is written aside and renamed over the old one, so readers
// never see it half built.
import type { Redis } from '../../cache/redis';
import { listTierAssessments } from '../../db/assessments/assessments';
import type { Db } from '../../db/pool';
import type { AssessmentView } from './assessments';
import { returnBps } from './live';
import { leaderboardKey, leaderboardNamesKey } from '../../cache/keys';

/** Assessments one rebuild reads at most. */
export const LEADERBOARD_REBUILD_MAX = 50_000;

export async function rebuildLeaderboard(db: Db, redis: Redis, tier: string): Promise<number> {
  const rows = await listTierAssessments(db, tier, ['active', 'passed', 'failed', 'stopped'], LEADERBOARD_REBUILD_MAX);
  const scored = rows.flatMap((row) => {
    const view = row.summary as AssessmentView | null;
    return view?.initialBalanceMinor
      ? [{ id: row.assessmentId, name: row.displayName, score: returnBps(view.evaluation.live.balanceMinor, view.initialBalanceMinor) }]
      : [];
  });
  const scratch = `${leaderboardKey(tier)}:rebuild`;
  const scratchNames = `${leaderboardNamesKey(tier)}:rebuild`;
  const multi = redis.multi().del(scratch, scratchNames);
  for (const entry of scored) multi.zadd(scratch, entry.score, entry.id).hset(scratchNames, entry.id, entry.name);
  if (scored.length > 0) multi.rename(scratch, leaderboardKey(tier)).rename(scratchNames, leaderboardNamesKey(tier));
  else multi.del(leaderboardKey(tier), leaderboardNamesKey(tier));
  await multi.exec();
  return scored.length;
}
