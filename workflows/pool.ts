// The pool entity workflow (`pool/{poolId}`): the single source of truth for one pool over its whole
// life. Members join and leave through validated updates, the schedule's firings become rounds (child
// workflows that report back by signal), and the workflow continues as new whenever Temporal suggests,
// even in the middle of a round, carrying its whole state.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { PoolActivities } from '../activities/pools';
import { drawnPayoutOrder, PayoutDrawMismatch, revealPayoutDraw, type PayoutDraw } from '../domain/payout-draw';
import { fixedPayoutOrder, randomPayoutOrder } from '../domain/payout-order';
import { minorAmount, positiveMinorAmount, type PoolConfig } from '../domain/pool-config';
import { acceptsMembers, assertNever, isFinal, nextStatus, type PoolCommand, type PoolStatus } from '../domain/pool-lifecycle';
import type { PoolMemberView, PoolView, RoundSummary } from '../domain/pool-view';
import { capitalCall } from '../domain/round-split';
import { DB_ACTIVITY } from '../temporal-config/policies';
import {
  PoolEscalationAttribute,
  PoolIdAttribute,
  PoolKindAttribute,
  PoolManagerAttribute,
  PoolRoundAttribute,
  PoolStatusAttribute,
} from '../temporal-config/search-attributes';
import { workflowIds } from '../temporal-config/workflow-ids';
import type { PayoutPlan } from './round-payout';
import { cancelRoundSignal, contributionRound, roundFinishedSignal, type RoundInput, type RoundResult } from './round';

const activities = proxyActivities<PoolActivities>(DB_ACTIVITY);

/** The rounds a pool keeps in its view; older ones live in the read models. */
export const RECENT_ROUNDS_MAX = 12;
/** A rotating pool whose members keep defaulting stops adding rounds here and waits for operations. */
export const ROUNDS_PER_MEMBER_MAX = 2;
/** How much of a failed round's error the pool keeps for operations. */
export const ESCALATION_REASON_CHARS_MAX = 300;
/** Round triggers remembered for retries: enough for any client's retries, small enough to carry. */
export const ROUND_TRIGGERS_KEPT_MAX = 20;
const HOUR_MS = 3_600_000;
/** Marks histories whose joins are checked again after waiting (see the join handler). */
const JOIN_RECHECKED_PATCH = 'join-rechecked-after-wait';
/** Marks histories in which a round that ended without reporting is escalated (older ones waited). */
const ROUND_ESCALATION_PATCH = 'escalate-unreported-round';
/** Marks histories whose draws come from a secret revealed at activation (older ones: a seed in the input). */
const DRAW_REVEAL_PATCH = 'payout-draw-commit-reveal';

// ---------------------------------------------------------------------------------------------------
// Messages: the API imports these very objects.
// ---------------------------------------------------------------------------------------------------

const memberId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"');

export const joinRequestSchema = z.strictObject({ memberId, commitmentMinor: positiveMinorAmount.optional() });
export const leaveRequestSchema = z.strictObject({ memberId });
export const replaceRequestSchema = z.strictObject({ outgoingMemberId: memberId, incomingMemberId: memberId });
export const reasonSchema = z.strictObject({ reason: z.string().max(500).optional() });
export const bidRequestSchema = z.strictObject({ memberId, round: z.int().min(1), discountMinor: minorAmount });
export const distributeRequestSchema = z.strictObject({ amountMinor: positiveMinorAmount });
/**
 * "Run the next round now": `round` names the round the caller expects to start (omitted: the next one,
 * when none is under way); `requestId` identifies the command across retries and continue-as-new.
 */
export const runRoundRequestSchema = z.strictObject({ round: z.int().min(1).optional(), requestId: z.string().min(1).max(200) });

export type JoinRequest = z.input<typeof joinRequestSchema>;
export type BidRequest = z.input<typeof bidRequestSchema>;

