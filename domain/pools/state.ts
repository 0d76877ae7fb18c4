// The pool workflow's state object and the ways it is read: the full view (the `poolState` query), the
// delta each change projects, and the compact form it is carried in across continue-as-new. Pure: the
// workflow owns the one instance, the rules in commands.ts and rounds.ts change it.
import type { PayoutDraw } from './payout-draw';
import type { PoolConfig } from './pool-config';
import type { PoolStatus } from './pool-lifecycle';
import type { MemberStatus, PoolMemberView, PoolView, RoundSummary } from './pool-view';
import type { RoundReport } from './round-report';
import type { RoundStart } from './round-input';
import type { RoundInput, RoundKind } from './round-types';

/** A "run the next round now" command's verdict, kept under its request ID for the API to read back. */
export interface RoundTriggerVerdict {
  requestId: string;
  round: number;
  accepted: boolean;
  /** Why a refused trigger was refused. */
  reason: string | null;
}

export interface PoolState {
  status: PoolStatus;
  members: PoolMemberView[];
  payoutOrder: string[] | null;
  roundsCompleted: number;
  roundsPlanned: number;
  /** The round number the next round (or distribution) will take. */
  nextRound: number;
  /**
   * `input` lets operations run a failed round again under the same keys: held by the run that began
   * the round, not carried to the next (which reads it from the round's history if it needs it).
   * `shape` is the round's (RoundInput.shape), carried; older runs kept only `input`'s.
   */
  roundInProgress: { round: number; kind: RoundKind; input?: RoundStart; shape?: RoundInput['shape'] } | null;
  /** A round that ended without reporting its result, waiting for operations (absent in older runs). */
  roundEscalation?: { round: number; reason: string; announced: boolean; retryRequested: boolean } | null;
  /** A round's result that arrived and is not yet applied (it may arrive just before continue-as-new). */
  finishedRound: RoundReport | null;
  /** Round requests waiting: at most one is kept while a round runs, further firings are dropped. */
  roundsRequested: number;
  bidding: { round: number; closesAtMs: number; bids: Record<string, string> } | null;
  distributionsRequested: string[];
  potMinor: string;
  recentRounds: RoundSummary[];
  version: number;
  /** The last "run the next round now" commands and the round each asked for (absent in older runs). */
  roundTriggers?: RoundTriggerVerdict[];
  /** The revealed draw that seeds this rotating pool's payout order and auction ties (absent in older runs). */
  payoutDraw?: PayoutDraw | null;
}

/** Who a pool is: fixed at creation, carried in the workflow's input rather than its state. */
export interface PoolIdentity {
  poolId: string;
  managerId: string;
  config: PoolConfig;
  /** SHA-256 of the server-held draw secret (pools since commit-reveal). */
  seedCommitment?: string;
}

export function initialPoolState(config: PoolConfig): PoolState {
  return {
    status: 'draft',
    members: [],
    payoutOrder: null,
    roundsCompleted: 0,
    roundsPlanned: config.kind === 'investment' ? Math.ceil(10_000 / config.capitalCallBps) : 0,
    nextRound: 1,
    roundInProgress: null,
    finishedRound: null,
    roundsRequested: 0,
    bidding: null,
    distributionsRequested: [],
    potMinor: '0',
    recentRounds: [],
    version: 0,
  };
}

/** The pool without its member list: what every change projects, whatever the pool's size. */
export type PoolSummary = Omit<PoolView, 'members'>;

export function poolSummary(identity: PoolIdentity, s: PoolState): PoolSummary {
  return {
    poolId: identity.poolId,
    managerId: identity.managerId,
    config: identity.config,
    status: s.status,
    payoutOrder: s.payoutOrder,
    roundsCompleted: s.roundsCompleted,
    roundsPlanned: s.roundsPlanned,
    roundInProgress: s.roundInProgress?.round ?? null,
    bidding: s.bidding ? { round: s.bidding.round, closesAt: new Date(s.bidding.closesAtMs).toISOString(), bids: Object.keys(s.bidding.bids).length } : null,
    potMinor: s.potMinor,
    recentRounds: s.recentRounds,
    ...(s.roundEscalation ? { roundEscalation: { round: s.roundEscalation.round, reason: s.roundEscalation.reason } } : {}),
    ...(identity.seedCommitment ? { drawCommitment: identity.seedCommitment } : {}),
    ...(s.payoutDraw ? { payoutDraw: s.payoutDraw } : {}),
    version: s.version,
  };
}

export function poolView(identity: PoolIdentity, s: PoolState): PoolView {
  const { version, ...rest } = poolSummary(identity, s);
  // The view keeps its historical key order (members after status), which recorded results show.
  return { ...rest, members: s.members, version };
}

// ---------------------------------------------------------------------------------------------------
// Compact members: one array per member instead of an object with named keys, a third of the bytes,
// for what is carried across continue-as-new and projected per change.
// ---------------------------------------------------------------------------------------------------

const STATUS_CODES: Record<MemberStatus, number> = { active: 0, suspended: 1, expelled: 2, left: 3 };
const STATUSES: readonly MemberStatus[] = ['active', 'suspended', 'expelled', 'left'];

