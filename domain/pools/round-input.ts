// A round's input as it crosses Temporal: pools of the current shape give their rounds (GIVEN_ROUND_SHAPE)
// their dues and payout plan as rows and name each member once — the dividend sharers are the dues'
// members, a bid names its bidder by place in the eligible list — and the round reads any input, rows
// or the objects of older pools' rounds, through roundInputOf.
//
// Why: the input enters the pool's history (the child's start) and the round's own. With objects, an
// auction round of POOL_MEMBERS_MAX members with IDs of the longest allowed length, everyone bidding,
// came to 292 KB, over the 256 KB a payload may take here; as rows it is a little over half that.
import { GIVEN_ROUND_SHAPE, type PayoutPlan, type RoundInput } from './round-types';

export type DueRow = [memberId: string, amountMinor: string, arrearsMinor: string];
export type BidRow = [eligibleIndex: number, discountMinor: string];
export type PaidInRow = [memberId: string, amountMinor: string];

export type PayoutPlanRows =
  | { kind: 'none' }
  /** The dues' members share the dividends (rotatingDues). */
  | { kind: 'order'; candidates: string[]; platformFeeBps: number }
  | { kind: 'auction'; eligible: string[]; bids: BidRow[]; seed: string; platformFeeBps: number }
  | { kind: 'distribution'; amountMinor: string; paidInMinor: PaidInRow[]; managementFeeBps: number };

export interface RoundInputRows extends Omit<RoundInput, 'dues' | 'payout' | 'shape'> {
  /** Tells an input of rows from one of objects. */
  form: 'rows';
  dues: DueRow[];
  payout: PayoutPlanRows;
  shape: typeof GIVEN_ROUND_SHAPE;
}

/** What a pool gives a round: rows (pools of the current shape) or objects (older pools, tests, benchmarks). */
export type RoundStart = RoundInput | RoundInputRows;

function planRows(plan: PayoutPlan, dues: RoundInput['dues']): PayoutPlanRows {
  switch (plan.kind) {
    case 'none':
      return plan;
    case 'order':
    case 'auction': {
      // Only a plan whose sharers are its dues' members can leave them out.
      const payers = dues.map((due) => due.memberId);
      if (plan.members.length !== payers.length || plan.members.some((id, i) => id !== payers[i]))
        throw new Error(`a ${plan.kind} plan's dividend sharers must be its dues' members, in order`);
      if (plan.kind === 'order') return { kind: 'order', candidates: plan.candidates, platformFeeBps: plan.platformFeeBps };
      const place = new Map(plan.eligible.map((id, i) => [id, i]));
      const bids = plan.bids.map((bid): BidRow => {
        const at = place.get(bid.memberId);
        if (at === undefined) throw new Error(`${bid.memberId} bid but is not eligible`);
        return [at, bid.discountMinor];
      });
      return { kind: 'auction', eligible: plan.eligible, bids, seed: plan.seed, platformFeeBps: plan.platformFeeBps };
    }
    case 'distribution':
      return { ...plan, paidInMinor: plan.paidInMinor.map((p) => [p.memberId, p.amountMinor]) };
  }
}

function planOf(rows: PayoutPlanRows, members: string[]): PayoutPlan {
  switch (rows.kind) {
    case 'none':
      return rows;
    case 'order':
      return { ...rows, members };
    case 'auction':
      return {
        kind: 'auction',
        eligible: rows.eligible,
        bids: rows.bids.map(([at, discountMinor]) => {
          const memberId = rows.eligible[at];
          if (memberId === undefined) throw new Error(`a bid names eligible member ${at} of ${rows.eligible.length}`);
          return { memberId, discountMinor };
        }),
        seed: rows.seed,
        members,
        platformFeeBps: rows.platformFeeBps,
      };
    case 'distribution':
      return { ...rows, paidInMinor: rows.paidInMinor.map(([memberId, amountMinor]) => ({ memberId, amountMinor })) };
  }
}

/** The input a pool of the current shape gives its round. */
export function roundInputRows(input: RoundInput): RoundInputRows {
  return {
    ...input,
    form: 'rows',
    dues: input.dues.map((due) => [due.memberId, due.amountMinor, due.arrearsMinor ?? '0']),
    payout: planRows(input.payout, input.dues),
    shape: GIVEN_ROUND_SHAPE,
  };
}

export function roundInputOf(start: RoundStart): RoundInput {
  if (!('form' in start)) return start;
  const { form: _form, ...rest } = start;
  const dues = start.dues.map(([memberId, amountMinor, arrearsMinor]) => ({ memberId, amountMinor, arrearsMinor }));
  return {
    ...rest,
    dues,
    payout: planOf(
      start.payout,
      dues.map((due) => due.memberId),
    ),
  };
}
