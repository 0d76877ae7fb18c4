// The rules of every command a pool takes, as pure functions over its state (the pattern of Temporal's
// safe-message-handlers sample). Each command has a check, which says why it is refused (null when it
// is accepted) and changes nothing, and a reducer, which applies an accepted command to the state and
// returns the member rows it changed: the workflow projects just those, never the whole pool.
import { drawnPayoutOrder, type PayoutDraw } from './payout-draw';
import { fixedPayoutOrder, randomPayoutOrder } from './payout-order';
import type { PoolConfig } from './pool-config';
import { acceptsMembers, nextStatus, type PoolCommand } from './pool-lifecycle';
import type { PoolMemberView } from './pool-view';
import { PoolRejection, refusal, type BidRequest, type DistributeRequest, type JoinRequest, type Refusal, type ReplaceRequest } from './requests';
import type { PoolState, RoundTriggerVerdict } from './state';

/** Round triggers remembered for retries: enough for any client's retries, small enough to carry. */
export const ROUND_TRIGGERS_KEPT_MAX = 20;

/** The member `id` as the pool knows them now (those who left are no longer members). */
export const currentMember = (s: PoolState, id: string): PoolMemberView | undefined => s.members.find((m) => m.memberId === id && m.status !== 'left');

/** Members who pay each round: active ones, and suspended ones working off their arrears. */
export const payingMembers = (s: PoolState): PoolMemberView[] => s.members.filter((m) => m.status === 'active' || m.status === 'suspended');

/** Who may bid in an auction: active members in good standing who have not received the pot. */
export const auctionEligible = (s: PoolState): string[] =>
  s.members.filter((m) => m.status === 'active' && !m.received && m.arrearsMinor === '0').map((m) => m.memberId);

const contributionOf = (config: PoolConfig): string => (config.kind === 'rotating' ? config.contributionMinor : '0');

function checkTransition(s: PoolState, command: PoolCommand): Refusal | null {
  return nextStatus(s.status, command) ? null : refusal(PoolRejection.invalidState, `a ${s.status} pool cannot ${command}`);
}

function transition(s: PoolState, command: PoolCommand): void {
  const next = nextStatus(s.status, command);
  if (!next) throw new Error(`a ${s.status} pool cannot ${command}: the command's check was skipped`);
  s.status = next;
}

// ---------------------------------------------------------------------------------------------------
// Joining and leaving
// ---------------------------------------------------------------------------------------------------

/** Why `id` cannot join now (already in, or no place left); checked again after a join waits. */
export function checkJoinPlace(s: PoolState, config: PoolConfig, id: string): Refusal | null {
  if (currentMember(s, id)) return refusal(PoolRejection.alreadyMember, `${id} is already a member`);
  if (s.members.filter((m) => m.status !== 'left').length >= config.membersMax)
    return refusal(PoolRejection.full, `the pool is full (${config.membersMax} members)`);
  return null;
}

/**
 * A join may arrive while the pool is still a draft: it is accepted and waits for the pool to open.
 * Membership is checked first: a member whose twin request joined them is told so whatever else has
 * changed since (the pool activated, say), because the API ends the agreement a join recorded only when
 * the refusal is not AlreadyMember, and that agreement is the one the member joined on.
 */
export function checkJoin(s: PoolState, config: PoolConfig, request: JoinRequest): Refusal | null {
  if (currentMember(s, request.memberId)) return refusal(PoolRejection.alreadyMember, `${request.memberId} is already a member`);
  if (s.status !== 'draft' && !acceptsMembers(s.status)) return refusal(PoolRejection.invalidState, `a ${s.status} pool does not take new members`);
  const place = checkJoinPlace(s, config, request.memberId);
  if (place) return place;
  if (config.kind === 'investment' && request.commitmentMinor === undefined)
    return refusal(PoolRejection.invalidRequest, 'commitmentMinor: an investment pool needs a commitment');
  if (config.kind === 'rotating' && request.commitmentMinor !== undefined)
    return refusal(PoolRejection.invalidRequest, 'commitmentMinor: a rotating pool takes no commitment');
  return null;
}

/** After the wait for the pool to open: is it still taking members? */
export function checkJoinOpen(s: PoolState): Refusal | null {
  return acceptsMembers(s.status) ? null : refusal(PoolRejection.invalidState, `a ${s.status} pool does not take new members`);
}

