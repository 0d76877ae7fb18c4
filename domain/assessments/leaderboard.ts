// Leaderboard order for a tier: by return, highest first, with ties ordered deterministically — earlier
// to reach the return first, then by assessment id. The same order is encoded for a Redis sorted set
// (score and member), so a board rebuilt from the database reads exactly like the pure ranking.

/** The most entries one ranking call orders; a tier's board is paged, never ranked whole in memory. */
export const LEADERBOARD_ENTRIES_MAX = 100_000;
/** Timestamps up to this (year 2286) keep the member's fixed width. */
const TIME_MAX_MS = 9_999_999_999_999;

export interface LeaderboardEntry {
  assessmentId: string;
  /** Shown on the board; never an e-mail or legal name (the caller decides what it holds). */
  displayName: string;
  initialBalanceMinor: string;
  balanceMinor: string;
  /** When the current balance was reached: the tie-break between equal returns. */
  reachedAtMs: number;
}

export interface RankedEntry extends LeaderboardEntry {
  rank: number;
  /** The return in parts per billion of the initial balance, rounded down. */
  returnPpb: number;
}

/** The return in parts per billion, rounded toward negative infinity; exact as a double below 9e15. */
export function returnPpb(entry: Pick<LeaderboardEntry, 'initialBalanceMinor' | 'balanceMinor'>): number {
  const initial = BigInt(entry.initialBalanceMinor);
  if (initial <= 0n) throw new RangeError('the initial balance must be positive');
  const numerator = (BigInt(entry.balanceMinor) - initial) * 1_000_000_000n;
  const quotient = numerator / initial;
  return Number(numerator % initial !== 0n && numerator < 0n ? quotient - 1n : quotient);
}

/**
 * The sorted-set member: the tie-breaks as a string whose reverse lexicographic order (ZREVRANGE, highest
 * score first) puts the earlier time first, then the higher assessment id.
 */
export function leaderboardMember(entry: Pick<LeaderboardEntry, 'assessmentId' | 'reachedAtMs'>): string {
  if (!Number.isSafeInteger(entry.reachedAtMs) || entry.reachedAtMs < 0 || entry.reachedAtMs > TIME_MAX_MS) throw new RangeError('reachedAtMs is out of range');
  return `${String(TIME_MAX_MS - entry.reachedAtMs).padStart(13, '0')}:${entry.assessmentId}`;
}

export function assessmentIdOfMember(member: string): string {
  return member.slice(member.indexOf(':') + 1);
}

function compareEntries(a: RankedEntry, b: RankedEntry): number {
  if (a.returnPpb !== b.returnPpb) return b.returnPpb - a.returnPpb;
  // Ties: the same order as the sorted set's reverse lexicographic order of members.
  const memberA = leaderboardMember(a);
  const memberB = leaderboardMember(b);
  return memberA === memberB ? 0 : memberA > memberB ? -1 : 1;
}

/** The entries in board order with ranks 1..n; equal entries can only be the same assessment. */
export function rankLeaderboard(entries: readonly LeaderboardEntry[]): RankedEntry[] {
  if (entries.length > LEADERBOARD_ENTRIES_MAX) throw new RangeError(`a ranking orders at most ${LEADERBOARD_ENTRIES_MAX} entries`);
  return entries
    .map((entry) => ({ ...entry, rank: 0, returnPpb: returnPpb(entry) }))
    .sort(compareEntries)
    .map((entry, index) => ({ ...entry, rank: index + 1 }));
}
