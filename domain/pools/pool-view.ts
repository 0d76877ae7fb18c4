// The shape of a pool as its workflow reports it: returned by the `poolState` query and updates, and
// written to the read models. Amounts are decimal strings (minor units): the view crosses JSON.
import type { PayoutDraw } from './payout-draw';
import type { PoolConfig } from './pool-config';
import type { PoolStatus } from './pool-lifecycle';

/** active: pays and may receive; suspended: pays but may not receive until in good standing;
 *  expelled: neither; left: replaced by another member or left before the pool began. */
export type MemberStatus = 'active' | 'suspended' | 'expelled' | 'left';

export interface PoolMemberView {
  memberId: string;
  status: MemberStatus;
  /** Order of joining, from 1; the fixed payout order follows it. */
  joinSeq: number;
  /** Investment pools: the capital the member committed. */
  commitmentMinor: string | null;
  paidInMinor: string;
  arrearsMinor: string;
  received: boolean;
  /** Set on a member who took over another's place. */
  replacedMemberId: string | null;
}

export interface RoundSummary {
  round: number;
  kind: 'contribution' | 'distribution';
  potMinor: string;
  feeMinor: string;
  discountMinor: string;
  winnerMemberId: string | null;
  paidCount: number;
  defaultedCount: number;
}

export interface PoolView {
  poolId: string;
  managerId: string;
  config: PoolConfig;
  status: PoolStatus;
  members: PoolMemberView[];
  payoutOrder: string[] | null;
  roundsCompleted: number;
  roundsPlanned: number;
  roundInProgress: number | null;
  bidding: { round: number; closesAt: string; bids: number } | null;
  /** What the pot holds by the workflow's own reckoning (the ledger is the authority). */
  potMinor: string;
  recentRounds: RoundSummary[];
  /** A round that ended without a result and waits for operations (the `retryRound` signal); absent in older views. */
  roundEscalation?: { round: number; reason: string } | null;
  /** SHA-256 of the server-held secret that seeds the pool's draws, fixed at creation (pools since commit-reveal). */
  drawCommitment?: string;
  /** Published at activation: the secret, the members and the seed, so anyone can check the order (verifyPayoutDraw). */
  payoutDraw?: PayoutDraw;
  /** Grows with every change; projections only ever move forward. */
  version: number;
}
