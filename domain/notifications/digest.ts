// The manager's daily digest: members in arrears across their pools, with suspensions, expulsions and
// rounds whose payout waits for operations. Built from what the activities read; pure, so the same
// facts always make the same notice under the same key (one digest per manager and day).
import { noticeKeys } from '../core/idempotency-keys';
import type { Notice } from './catalogue';

/** One pool's standing as the digest sees it. */
export interface PoolStanding {
  poolId: string;
  poolName: string;
  currency: string;
  inArrears: Array<{ memberId: string; arrearsMinor: string }>;
  suspended: string[];
  expelled: string[];
  /** A round whose every payout attempt failed, waiting for operations. */
  escalatedRound: number | null;
}

/** The digest of `day` (YYYY-MM-DD), or null when nothing needs the manager's attention. */
export function managerDigest(managerId: string, day: string, pools: PoolStanding[], occurredAt: string): Notice | null {
  const attention = pools.filter((p) => p.inArrears.length > 0 || p.suspended.length > 0 || p.expelled.length > 0 || p.escalatedRound !== null);
  if (attention.length === 0) return null;
  const totals = new Map<string, bigint>();
  for (const pool of attention) {
    for (const member of pool.inArrears) totals.set(pool.currency, (totals.get(pool.currency) ?? 0n) + BigInt(member.arrearsMinor));
  }
  return {
    key: noticeKeys.managerDigest(managerId, day),
    type: 'manager.digest',
    poolId: attention[0]!.poolId,
    managerId,
    occurredAt,
    recipients: [{ role: 'manager', id: managerId }],
    data: {
      day,
      membersInArrears: attention.reduce((sum, p) => sum + p.inArrears.length, 0),
      suspendedCount: attention.reduce((sum, p) => sum + p.suspended.length, 0),
      expelledCount: attention.reduce((sum, p) => sum + p.expelled.length, 0),
      // `currency=amountMinor`, rendered per the reader's locale.
      arrearsByCurrency: [...totals].map(([currency, amount]) => `${currency}=${amount}`),
      pools: attention.map((p) => p.poolName),
      details: attention.map((p) => {
        const marks = new Map<string, string>(p.inArrears.map((m) => [m.memberId, '']));
        for (const id of p.suspended) marks.set(id, '*');
        for (const id of p.expelled) marks.set(id, '†');
        const escalated = p.escalatedRound !== null ? ` [round ${p.escalatedRound}: payout escalated]` : '';
        return `${p.poolName}: ${[...marks].map(([id, mark]) => `${id}${mark}`).join(', ')}${escalated}`;
      }),
    },
  };
}

/** The hour (UTC) at which managers receive their digest. */
export const DIGEST_HOUR_UTC = 7;
const DAY_MS = 24 * 3_600_000;
const DIGEST_OFFSET_MS = DIGEST_HOUR_UTC * 3_600_000;

/** The first digest time strictly after `afterMs`. */
export function nextDigestAtMs(afterMs: number): number {
  return (Math.floor((afterMs - DIGEST_OFFSET_MS) / DAY_MS) + 1) * DAY_MS + DIGEST_OFFSET_MS;
}
