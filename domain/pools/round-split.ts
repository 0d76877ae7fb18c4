// How one round's money divides, exactly to the minor unit: the rotating pot (platform fee, payout,
// bid dividends) and the investment pool's capital calls and distributions.
import { BASIS_POINTS_MAX } from './pool-config';
import { splitEvenly, splitProRata } from '../core/money';

/** A fee of `bps` basis points on `amountMinor`, rounded down: the remainder stays with the members. */
export function feeOf(amountMinor: bigint, bps: number): bigint {
  return (amountMinor * BigInt(bps)) / BigInt(BASIS_POINTS_MAX);
}

export interface RotatingSplit {
  platformFeeMinor: bigint;
  payoutMinor: bigint;
  /** Dividends from the winner's bid discount, by member id. */
  dividendsMinor: Map<string, bigint>;
}

/**
 * Divides a rotating pot: the platform fee comes off the top, the winner receives the rest less the
 * discount they bid, and the discount is shared evenly among the other members (earlier members in
 * `otherMemberIds` take the odd units). platformFee + payout + dividends = pot, always.
 */
export function splitRotatingPot(input: { potMinor: bigint; platformFeeBps: number; discountMinor: bigint; otherMemberIds: readonly string[] }): RotatingSplit {
  const platformFeeMinor = feeOf(input.potMinor, input.platformFeeBps);
  const afterFee = input.potMinor - platformFeeMinor;
  // With nobody to share it with, a discount would vanish, so it is not taken.
  const discountMinor = input.otherMemberIds.length === 0 ? 0n : input.discountMinor < afterFee ? input.discountMinor : afterFee;
  const dividendsMinor = new Map<string, bigint>();
  if (discountMinor > 0n) {
    const parts = splitEvenly(discountMinor, input.otherMemberIds.length);
    input.otherMemberIds.forEach((memberId, index) => dividendsMinor.set(memberId, parts[index]!));
  }
  return { platformFeeMinor, payoutMinor: afterFee - discountMinor, dividendsMinor };
}

/** A capital call: `callBps` of the total commitment, asked of each member pro-rata to commitment. */
export function capitalCall(commitmentsMinor: ReadonlyMap<string, bigint>, callBps: number): Map<string, bigint> {
  const memberIds = [...commitmentsMinor.keys()];
  const commitments = memberIds.map((id) => commitmentsMinor.get(id)!);
  const total = feeOf(
    commitments.reduce((sum, c) => sum + c, 0n),
    callBps,
  );
  const parts = splitProRata(total, commitments);
  return new Map(memberIds.map((id, index) => [id, parts[index]!]));
}

export interface Distribution {
  managementFeeMinor: bigint;
  sharesMinor: Map<string, bigint>;
}

/** A distribution: the management fee first, the rest pro-rata to each member's paid-in capital. */
export function distribution(amountMinor: bigint, paidInMinor: ReadonlyMap<string, bigint>, managementFeeBps: number): Distribution {
  const managementFeeMinor = feeOf(amountMinor, managementFeeBps);
  const memberIds = [...paidInMinor.keys()];
  const parts = splitProRata(
    amountMinor - managementFeeMinor,
    memberIds.map((id) => paidInMinor.get(id)!),
  );
  return { managementFeeMinor, sharesMinor: new Map(memberIds.map((id, index) => [id, parts[index]!])) };
}
