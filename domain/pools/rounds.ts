// The rules of a pool's rounds: what the next round asks of whom and whom it may pay, which reported
// result counts, how a finished round changes members and pot, when a failed round is escalated, and
// when a pool is done. Pure: the workflow starts the round workflows and waits; these decide.
import { capitalCall } from './round-split';
import type { PoolConfig } from './pool-config';
import { assertNever } from './pool-lifecycle';
import type { PoolMemberView } from './pool-view';
import { auctionEligible, currentMember, payingMembers } from './commands';
import { roundInputRows, type RoundStart } from './round-input';
import { roundResultOf, type RoundReport } from './round-report';
import { GIVEN_ROUND_SHAPE, type PayoutPlan, type RoundInput, type RoundKind } from './round-types';
import type { PoolState } from './state';

/** The rounds a pool keeps in its view; older ones live in the read models. */
export const RECENT_ROUNDS_MAX = 12;
/** A rotating pool whose members keep defaulting stops adding rounds here and waits for operations. */
export const ROUNDS_PER_MEMBER_MAX = 2;
/** How much of a failed round's error the pool keeps for operations. */
export const ESCALATION_REASON_CHARS_MAX = 300;
const HOUR_MS = 3_600_000;

type Dues = RoundInput['dues'];

/** What the next contribution round needs before it starts, or null when the pool runs no more rounds. */
export type ContributionPlan = { kind: 'start'; payout: PayoutPlan; dues: Dues } | { kind: 'bidding' } | null;

/**
 * The next contribution round: an investment pool's capital call, a rotating pool's round paying the
 * next eligible member in the payout order, or — for bid pools — a bidding window first.
 */
export function planContributionRound(s: PoolState, config: PoolConfig): ContributionPlan {
  if (config.kind === 'investment') {
    if (s.roundsCompleted >= s.roundsPlanned) return null;
    const commitments = new Map(payingMembers(s).map((m) => [m.memberId, BigInt(m.commitmentMinor ?? '0')]));
    const dues = [...capitalCall(commitments, config.capitalCallBps)].map(([id, amount]) => ({
      memberId: id,
      amountMinor: amount.toString(),
      arrearsMinor: currentMember(s, id)!.arrearsMinor,
    }));
    return { kind: 'start', payout: { kind: 'none' }, dues };
  }
  // Rounds that paid nobody (everyone eligible defaulted) are made up, but not without end.
  if (s.roundsCompleted >= ROUNDS_PER_MEMBER_MAX * s.members.length) return null;
  if (config.payoutOrder === 'bid') return { kind: 'bidding' };
  // Whoever has not received yet may take the pot if they pay this round — arrears included, which come
  // with this round's charge; the round passes over anyone who does not (round-payout.ts).
  const candidates = (s.payoutOrder ?? []).filter((id) => {
    const m = currentMember(s, id);
    return (m?.status === 'active' || m?.status === 'suspended') && !m.received;
  });
  return {
    kind: 'start',
    payout: { kind: 'order', candidates, members: payingMembers(s).map((m) => m.memberId), platformFeeBps: config.platformFeeBps },
    dues: rotatingDues(s, config),
  };
}

/** Arrears are collected with the next contribution; paid, they return the member to good standing. */
export function rotatingDues(s: PoolState, config: PoolConfig): Dues {
  if (config.kind !== 'rotating') return [];
  return payingMembers(s).map((m) => ({ memberId: m.memberId, amountMinor: config.contributionMinor, arrearsMinor: m.arrearsMinor }));
}

/** Opens the bidding window of the next round (kept if already open, as after continue-as-new). */
export function openBidding(s: PoolState, config: PoolConfig, nowMs: number): void {
  const hours = config.kind === 'rotating' ? config.bidWindowHours : 0;
  s.bidding ??= { round: s.nextRound, closesAtMs: nowMs + hours * HOUR_MS, bids: {} };
}

