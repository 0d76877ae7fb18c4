// Who receives each round's pot in a rotating pool: a fixed order, a seeded random order drawn once at
// activation, or a per-round bid auction (the chit-fund rule). Every draw is reproducible from the
// pool's seed, so a replayed or audited pool reaches the same winners.
import { createRng, shuffled } from './random';

/** The fixed order is the order in which members joined. */
export function fixedPayoutOrder(memberIdsInJoinOrder: readonly string[]): string[] {
  return [...memberIdsInJoinOrder];
}

/** A random order drawn from the pool's seed: the same seed and members always give the same order. */
export function randomPayoutOrder(memberIdsInJoinOrder: readonly string[], seed: string): string[] {
  return shuffled(memberIdsInJoinOrder, createRng(`${seed}/payout-order`));
}

export interface Bid {
  memberId: string;
  /** The discount on the pot the member accepts, in minor units. */
  discountMinor: bigint;
}

export interface AuctionInput {
  round: number;
  seed: string;
  potMinor: bigint;
  /** Members who may win this round: active, not in arrears, not yet paid out; in join order. */
  eligibleMemberIds: readonly string[];
  bids: readonly Bid[];
}

export interface AuctionResult {
  winnerMemberId: string;
  discountMinor: bigint;
  /** True when several members bid the same highest discount and the seeded draw chose among them. */
  tieBroken: boolean;
}

/** Thrown when an auction cannot be decided: nobody is eligible. */
export class AuctionError extends Error {}

/**
 * The highest discount wins; ties are broken by a draw seeded with the pool's seed and the round. With
 * no valid bids, the draw picks among all eligible members at zero discount (a chit fund's lot).
 * Bids from members who are not eligible are ignored, as is any bid not below the pot.
 */
export function resolveAuction(input: AuctionInput): AuctionResult {
  if (input.eligibleMemberIds.length === 0) throw new AuctionError(`round ${input.round} has no eligible member`);
  const eligible = new Set(input.eligibleMemberIds);
  const valid = input.bids.filter((bid) => eligible.has(bid.memberId) && bid.discountMinor >= 0n && bid.discountMinor < input.potMinor);
  const best = valid.reduce((max, bid) => (bid.discountMinor > max ? bid.discountMinor : max), -1n);
  // Candidates keep join order so that the draw does not depend on the order bids arrived in.
  const candidates =
    best < 0n ? [...input.eligibleMemberIds] : input.eligibleMemberIds.filter((id) => valid.some((b) => b.memberId === id && b.discountMinor === best));
  const rng = createRng(`${input.seed}/round/${input.round}/auction`);
  const winnerMemberId = candidates.length === 1 ? candidates[0]! : candidates[rng.nextInt(candidates.length)]!;
  return { winnerMemberId, discountMinor: best < 0n ? 0n : best, tieBroken: candidates.length > 1 };
}
