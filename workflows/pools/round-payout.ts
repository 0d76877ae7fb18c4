// Who a round pays and how much: the rotating pot to one winner (by payout order or auction) with bid
// dividends for the others, or an investment distribution pro-rata to paid-in capital. Pure: the round
// workflow decides its payout from its own state and the pool's plan.
import { resolveAuction } from '../../domain/pools/payout-order';
import type { PayoutChoice, PayoutPlan } from '../../domain/pools/round-types';
import { distribution, splitRotatingPot } from '../../domain/pools/round-split';

export type { PayoutChoice, PayoutPlan } from '../../domain/pools/round-types';

/**
 * Decides the payout; null when the plan pays nobody this round (a capital call, or nobody eligible).
 * `unpaidThisRound` (defaulted or covered by the reserve) may not win; `defaultedThisRound` put nothing
 * into this pot, so they share no bid dividend either.
 */
export function choosePayout(
  plan: PayoutPlan,
  potMinor: bigint,
  unpaidThisRound: ReadonlySet<string>,
  defaultedThisRound: ReadonlySet<string>,
  round: number,
): PayoutChoice | null {
  const sharers = (members: string[]) => members.filter((id) => !defaultedThisRound.has(id));
  switch (plan.kind) {
    case 'none':
      return null;
    case 'order': {
      const winner = plan.candidates.find((id) => !unpaidThisRound.has(id));
      return winner === undefined ? null : rotatingChoice(potMinor, winner, 0n, sharers(plan.members), plan.platformFeeBps);
    }
    case 'auction': {
      const eligible = plan.eligible.filter((id) => !unpaidThisRound.has(id));
      if (eligible.length === 0) return null;
      const bids = plan.bids.map((bid) => ({ memberId: bid.memberId, discountMinor: BigInt(bid.discountMinor) }));
      const result = resolveAuction({ round, seed: plan.seed, potMinor, eligibleMemberIds: eligible, bids });
      return rotatingChoice(potMinor, result.winnerMemberId, result.discountMinor, sharers(plan.members), plan.platformFeeBps);
    }
    case 'distribution': {
      const paidIn = new Map(plan.paidInMinor.map((entry) => [entry.memberId, BigInt(entry.amountMinor)]));
      const split = distribution(BigInt(plan.amountMinor), paidIn, plan.managementFeeBps);
      return {
        winnerMemberId: null,
        discountMinor: '0',
        feeMinor: split.managementFeeMinor.toString(),
        recipients: [...split.sharesMinor]
          .filter(([, amount]) => amount > 0n)
          .map(([memberId, amount]) => ({ memberId, amountMinor: amount.toString(), purpose: 'distribution' })),
      };
    }
  }
}

function rotatingChoice(potMinor: bigint, winner: string, discountMinor: bigint, members: string[], platformFeeBps: number): PayoutChoice {
  const others = members.filter((id) => id !== winner);
  const split = splitRotatingPot({ potMinor, platformFeeBps, discountMinor, otherMemberIds: others });
  const dividends = [...split.dividendsMinor].filter(([, amount]) => amount > 0n);
  return {
    winnerMemberId: winner,
    discountMinor: (potMinor - split.platformFeeMinor - split.payoutMinor).toString(),
    feeMinor: split.platformFeeMinor.toString(),
    recipients: [
      ...(split.payoutMinor > 0n ? [{ memberId: winner, amountMinor: split.payoutMinor.toString(), purpose: 'pot' as const }] : []),
      ...dividends.map(([memberId, amount]) => ({ memberId, amountMinor: amount.toString(), purpose: 'dividend' as const })),
    ],
  };
}