/** Bidding closes at its time, or early once every eligible member has bid. */
export const everyoneBid = (s: PoolState): boolean => auctionEligible(s).every((id) => id in s.bidding!.bids);

/** Closes bidding and plans the auction round; ties are drawn from the input's seed (older pools) or the revealed draw's. */
export function closeBidding(s: PoolState, config: PoolConfig, inputSeed: string | undefined): { payout: PayoutPlan; dues: Dues } {
  const seed = inputSeed ?? s.payoutDraw!.seed;
  const bids = Object.entries(s.bidding!.bids).map(([memberId, discountMinor]) => ({ memberId, discountMinor }));
  s.bidding = null;
  const platformFeeBps = config.platformFeeBps;
  return {
    payout: { kind: 'auction', eligible: auctionEligible(s), bids, seed, members: payingMembers(s).map((m) => m.memberId), platformFeeBps },
    dues: rotatingDues(s, config),
  };
}

/** An investment distribution, pro-rata to what each paying member has paid in. */
export function planDistribution(s: PoolState, config: PoolConfig): PayoutPlan | null {
  if (config.kind !== 'investment') return null;
  const amountMinor = s.distributionsRequested.shift()!;
  const paidInMinor = payingMembers(s)
    .filter((m) => m.paidInMinor !== '0')
    .map((m) => ({ memberId: m.memberId, amountMinor: m.paidInMinor }));
  return { kind: 'distribution', amountMinor, paidInMinor, managementFeeBps: config.managementFeeBps };
}

/**
 * A cancelled pool returns what its pot still holds — an investment pool's undistributed capital, or a
 * rotating pot nobody could win — to its members pro-rata to what each paid in (no fee). Null when
 * there is nothing to return.
 */
export function planWindUp(s: PoolState): PayoutPlan | null {
  const paidInMinor = s.members.filter((m) => m.paidInMinor !== '0').map((m) => ({ memberId: m.memberId, amountMinor: m.paidInMinor }));
  if (BigInt(s.potMinor) <= 0n || paidInMinor.length === 0) return null;
  return { kind: 'distribution', amountMinor: s.potMinor, paidInMinor, managementFeeBps: 0 };
}

/** Takes the next round number and marks the round as under way; `shape` is given by pools of the current shape. */
export function beginRound(
  s: PoolState,
  config: PoolConfig,
  poolId: string,
  kind: RoundKind,
  payout: PayoutPlan,
  dues: Dues,
  shape?: RoundInput['shape'],
): RoundStart {
  const round = s.nextRound++;
  const input: RoundInput = {
    poolId,
    round,
    currency: config.currency,
    dues,
    gracePeriodHours: config.gracePeriodHours,
    lateFeeMinor: config.lateFeeMinor,
    dunningRetryHours: config.dunningRetryHours,
    defaultPolicy: config.defaultPolicy,
    payout,
    ...(shape ? { shape } : {}),
  };
  // Pools of the current shape give it as rows: it enters two histories, and the pool's carried state.
  const start = shape === GIVEN_ROUND_SHAPE ? roundInputRows(input) : input;
  s.roundInProgress = { round, kind, input: start, ...(shape ? { shape } : {}) };
  return start;
}

/** A round reports once, but signals are not de-duplicated: only the awaited round's first report counts. */
export function roundReported(s: PoolState, result: RoundReport): boolean {
  if (s.roundInProgress?.round !== result.round || s.finishedRound) return false;
  s.finishedRound = result;
  return true;
}

/** A round that ended without reporting: escalated to operations, unless its result is in after all. */
export function roundEndedUnreported(s: PoolState, round: number, reason: string): boolean {
  if (s.roundInProgress?.round !== round || s.finishedRound) return false;
  s.roundEscalation = { round, reason: reason.slice(0, ESCALATION_REASON_CHARS_MAX), announced: false, retryRequested: false };
  return true;
}

/** Operations asked for the escalated round to run again; false when no round is escalated. */
export function retryRound(s: PoolState): boolean {
  if (!s.roundEscalation) return false;
  s.roundEscalation.retryRequested = true;
  return true;
}