export function join(s: PoolState, request: JoinRequest): PoolMemberView[] {
  const member: PoolMemberView = {
    memberId: request.memberId,
    status: 'active',
    joinSeq: s.members.length + 1,
    commitmentMinor: request.commitmentMinor ?? null,
    paidInMinor: '0',
    arrearsMinor: '0',
    received: false,
    replacedMemberId: null,
  };
  s.members.push(member);
  return [member];
}

export function checkLeave(s: PoolState, memberId: string): Refusal | null {
  if (!currentMember(s, memberId)) return refusal(PoolRejection.notMember, `${memberId} is not a member`);
  if (s.status !== 'open') return refusal(PoolRejection.invalidState, `members leave a ${s.status} pool by being replaced`);
  return null;
}

export function leave(s: PoolState, memberId: string): PoolMemberView[] {
  const leaving = currentMember(s, memberId)!;
  leaving.status = 'left';
  return [leaving];
}

export function checkReplace(s: PoolState, request: ReplaceRequest): Refusal | null {
  if (s.status !== 'active' && s.status !== 'paused')
    return refusal(PoolRejection.invalidState, `replacement happens in an active or paused pool, this one is ${s.status}`);
  if (!currentMember(s, request.outgoingMemberId)) return refusal(PoolRejection.notMember, `${request.outgoingMemberId} is not a member`);
  if (s.members.some((m) => m.memberId === request.incomingMemberId))
    return refusal(PoolRejection.alreadyMember, `${request.incomingMemberId} is or was a member`);
  if (s.roundInProgress || s.bidding)
    return refusal(PoolRejection.roundInProgress, `round ${s.roundInProgress?.round ?? s.bidding?.round} is under way; replace after it`);
  return null;
}

/**
 * The newcomer takes the outgoing member's place: their turn in the payout order, whether the pot was
 * already received, and what is owed; the outgoing member's past contributions stay theirs.
 */
export function replace(s: PoolState, request: ReplaceRequest): PoolMemberView[] {
  const { outgoingMemberId, incomingMemberId } = request;
  const outgoing = currentMember(s, outgoingMemberId)!;
  const incoming: PoolMemberView = { ...outgoing, memberId: incomingMemberId, paidInMinor: '0', replacedMemberId: outgoingMemberId };
  s.members.push(incoming);
  outgoing.status = 'left';
  s.payoutOrder = s.payoutOrder?.map((id) => (id === outgoingMemberId ? incomingMemberId : id)) ?? null;
  return [outgoing, incoming];
}

// ---------------------------------------------------------------------------------------------------
// The lifecycle
// ---------------------------------------------------------------------------------------------------

export function checkActivate(s: PoolState, config: PoolConfig): Refusal | null {
  const refused = checkTransition(s, 'activate');
  if (refused) return refused;
  const count = payingMembers(s).length;
  if (count < config.membersMin) return refusal(PoolRejection.invalidState, `the pool needs at least ${config.membersMin} members to start, it has ${count}`);
  return null;
}

/**
 * Activation fixes a rotating pool's rounds and payout order. A random order comes from the draw revealed
 * at activation (commit-reveal) or, in pools started before it, from the seed in the pool's input.
 */
export function activate(s: PoolState, config: PoolConfig, seeding: { draw: PayoutDraw | null; seed?: string }): PoolMemberView[] {
  transition(s, 'activate');
  const ids = payingMembers(s).map((m) => m.memberId);
  if (config.kind === 'rotating') {
    s.roundsPlanned = ids.length;
    s.payoutDraw = seeding.draw;
    const random = () => (seeding.draw ? drawnPayoutOrder(seeding.draw) : randomPayoutOrder(ids, seeding.seed!));
    s.payoutOrder = config.payoutOrder === 'random' ? random() : config.payoutOrder === 'fixed' ? fixedPayoutOrder(ids) : null;
  }
  return [];
}

export const checkPause = (s: PoolState): Refusal | null => checkTransition(s, 'pause');
export const checkResume = (s: PoolState): Refusal | null => checkTransition(s, 'resume');
export const checkCancel = (s: PoolState): Refusal | null => checkTransition(s, 'cancel');

export function pause(s: PoolState): PoolMemberView[] {
  transition(s, 'pause');
  return [];
}

export function resume(s: PoolState): PoolMemberView[] {
  transition(s, 'resume');
  return [];
}

/** Cancelling drops every waiting round and distribution; a round under way is told by the workflow. */
export function cancel(s: PoolState): PoolMemberView[] {
  transition(s, 'cancel');
  s.roundsRequested = 0;
  s.distributionsRequested = [];
  return [];
}