export const joinPoolUpdate = defineUpdate<PoolView, [JoinRequest]>('joinPool');
export const leavePoolUpdate = defineUpdate<PoolView, [z.input<typeof leaveRequestSchema>]>('leavePool');
export const replaceMemberUpdate = defineUpdate<PoolView, [z.input<typeof replaceRequestSchema>]>('replaceMember');
export const activatePoolUpdate = defineUpdate<PoolView, []>('activatePool');
export const pausePoolUpdate = defineUpdate<PoolView, [z.input<typeof reasonSchema>]>('pausePool');
export const resumePoolUpdate = defineUpdate<PoolView, []>('resumePool');
export const cancelPoolUpdate = defineUpdate<PoolView, [z.input<typeof reasonSchema>]>('cancelPool');
export const placeBidUpdate = defineUpdate<PoolView, [BidRequest]>('placeBid');
export const distributeUpdate = defineUpdate<PoolView, [z.input<typeof distributeRequestSchema>]>('distribute');
/**
 * "Run the next round now" is a signal, not an update: the pool records its verdict under the request's
 * ID (roundTriggerQuery), which the API reads back. (An update accepted in the same workflow task as the
 * pool's own commands was replayed in another order by the SDK — a nondeterminism the chaos suite found.)
 */
export const runRoundNowSignal = defineSignal<[z.input<typeof runRoundRequestSchema>]>('runRoundNow');
export interface RoundTriggerVerdict {
  requestId: string;
  round: number;
  accepted: boolean;
  /** Why a refused trigger was refused. */
  reason: string | null;
}
export const roundTriggerQuery = defineQuery<RoundTriggerVerdict | null, [string]>('roundTrigger');
/** Sent by each firing of the pool's schedule. */
export const roundDueSignal = defineSignal('roundDue');
/** Operations send this once they have fixed what made a round fail: the round runs again, same keys. */
export const retryRoundSignal = defineSignal('retryRound');
export const poolStateQuery = defineQuery<PoolView>('poolState');

/**
 * Why an update was refused; the API maps each type to an HTTP status. Thrown from validators, so a
 * refused update leaves no trace in the history.
 */
export const PoolRejection = {
  invalidRequest: 'InvalidRequest',
  invalidState: 'InvalidPoolState',
  full: 'PoolFull',
  alreadyMember: 'AlreadyMember',
  notMember: 'NotAMember',
  notEligible: 'NotEligible',
  roundInProgress: 'RoundInProgress',
} as const;

type Rejection = (typeof PoolRejection)[keyof typeof PoolRejection];