/** An escalated round that cannot run again (its input could not be read): escalated anew, saying so, with no retry pending. */
export function roundCannotRerun(s: PoolState): void {
  const escalated = s.roundEscalation;
  if (!escalated) return;
  const reason = `${escalated.reason}; its input could not be read, so it cannot run again`.slice(0, ESCALATION_REASON_CHARS_MAX);
  s.roundEscalation = { round: escalated.round, reason, announced: false, retryRequested: false };
}

/** Closes the round whose result was applied; a rotating pool whose members have all received completes. */
export function closeRound(s: PoolState, config: PoolConfig): void {
  s.roundInProgress = null;
  s.finishedRound = null;
  if (s.status === 'active' && isPoolDone(s, config)) s.status = 'completed';
}

/** Applies a finished round to the pool's members and totals; returns the members it changed. */
export function applyRoundResult(s: PoolState, report: RoundReport, kind: RoundKind): PoolMemberView[] {
  const result = roundResultOf(report);
  const byId = new Map(s.members.map((m) => [m.memberId, m]));
  const changed = new Set<PoolMemberView>();
  let potMinor = BigInt(s.potMinor) + BigInt(result.potMinor);
  for (const outcome of result.members) {
    const m = byId.get(outcome.memberId)!;
    switch (outcome.outcome) {
      case 'paid':
      case 'paid-late':
        m.paidInMinor = (BigInt(m.paidInMinor) + BigInt(outcome.owedMinor)).toString();
        // Results from rounds that began before arrears were collected carry no arrearsPaidMinor.
        m.arrearsMinor = (BigInt(m.arrearsMinor) - BigInt(outcome.arrearsPaidMinor ?? '0')).toString();
        if (m.arrearsMinor === '0' && m.status === 'suspended') m.status = 'active';
        changed.add(m);
        break;
      case 'refunded':
        potMinor -= BigInt(outcome.owedMinor);
        break;
      case 'covered':
      case 'defaulted': {
        // The default policy: cover-from-reserve paid the pot for them; they owe the reserve. A member
        // the reserve could not cover is suspended, as are members under the suspend policy.
        m.arrearsMinor = (BigInt(m.arrearsMinor) + BigInt(outcome.owedMinor)).toString();
        if (outcome.policyApplied === 'expel') m.status = 'expelled';
        else if (outcome.policyApplied === 'suspend') m.status = 'suspended';
        changed.add(m);
        break;
      }
      default:
        assertNever(outcome.outcome);
    }
  }
  if (result.payout) {
    potMinor -= BigInt(result.payout.feeMinor);
    for (const recipient of result.payout.recipients) potMinor -= BigInt(recipient.amountMinor);
    const winner = result.payout.winnerMemberId ? byId.get(result.payout.winnerMemberId) : undefined;
    if (winner) {
      winner.received = true;
      changed.add(winner);
    }
  }
  s.potMinor = potMinor.toString();
  if (kind === 'contribution') s.roundsCompleted++;
  s.recentRounds = [
    ...s.recentRounds,
    {
      round: result.round,
      kind,
      potMinor: result.potMinor,
      feeMinor: result.payout?.feeMinor ?? '0',
      discountMinor: result.payout?.discountMinor ?? '0',
      winnerMemberId: result.payout?.winnerMemberId ?? null,
      paidCount: result.members.filter((m) => m.outcome === 'paid' || m.outcome === 'paid-late').length,
      defaultedCount: result.members.filter((m) => m.outcome === 'defaulted').length,
    },
  ].slice(-RECENT_ROUNDS_MAX);
  return [...changed];
}

/** A rotating pool is done when every member still in it has received the pot once. */
export function isPoolDone(s: PoolState, config: PoolConfig): boolean {
  if (config.kind === 'investment') return false;
  return s.members.every((m) => (m.status !== 'active' && m.status !== 'suspended') || m.received);
}