/** [memberId, status code, joinSeq, commitmentMinor, paidInMinor, arrearsMinor, received (0/1), replacedMemberId] */
export type CompactMember = [string, number, number, string | null, string, string, 0 | 1, string | null];

export function compactMember(m: PoolMemberView): CompactMember {
  return [m.memberId, STATUS_CODES[m.status], m.joinSeq, m.commitmentMinor, m.paidInMinor, m.arrearsMinor, m.received ? 1 : 0, m.replacedMemberId];
}

export function expandMember(c: CompactMember): PoolMemberView {
  const status = STATUSES[c[1]];
  if (status === undefined) throw new Error(`unknown member status code ${c[1]}`);
  return { memberId: c[0], status, joinSeq: c[2], commitmentMinor: c[3], paidInMinor: c[4], arrearsMinor: c[5], received: c[6] === 1, replacedMemberId: c[7] };
}

/**
 * The state as carried to the next run: the members compact, the payout order as places among them,
 * and of the round under way only its number, kind and shape — its input and result are the round's
 * own, read from it when needed. So the carried state's size is bounded by the members alone (about
 * 100 KB at POOL_MEMBERS_MAX members with the longest IDs), whatever the round. Runs before this form
 * carried `payoutOrder`, the round's `input` and an unapplied `finishedRound`: restoreState reads both.
 */
export type CarriedPoolState = Omit<PoolState, 'members' | 'payoutOrder'> & {
  compactMembers: CompactMember[];
  payoutOrder?: string[] | null;
  /** Places in compactMembers, in payout order. */
  payoutOrderAt?: number[] | null;
};

/** The round under way as carried: a later run asks the round for its result (it watches rounds it did not start). */
function carriedRound(round: PoolState['roundInProgress']): PoolState['roundInProgress'] {
  if (!round) return null;
  const shape = round.shape ?? round.input?.shape;
  return { round: round.round, kind: round.kind, ...(shape ? { shape } : {}) };
}

export function carryState(s: PoolState): CarriedPoolState {
  const { members, payoutOrder, roundInProgress, ...rest } = s;
  const place = new Map(members.map((m, i) => [m.memberId, i]));
  const payoutOrderAt = payoutOrder?.map((id) => place.get(id));
  return {
    ...rest,
    roundInProgress: carriedRound(roundInProgress),
    finishedRound: null,
    compactMembers: members.map(compactMember),
    // Everyone in the payout order is a member (a replacement takes the outgoing member's place in both).
    ...(payoutOrderAt?.every((at) => at !== undefined) ? { payoutOrderAt: payoutOrderAt as number[] } : { payoutOrder }),
  };
}

export function restoreState(carried: CarriedPoolState): PoolState {
  const { compactMembers, payoutOrderAt, payoutOrder, ...rest } = carried;
  const members = compactMembers.map(expandMember);
  return { ...rest, members, payoutOrder: payoutOrderAt ? payoutOrderAt.map((at) => members[at]!.memberId) : (payoutOrder ?? null) };
}

/**
 * What one change of the pool projects: the summary, and only the member rows that changed, compact.
 * Its size is bounded by the summary plus the members one command touches (all of them only when a
 * round's result is applied), never by the pool's history.
 */
export interface PoolChange {
  summary: PoolSummary;
  /** Members who have not left, after the change. */
  memberCount: number;
  members: CompactMember[];
}

export function poolChange(identity: PoolIdentity, s: PoolState, changedMembers: readonly PoolMemberView[]): PoolChange {
  return { summary: poolSummary(identity, s), memberCount: s.members.filter((m) => m.status !== 'left').length, members: changedMembers.map(compactMember) };
}

/**
 * Applies a change to a view held elsewhere (a notices workflow, a client of the event stream). A change
 * older than the view moves nothing but member rows it carries that the view lacks.
 */
export function applyPoolChange(view: PoolView | null, change: PoolChange): PoolView {
  const members = [...(view?.members ?? [])];
  const index = new Map(members.map((m, i) => [m.memberId, i]));
  const newer = view === null || change.summary.version > view.version;
  for (const row of change.members) {
    const member = expandMember(row);
    const at = index.get(member.memberId);
    if (at === undefined) {
      index.set(member.memberId, members.length);
      members.push(member);
    } else if (newer) {
      members[at] = member;
    }
  }
  members.sort((a, b) => a.joinSeq - b.joinSeq);
  const { version, ...summary } = newer ? change.summary : { ...view };
  return { ...summary, members, version } as PoolView;
}

/** One line for the Web UI's "current details" of the pool workflow. */
export function describePool(s: PoolState, config: PoolConfig): string {
  const members = s.members.filter((m) => m.status !== 'left').length;
  const round = s.roundInProgress ? `round ${s.roundInProgress.round} under way` : `${s.roundsCompleted} of ${s.roundsPlanned || '?'} rounds done`;
  const line = `**${config.name}** (${config.kind}, ${config.currency.toUpperCase()}) — ${s.status}, ${members} members, ${round}`;
  if (!s.roundEscalation) return line;
  return `${line}\n\n**Needs operations:** round ${s.roundEscalation.round} ended without a result (${s.roundEscalation.reason}). Fix the cause, then send the \`retryRound\` signal to run it again under the same keys.`;
}