function reject(type: Rejection, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  reject(PoolRejection.invalidRequest, result.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '));
}

// ---------------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------------

export interface PoolWorkflowInput {
  poolId: string;
  managerId: string;
  config: PoolConfig;
  /** Seeds the draws of pools started before commit-reveal; anyone who reads the input could predict them. */
  seed?: string;
  /** SHA-256 of the server-held draw secret, revealed at activation to seed the draws (domain/payout-draw.ts). */
  seedCommitment?: string;
  /**
   * Keep the pool's search attributes current (the default). Off only where the namespace cannot hold
   * them — the time-skipping test server has no custom search attributes — since an upsert of an
   * unknown attribute fails every workflow task.
   */
  searchAttributes?: boolean;
  /** Set when the workflow continues as new. */
  carried?: PoolState;
}

export interface PoolState {
  status: PoolStatus;
  members: PoolMemberView[];
  payoutOrder: string[] | null;
  roundsCompleted: number;
  roundsPlanned: number;
  /** The round number the next round (or distribution) will take. */
  nextRound: number;
  /** `input` (absent in older runs) lets operations run a failed round again under the same keys. */
  roundInProgress: { round: number; kind: 'contribution' | 'distribution'; input?: RoundInput } | null;
  /** A round that ended without reporting its result, waiting for operations (absent in older runs). */
  roundEscalation?: { round: number; reason: string; announced: boolean; retryRequested: boolean } | null;
  /** A round's result that arrived and is not yet applied (it may arrive just before continue-as-new). */
  finishedRound: RoundResult | null;
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

function initialState(config: PoolConfig): PoolState {
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

// ---------------------------------------------------------------------------------------------------
// The workflow
// ---------------------------------------------------------------------------------------------------

export async function poolWorkflow(input: PoolWorkflowInput): Promise<PoolView> {
  const { poolId, config } = input;
  const s: PoolState = input.carried ?? initialState(config);

  const view = (): PoolView => ({
    poolId,
    managerId: input.managerId,
    config,
    status: s.status,
    members: s.members,
    payoutOrder: s.payoutOrder,
    roundsCompleted: s.roundsCompleted,
    roundsPlanned: s.roundsPlanned,
    roundInProgress: s.roundInProgress?.round ?? null,
    bidding: s.bidding ? { round: s.bidding.round, closesAt: new Date(s.bidding.closesAtMs).toISOString(), bids: Object.keys(s.bidding.bids).length } : null,
    potMinor: s.potMinor,
    recentRounds: s.recentRounds,
    ...(s.roundEscalation ? { roundEscalation: { round: s.roundEscalation.round, reason: s.roundEscalation.reason } } : {}),
    ...(input.seedCommitment ? { drawCommitment: input.seedCommitment } : {}),
    ...(s.payoutDraw ? { payoutDraw: s.payoutDraw } : {}),
    version: s.version,
  });

  /** Records a change: bumps the version, refreshes search attributes and the Web UI's details, projects. */
  const indexed = input.searchAttributes !== false;
  const changed = async () => {
    s.version++;
    if (indexed) {
      upsertSearchAttributes([
        { key: PoolStatusAttribute, value: s.status },
        { key: PoolRoundAttribute, value: s.roundsCompleted },
        ...(s.roundEscalation !== undefined ? [{ key: PoolEscalationAttribute, value: s.roundEscalation ? `round-${s.roundEscalation.round}-failed` : '' }] : []),
      ]);
    }
    setCurrentDetails(describe(s, config));
    await activities.projectPool(view());
  };

  const member = (id: string) => s.members.find((m) => m.memberId === id && m.status !== 'left');
  const payingMembers = () => s.members.filter((m) => m.status === 'active' || m.status === 'suspended');
  const transition = (command: PoolCommand) => {
    const next = nextStatus(s.status, command);
    if (!next) reject(PoolRejection.invalidState, `a ${s.status} pool cannot ${command}`);
    return next;
  };

  setHandler(poolStateQuery, view);

  /** The pool's draw from its revealed secret; a secret that does not match the commitment refuses activation. */
  const drawFrom = (secret: string, memberIds: string[]): PayoutDraw => {
    try {
      return revealPayoutDraw({ commitment: input.seedCommitment!, secret, poolId, memberIds });
    } catch (error) {
      if (error instanceof PayoutDrawMismatch) throw ApplicationFailure.nonRetryable(error.message, 'PayoutDrawMismatch');
      throw error;
    }
  };

  /** Why `id` cannot join now (already in, or no place left), checked before and after a join waits. */
  const joinRefusal = (id: string): { type: Rejection; message: string } | null => {
    if (member(id)) return { type: PoolRejection.alreadyMember, message: `${id} is already a member` };
    if (s.members.filter((m) => m.status !== 'left').length >= config.membersMax) return { type: PoolRejection.full, message: `the pool is full (${config.membersMax} members)` };
    return null;
  };

  setHandler(
    joinPoolUpdate,
    async (request) => {
      const { memberId: id, commitmentMinor } = parse(joinRequestSchema, request);
      // A join may arrive while the pool is still being set up; it waits for the pool to open.
      await condition(() => s.status !== 'draft');
      if (!acceptsMembers(s.status)) reject(PoolRejection.invalidState, `a ${s.status} pool does not take new members`);
      // Joins that arrive together are all validated before any handler runs: whatever the validator
      // checked may have changed during the wait, so it is checked again before the member is added
      // (patched: histories recorded before this check replay as they ran).
      const refusal = joinRefusal(id);
      if (refusal && patched(JOIN_RECHECKED_PATCH)) reject(refusal.type, refusal.message);
      s.members.push({
        memberId: id,
        status: 'active',
        joinSeq: s.members.length + 1,
        commitmentMinor: commitmentMinor ?? null,
        paidInMinor: '0',
        arrearsMinor: '0',
        received: false,
        replacedMemberId: null,
      });
      await activities.openPoolAccounts({ poolId, currency: config.currency, memberIds: [id] });
      await changed();
      return view();
    },
    {
      validator: (request) => {
        const { memberId: id, commitmentMinor } = parse(joinRequestSchema, request);
        if (s.status !== 'draft' && !acceptsMembers(s.status)) reject(PoolRejection.invalidState, `a ${s.status} pool does not take new members`);
        const refusal = joinRefusal(id);
        if (refusal) reject(refusal.type, refusal.message);
        if (config.kind === 'investment' && commitmentMinor === undefined) reject(PoolRejection.invalidRequest, 'commitmentMinor: an investment pool needs a commitment');
        if (config.kind === 'rotating' && commitmentMinor !== undefined) reject(PoolRejection.invalidRequest, 'commitmentMinor: a rotating pool takes no commitment');
      },
    },
  );

  setHandler(
    leavePoolUpdate,
    async (request) => {
      const leaving = member(parse(leaveRequestSchema, request).memberId)!;
      leaving.status = 'left';
      await changed();
      return view();
    },
    {
      validator: (request) => {
        const { memberId: id } = parse(leaveRequestSchema, request);
        if (!member(id)) reject(PoolRejection.notMember, `${id} is not a member`);
        if (s.status !== 'open') reject(PoolRejection.invalidState, `members leave a ${s.status} pool by being replaced`);
      },
    },
  );

  setHandler(
    replaceMemberUpdate,
    async (request) => {
      const { outgoingMemberId, incomingMemberId } = parse(replaceRequestSchema, request);
      const outgoing = member(outgoingMemberId)!;
      // The newcomer takes the outgoing member's place: their turn in the payout order, whether the pot
      // was already received, and what is owed; the outgoing member's past contributions stay theirs.
      s.members.push({ ...outgoing, memberId: incomingMemberId, paidInMinor: '0', replacedMemberId: outgoingMemberId });
      outgoing.status = 'left';
      s.payoutOrder = s.payoutOrder?.map((id) => (id === outgoingMemberId ? incomingMemberId : id)) ?? null;
      await activities.openPoolAccounts({ poolId, currency: config.currency, memberIds: [incomingMemberId] });
      await changed();
      return view();
    },
    {
      validator: (request) => {
        const { outgoingMemberId, incomingMemberId } = parse(replaceRequestSchema, request);
        if (s.status !== 'active' && s.status !== 'paused') reject(PoolRejection.invalidState, `replacement happens in an active or paused pool, this one is ${s.status}`);
        if (!member(outgoingMemberId)) reject(PoolRejection.notMember, `${outgoingMemberId} is not a member`);
        if (s.members.some((m) => m.memberId === incomingMemberId)) reject(PoolRejection.alreadyMember, `${incomingMemberId} is or was a member`);
        if (s.roundInProgress || s.bidding) reject(PoolRejection.roundInProgress, `round ${s.roundInProgress?.round ?? s.bidding?.round} is under way; replace after it`);
      },
    },
  );

  setHandler(
    activatePoolUpdate,
    async () => {
      // The draw's secret is revealed only now and checked against the commitment before anything changes.
      const secret = config.kind === 'rotating' && input.seedCommitment && patched(DRAW_REVEAL_PATCH) ? await activities.revealDrawSecret({ poolId }) : null;
      const ids = payingMembers().map((m) => m.memberId);
      const draw = secret === null ? null : drawFrom(secret, ids);
      s.status = transition('activate');
      if (config.kind === 'rotating') {
        s.roundsPlanned = ids.length;
        s.payoutDraw = draw;
        s.payoutOrder = config.payoutOrder === 'random' ? (draw ? drawnPayoutOrder(draw) : randomPayoutOrder(ids, input.seed!)) : config.payoutOrder === 'fixed' ? fixedPayoutOrder(ids) : null;
      }
      await activities.ensurePoolSchedule({ poolId, cadence: config.cadence, poolName: config.name });
      await changed();
      return view();
    },
    {
      validator: () => {
        transition('activate');
        const count = payingMembers().length;
        if (count < config.membersMin) reject(PoolRejection.invalidState, `the pool needs at least ${config.membersMin} members to start, it has ${count}`);
      },
    },
  );

  setHandler(
    pausePoolUpdate,
    async (request) => {
      const { reason } = parse(reasonSchema, request);
      s.status = transition('pause');
      await activities.pausePoolSchedule({ poolId, note: reason ?? 'paused through the API' });
      await changed();
      return view();
    },
    { validator: (request) => void (parse(reasonSchema, request), transition('pause')) },
  );

  setHandler(
    resumePoolUpdate,
    async () => {
      s.status = transition('resume');
      await activities.unpausePoolSchedule({ poolId, note: 'resumed through the API' });
      await changed();
      return view();
    },
    { validator: () => void transition('resume') },
  );

  setHandler(
    cancelPoolUpdate,
    async (request) => {
      parse(reasonSchema, request);
      s.status = transition('cancel');
      s.roundsRequested = 0;
      s.distributionsRequested = [];
      // A round under way refunds what it collected, unless its payout has already begun.
      if (s.roundInProgress) await getExternalWorkflowHandle(workflowIds.round(poolId, s.roundInProgress.round)).signal(cancelRoundSignal);
      await changed();
      return view();
    },
    { validator: (request) => void (parse(reasonSchema, request), transition('cancel')) },
  );

  setHandler(
    placeBidUpdate,
    async (request) => {
      const bid = parse(bidRequestSchema, request);
      s.bidding!.bids[bid.memberId] = bid.discountMinor;
      await changed();
      return view();
    },
    {
      validator: (request) => {
        const bid = parse(bidRequestSchema, request);
        if (!s.bidding || s.bidding.round !== bid.round) reject(PoolRejection.invalidState, `bidding is not open for round ${bid.round}`);
        if (!auctionEligible().includes(bid.memberId)) reject(PoolRejection.notEligible, `${bid.memberId} may not bid: not an active member in good standing who has yet to receive the pot`);
        const potMinor = BigInt(contributionOf(config)) * BigInt(payingMembers().length);
        if (BigInt(bid.discountMinor) >= potMinor) reject(PoolRejection.invalidRequest, `discountMinor: must be below the pot (${potMinor})`);
      },
    },
  );

  setHandler(
    distributeUpdate,
    async (request) => {
      s.distributionsRequested.push(parse(distributeRequestSchema, request).amountMinor);
      await changed();
      return view();
    },
    {
      validator: (request) => {
        const { amountMinor } = parse(distributeRequestSchema, request);
        if (config.kind !== 'investment') reject(PoolRejection.invalidState, 'only investment pools make distributions');
        if (s.status !== 'active') reject(PoolRejection.invalidState, `a ${s.status} pool makes no distributions`);
        const queued = s.distributionsRequested.reduce((sum, a) => sum + BigInt(a), 0n);
        if (BigInt(amountMinor) + queued > BigInt(s.potMinor)) reject(PoolRejection.invalidRequest, `amountMinor: exceeds what the pot holds (${s.potMinor})`);
      },
    },
  );

  /** The round a trigger asks for, or why it is refused: that round is already requested, running or done. */
  const roundToTrigger = (requested: number | undefined): number => {
    if (s.status !== 'active') reject(PoolRejection.invalidState, `a ${s.status} pool runs no rounds`);
    // The round a new request would start: bidding holds its round number until the round begins.
    const upcoming = s.bidding?.round ?? s.nextRound;
    const pending = s.roundsRequested > 0 || s.bidding !== null;
    const round = requested ?? upcoming;
    if (requested === undefined && (pending || s.roundInProgress)) {
      reject(PoolRejection.roundInProgress, `round ${s.roundInProgress?.round ?? upcoming} is already under way`);
    }
    if (round < upcoming || (round === upcoming && pending)) reject(PoolRejection.roundInProgress, `round ${round} is already running or done`);
    if (round > upcoming) reject(PoolRejection.invalidState, `the next round is ${upcoming}, not ${round}`);
    return round;
  };
  const recordedTrigger = (requestId: string) => s.roundTriggers?.find((t) => t.requestId === requestId);


  setHandler(roundTriggerQuery, (requestId) => recordedTrigger(requestId) ?? null);
  setHandler(runRoundNowSignal, (request) => {
    const parsed = runRoundRequestSchema.safeParse(request);
    if (!parsed.success || recordedTrigger(parsed.data.requestId)) return;
    const { round: requested, requestId } = parsed.data;
    let verdict: RoundTriggerVerdict;
    try {
      verdict = { requestId, round: roundToTrigger(requested), accepted: true, reason: null };
      s.roundsRequested = 1;
    } catch (error) {
      verdict = { requestId, round: requested ?? s.nextRound, accepted: false, reason: error instanceof Error ? error.message : String(error) };
    }
    s.roundTriggers = [...(s.roundTriggers ?? []), verdict].slice(-ROUND_TRIGGERS_KEPT_MAX);
  });

  setHandler(roundDueSignal, () => {
    if (s.status === 'active') s.roundsRequested = Math.min(s.roundsRequested + 1, 1);
  });

  setHandler(retryRoundSignal, () => {
    if (s.roundEscalation) s.roundEscalation.retryRequested = true;
  });

  setHandler(roundFinishedSignal, (result) => {
    // A round reports once, but signals are not de-duplicated: only the awaited round counts.
    if (s.roundInProgress?.round === result.round && !s.finishedRound) s.finishedRound = result;
  });

  const auctionEligible = () =>
    s.members.filter((m) => m.status === 'active' && !m.received && m.arrearsMinor === '0').map((m) => m.memberId);

  const continueAsNewIfSuggested = async () => {
    if (!workflowInfo().continueAsNewSuggested) return;
    await condition(allHandlersFinished);
    await continueAsNew<typeof poolWorkflow>({ ...input, carried: s });
  };

  /**
   * Waits for the running round's result, continuing as new meanwhile if Temporal suggests it. A round
   * that ends without reporting (it failed, was terminated or timed out) is escalated to operations —
   * the pool's details and PoolEscalation say so — and run again, under the same keys, on retryRound.
   */
  const finishRound = async () => {
    const escalation = () => s.roundEscalation ?? null;
    for (;;) {
      await condition(
        () => s.finishedRound !== null || workflowInfo().continueAsNewSuggested || (escalation() !== null && (!escalation()!.announced || escalation()!.retryRequested)),
      );
      if (s.finishedRound) break;
      const escalated = escalation();
      if (escalated && !escalated.announced) {
        escalated.announced = true;
        log.warn('round escalated to operations', { poolId, round: escalated.round, reason: escalated.reason });
        await changed();
      } else if (escalated?.retryRequested && s.roundInProgress?.input) {
        s.roundEscalation = null;
        await launchRound(s.roundInProgress.kind, s.roundInProgress.input);
        await changed();
      }
      await continueAsNewIfSuggested();
    }
    applyRoundResult(s, s.finishedRound, s.roundInProgress!.kind);
    await activities.projectRound({ poolId, kind: s.roundInProgress!.kind, result: s.finishedRound });
    s.roundInProgress = null;
    s.finishedRound = null;
    if (s.status === 'active' && isPoolDone(s, config)) s.status = 'completed';
    await changed();
  };

  const startRound = async (kind: 'contribution' | 'distribution', payout: PayoutPlan, dues: RoundInput['dues']) => {
    const round = s.nextRound++;
    const roundInput: RoundInput = {
      poolId,
      round,
      currency: config.currency,
      dues,
      gracePeriodHours: config.gracePeriodHours,
      lateFeeMinor: config.lateFeeMinor,
      dunningRetryHours: config.dunningRetryHours,
      defaultPolicy: config.defaultPolicy,
      payout,
    };
    s.roundInProgress = { round, kind, input: roundInput };
    await launchRound(kind, roundInput);
    await changed();
  };

  /** Starts a round's workflow and watches how it ends: closing without a report escalates. */
  const launchRound = async (kind: 'contribution' | 'distribution', roundInput: RoundInput) => {
    const { round } = roundInput;
    const child = await startChild(contributionRound, {
      workflowId: workflowIds.round(poolId, round),
      args: [roundInput],
      // The round reports back by signal, so it must outlive this run when the pool continues as new.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `${kind === 'distribution' ? 'Distribution' : 'Round'} ${round} of pool ${poolId}`,
      ...(indexed
        ? {
            typedSearchAttributes: [
              { key: PoolIdAttribute, value: poolId },
              { key: PoolKindAttribute, value: config.kind },
              { key: PoolRoundAttribute, value: round },
            ],
          }
        : {}),
    });
    // A round always reports before it completes; one that fails, is terminated or times out does not.
    // (A pool that has continued as new since the start no longer hears of the child's end.)
    child.result().catch((error: unknown) => {
      if (s.roundInProgress?.round !== round || s.finishedRound || !patched(ROUND_ESCALATION_PATCH)) return;
      const reason = error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);
      s.roundEscalation = { round, reason: reason.slice(0, ESCALATION_REASON_CHARS_MAX), announced: false, retryRequested: false };
    });
  };

  const runContributionRound = async () => {
    s.roundsRequested--;
    if (config.kind === 'investment') {
      if (s.roundsCompleted >= s.roundsPlanned) return;
      const commitments = new Map(payingMembers().map((m) => [m.memberId, BigInt(m.commitmentMinor ?? '0')]));
      const dues = [...capitalCall(commitments, config.capitalCallBps)].map(([id, amount]) => ({ memberId: id, amountMinor: amount.toString(), arrearsMinor: member(id)!.arrearsMinor }));
      await startRound('contribution', { kind: 'none' }, dues);
      return;
    }
    // Rounds that paid nobody (everyone eligible defaulted) are made up, but not without end.
    if (s.roundsCompleted >= ROUNDS_PER_MEMBER_MAX * s.members.length) return;
    // Arrears are collected with the next contribution; paid, they return the member to good standing.
    const dues = payingMembers().map((m) => ({ memberId: m.memberId, amountMinor: config.contributionMinor, arrearsMinor: m.arrearsMinor }));
    const members = payingMembers().map((m) => m.memberId);
    if (config.payoutOrder !== 'bid') {
      // Whoever has not received yet may take the pot if they pay this round — arrears included, which
      // come with this round's charge; the round passes over anyone who does not (round-payout.ts).
      const candidates = (s.payoutOrder ?? []).filter((id) => {
        const m = member(id);
        return (m?.status === 'active' || m?.status === 'suspended') && !m.received;
      });
      await startRound('contribution', { kind: 'order', candidates, members, platformFeeBps: config.platformFeeBps }, dues);
      return;
    }
    // A bid round opens a bidding window first; it closes early once every eligible member has bid.
    s.bidding ??= { round: s.nextRound, closesAtMs: Date.now() + config.bidWindowHours * HOUR_MS, bids: {} };
    await changed();
    for (;;) {
      const allBid = () => auctionEligible().every((id) => id in s.bidding!.bids);
      const remainingMs = s.bidding.closesAtMs - Date.now();
      if (remainingMs <= 0 || allBid() || s.status === 'cancelled') break;
      await condition(() => allBid() || s.status === 'cancelled' || workflowInfo().continueAsNewSuggested, remainingMs);
      await continueAsNewIfSuggested();
    }
    const bids = Object.entries(s.bidding.bids).map(([id, discountMinor]) => ({ memberId: id, discountMinor }));
    s.bidding = null;
    if (s.status === 'cancelled') return;
    await startRound('contribution', { kind: 'auction', eligible: auctionEligible(), bids, seed: input.seed ?? s.payoutDraw!.seed, members, platformFeeBps: config.platformFeeBps }, dues);
  };

  const runDistribution = async () => {
    if (config.kind !== 'investment') return;
    const amountMinor = s.distributionsRequested.shift()!;
    const paidInMinor = payingMembers().filter((m) => m.paidInMinor !== '0').map((m) => ({ memberId: m.memberId, amountMinor: m.paidInMinor }));
    await startRound('distribution', { kind: 'distribution', amountMinor, paidInMinor, managementFeeBps: config.managementFeeBps }, []);
  };

  /**
   * A cancelled pool returns what its pot still holds — an investment pool's undistributed capital, or
   * a rotating pot nobody could win — to its members pro-rata to what each paid in, as one last
   * distribution round (no fee). A round that was under way has already refunded its own collection.
   */
  const windUp = async () => {
    const paidInMinor = s.members.filter((m) => m.paidInMinor !== '0').map((m) => ({ memberId: m.memberId, amountMinor: m.paidInMinor }));
    if (BigInt(s.potMinor) <= 0n || paidInMinor.length === 0) return;
    await startRound('distribution', { kind: 'distribution', amountMinor: s.potMinor, paidInMinor, managementFeeBps: 0 }, []);
    await finishRound();
  };

  // ------------------------------------------------------------------------------------------------
  // Life
  // ------------------------------------------------------------------------------------------------

  if (!input.carried) {
    if (indexed) {
      upsertSearchAttributes([
        { key: PoolIdAttribute, value: poolId },
        { key: PoolKindAttribute, value: config.kind },
        { key: PoolManagerAttribute, value: input.managerId },
      ]);
    }
    await activities.openPoolAccounts({ poolId, currency: config.currency, memberIds: [] });
    s.status = 'open';
    await changed();
  }

  for (;;) {
    if (s.roundInProgress) {
      await finishRound();
      continue;
    }
    if (isFinal(s.status)) break;
    const active = () => s.status === 'active';
    await condition(
      () => isFinal(s.status) || (active() && (s.roundsRequested > 0 || s.distributionsRequested.length > 0 || s.bidding !== null)) || workflowInfo().continueAsNewSuggested,
    );
    await continueAsNewIfSuggested();
    if (isFinal(s.status)) break;
    if (!active()) continue;
    if (s.distributionsRequested.length > 0) await runDistribution();
    else if (s.roundsRequested > 0 || s.bidding) await runContributionRound();
  }

  await activities.deletePoolSchedule({ poolId });
  if (s.status === 'cancelled') await windUp();
  await changed();
  // The update that ended the pool (a cancel) may still be finishing: let it answer its caller.
  await condition(allHandlersFinished);
  return view();
}

/** Applies a finished round to the pool's members and totals. */
function applyRoundResult(s: PoolState, result: RoundResult, kind: 'contribution' | 'distribution'): void {
  let potMinor = BigInt(s.potMinor) + BigInt(result.potMinor);
  for (const outcome of result.members) {
    const m = s.members.find((candidate) => candidate.memberId === outcome.memberId)!;
    switch (outcome.outcome) {
      case 'paid':
      case 'paid-late':
        m.paidInMinor = (BigInt(m.paidInMinor) + BigInt(outcome.owedMinor)).toString();
        // Results from rounds that began before arrears were collected carry no arrearsPaidMinor.
        m.arrearsMinor = (BigInt(m.arrearsMinor) - BigInt(outcome.arrearsPaidMinor ?? '0')).toString();
        if (m.arrearsMinor === '0' && m.status === 'suspended') m.status = 'active';
        break;
      case 'refunded':
        break;
      case 'covered':
      case 'defaulted': {
        // The default policy: cover-from-reserve paid the pot for them; they owe the reserve. A member
        // the reserve could not cover is suspended, as are members under the suspend policy.
        m.arrearsMinor = (BigInt(m.arrearsMinor) + BigInt(outcome.owedMinor)).toString();
        if (outcome.policyApplied === 'expel') m.status = 'expelled';
        else if (outcome.policyApplied === 'suspend') m.status = 'suspended';
        break;
      }
      default:
        assertNever(outcome.outcome);
    }
  }
  if (result.payout) {
    potMinor -= BigInt(result.payout.feeMinor);
    for (const recipient of result.payout.recipients) potMinor -= BigInt(recipient.amountMinor);
    if (result.payout.winnerMemberId) s.members.find((m) => m.memberId === result.payout!.winnerMemberId)!.received = true;
  }
  for (const refund of result.members) if (refund.outcome === 'refunded') potMinor -= BigInt(refund.owedMinor);
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
}

/** A rotating pool is done when every member still in it has received the pot once. */
function isPoolDone(s: PoolState, config: PoolConfig): boolean {
  if (config.kind === 'investment') return false;
  return s.members.every((m) => (m.status !== 'active' && m.status !== 'suspended') || m.received);
}

function contributionOf(config: PoolConfig): string {
  return config.kind === 'rotating' ? config.contributionMinor : '0';
}

/** One line for the Web UI's "current details" of the pool workflow. */
function describe(s: PoolState, config: PoolConfig): string {
  const members = s.members.filter((m) => m.status !== 'left').length;
  const round = s.roundInProgress ? `round ${s.roundInProgress.round} under way` : `${s.roundsCompleted} of ${s.roundsPlanned || '?'} rounds done`;
  const line = `**${config.name}** (${config.kind}, ${config.currency.toUpperCase()}) — ${s.status}, ${members} members, ${round}`;
  if (!s.roundEscalation) return line;
  return `${line}\n\n**Needs operations:** round ${s.roundEscalation.round} ended without a result (${s.roundEscalation.reason}). Fix the cause, then send the \`retryRound\` signal to run it again under the same keys.`;
}