// ---------------------------------------------------------------------------------------------------
// Bids and distributions
// ---------------------------------------------------------------------------------------------------

export function checkBid(s: PoolState, config: PoolConfig, bid: BidRequest): Refusal | null {
  if (!s.bidding || s.bidding.round !== bid.round) return refusal(PoolRejection.invalidState, `bidding is not open for round ${bid.round}`);
  if (!auctionEligible(s).includes(bid.memberId)) {
    return refusal(PoolRejection.notEligible, `${bid.memberId} may not bid: not an active member in good standing who has yet to receive the pot`);
  }
  const potMinor = BigInt(contributionOf(config)) * BigInt(payingMembers(s).length);
  if (BigInt(bid.discountMinor) >= potMinor) return refusal(PoolRejection.invalidRequest, `discountMinor: must be below the pot (${potMinor})`);
  return null;
}

/** A member's later bid replaces their earlier one. */
export function placeBid(s: PoolState, bid: BidRequest): PoolMemberView[] {
  s.bidding!.bids[bid.memberId] = bid.discountMinor;
  return [];
}

export function checkDistribute(s: PoolState, config: PoolConfig, request: DistributeRequest): Refusal | null {
  if (config.kind !== 'investment') return refusal(PoolRejection.invalidState, 'only investment pools make distributions');
  if (s.status !== 'active') return refusal(PoolRejection.invalidState, `a ${s.status} pool makes no distributions`);
  const queued = s.distributionsRequested.reduce((sum, a) => sum + BigInt(a), 0n);
  if (BigInt(request.amountMinor) + queued > BigInt(s.potMinor))
    return refusal(PoolRejection.invalidRequest, `amountMinor: exceeds what the pot holds (${s.potMinor})`);
  return null;
}

export function distribute(s: PoolState, request: DistributeRequest): PoolMemberView[] {
  s.distributionsRequested.push(request.amountMinor);
  return [];
}

// ---------------------------------------------------------------------------------------------------
// Round requests
// ---------------------------------------------------------------------------------------------------

/** The round a "run the next round now" asks for, or why it is refused: already requested, running or done. */
export function roundToTrigger(s: PoolState, requested: number | undefined): { round: number } | Refusal {
  if (s.status !== 'active') return refusal(PoolRejection.invalidState, `a ${s.status} pool runs no rounds`);
  // The round a new request would start: bidding holds its round number until the round begins.
  const upcoming = s.bidding?.round ?? s.nextRound;
  const pending = s.roundsRequested > 0 || s.bidding !== null;
  const round = requested ?? upcoming;
  if (requested === undefined && (pending || s.roundInProgress))
    return refusal(PoolRejection.roundInProgress, `round ${s.roundInProgress?.round ?? upcoming} is already under way`);
  if (round < upcoming || (round === upcoming && pending)) return refusal(PoolRejection.roundInProgress, `round ${round} is already running or done`);
  if (round > upcoming) return refusal(PoolRejection.invalidState, `the next round is ${upcoming}, not ${round}`);
  return { round };
}

export const recordedTrigger = (s: PoolState, requestId: string): RoundTriggerVerdict | undefined => s.roundTriggers?.find((t) => t.requestId === requestId);

/**
 * Records a trigger's verdict under its request ID (a repeat of a recorded ID changes nothing) and, when
 * accepted, requests the round. Returns the verdict, or null for a repeat.
 */
export function triggerRound(s: PoolState, request: { round?: number; requestId: string }): RoundTriggerVerdict | null {
  if (recordedTrigger(s, request.requestId)) return null;
  const decided = roundToTrigger(s, request.round);
  const verdict: RoundTriggerVerdict =
    'round' in decided
      ? { requestId: request.requestId, round: decided.round, accepted: true, reason: null }
      : { requestId: request.requestId, round: request.round ?? s.nextRound, accepted: false, reason: decided.message };
  if (verdict.accepted) s.roundsRequested = 1;
  s.roundTriggers = [...(s.roundTriggers ?? []), verdict].slice(-ROUND_TRIGGERS_KEPT_MAX);
  return verdict;
}

/** A schedule firing: an active pool keeps at most one round request waiting. */
export function roundDue(s: PoolState): void {
  if (s.status === 'active') s.roundsRequested = Math.min(s.roundsRequested + 1, 1);
}
