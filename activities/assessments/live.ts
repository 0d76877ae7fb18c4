// What assessments keep in Redis (all of it rebuildable from the database): each running assessment's
// account for the risk monitor plus a stream announcing changes, each assessment's live event stream
// for server-sent events, and the per-tier leaderboards (sorted sets by return, display names beside).
import { ACCOUNT_CHANGES_STREAM, leaderboardKey, leaderboardNamesKey, liveEventsKey, MONITORED_ACCOUNTS_KEY } from '../../cache/keys';
import type { Redis } from '../../cache/redis';
import type { AccountState } from '../../domain/assessments/account';

/** About how many entries each stream keeps (trimmed with MAXLEN ~). */
export const STREAM_ENTRIES_KEPT_MAX = {
  /** The account-change stream; the monitor reloads the hash when it lags further. */
  accountChanges: 100_000,
  /** One assessment's live view: the versions a reconnecting client can resume from. */
  liveEvents: 1_000,
} as const;

/** An account as the risk monitor holds it: which pack it runs under and the workflow's version. */
export interface MonitoredAccount {
  assessmentId: string;
  packId: string;
  version: number;
  account: AccountState;
}

/** Starts, updates or (with `account` null) stops the risk monitor's watch over an assessment. */
export async function publishMonitoredAccount(redis: Redis, assessmentId: string, entry: MonitoredAccount | null): Promise<void> {
  const multi = redis.multi();
  if (entry) multi.hset(MONITORED_ACCOUNTS_KEY, assessmentId, JSON.stringify(entry));
  else multi.hdel(MONITORED_ACCOUNTS_KEY, assessmentId);
  multi.xadd(ACCOUNT_CHANGES_STREAM, 'MAXLEN', '~', String(STREAM_ENTRIES_KEPT_MAX.accountChanges), '*', 'id', assessmentId, 'v', String(entry?.version ?? -1));
  const results = await multi.exec();
  const failed = results?.find(([error]) => error);
  if (!results || failed) throw failed?.[0] ?? new Error('publishing a monitored account failed');
}

/** Appends one version of the assessment's live view; a version already there (a retry) is skipped. */
export async function publishLiveEvent(redis: Redis, assessmentId: string, version: number, view: unknown): Promise<void> {
  try {
    await redis.xadd(liveEventsKey(assessmentId), 'MAXLEN', '~', String(STREAM_ENTRIES_KEPT_MAX.liveEvents), `${version}-1`, 'view', JSON.stringify(view));
  } catch (error) {
    // "The ID specified in XADD is equal or smaller than the target stream top item": already published.
    if (!(error instanceof Error && /equal or smaller/.test(error.message))) throw error;
  }
}

/**
 * The leaderboard score: return on the initial balance in basis points (integer, so equal returns tie
 * exactly); ties are ordered by assessment ID, which Redis does for equal scores.
 */
export function returnBps(balanceMinor: string, initialMinor: string): number {
  const initial = BigInt(initialMinor);
  return Number(((BigInt(balanceMinor) - initial) * 10_000n) / initial);
}

export async function updateLeaderboard(redis: Redis, tier: string, assessmentId: string, displayName: string, scoreBps: number): Promise<void> {
  await redis.multi().zadd(leaderboardKey(tier), scoreBps, assessmentId).hset(leaderboardNamesKey(tier), assessmentId, displayName).exec();
}

/** Leaderboard rows a request reads at most. */
export const LEADERBOARD_ROWS_MAX = 100;

export async function readLeaderboard(
  redis: Redis,
  tier: string,
  limit: number,
): Promise<Array<{ rank: number; assessmentId: string; displayName: string; returnBps: number }>> {
  const flat = await redis.zrevrange(leaderboardKey(tier), 0, Math.min(limit, LEADERBOARD_ROWS_MAX) - 1, 'WITHSCORES');
  const ids = flat.filter((_, i) => i % 2 === 0);
  const names = ids.length > 0 ? await redis.hmget(leaderboardNamesKey(tier), ...ids) : [];
  return ids.map((assessmentId, i) => ({ rank: i + 1, assessmentId, displayName: names[i] ?? '', returnBps: Number(flat[i * 2 + 1]) }));
}
