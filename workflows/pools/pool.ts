// The pool entity workflow (`pool/{poolId}`): the single source of truth for one pool over its whole
// life. It wires the pool's messages to its state object, whose rules live in domain/pools/, and
// orchestrates: activities, round child workflows (which report back by completing, or by signal to a
// later run), timers, and continue-as-new whenever Temporal suggests it — even mid-round or while
// commands keep arriving.
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
  setCurrentDetails,
  setHandler,
  startChild,
  type SignalDefinition,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { z } from 'zod';
import { PayoutDrawMismatch, revealPayoutDraw, type PayoutDraw } from '../../domain/pools/payout-draw';
import * as commands from '../../domain/pools/commands';
import {
  bidRequestSchema,
  distributeRequestSchema,
  joinRequestSchema,
  leaveRequestSchema,
  parseCommand,
  PoolRejection,
  reasonSchema,
  replaceRequestSchema,
  runRoundRequestSchema,
  type Refusal,
} from '../../domain/pools/requests';
import * as rounds from '../../domain/pools/rounds';
import type { RoundStart } from '../../domain/pools/round-input';
import { COMPLETING_ROUND_SHAPE, GIVEN_ROUND_SHAPE, type PayoutPlan, type RoundInput, type RoundKind } from '../../domain/pools/round-types';
import {
  carryState,
  describePool,
  initialPoolState,
  poolChange,
  poolView,
  restoreState,
  type CarriedPoolState,
  type PoolIdentity,
  type PoolState,
  type RoundTriggerVerdict,
} from '../../domain/pools/state';
import type { PoolConfig } from '../../domain/pools/pool-config';
import { isFinal, type PoolStatus } from '../../domain/pools/pool-lifecycle';
import type { PoolMemberView, PoolView } from '../../domain/pools/pool-view';
import {
  PoolEscalationAttribute,
  PoolIdAttribute,
  PoolKindAttribute,
  PoolManagerAttribute,
  PoolRoundAttribute,
  PoolStatusAttribute,
} from '../../temporal-config/search-attributes';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { oneAtATime } from '../core/one-at-a-time';
import { isClosedWorkflowSignalled } from '../core/signal-failures';
import { workflowShape } from '../core/workflow-shape';
import { poolActivities, poolLocalActivities } from './activity-proxies';
import { cancelRoundSignal, contributionRound, reportRequestedSignal, roundFinishedSignal } from './round';

export type { PoolState, RoundTriggerVerdict } from '../../domain/pools/state';
/** Marks histories whose joins are checked again after waiting (see the join handler). */
const JOIN_RECHECKED_PATCH = 'join-rechecked-after-wait';
/** Marks histories in which a round that ended without reporting is escalated (older ones waited). */
const ROUND_ESCALATION_PATCH = 'escalate-unreported-round';
/**
 * Marks histories whose changes project a delta (the summary and the member rows that changed) through
 * `projectPoolChange`; older ones projected the whole view through `projectPool` on every change.
 */
const DELTA_PROJECTION_PATCH = 'project-pool-deltas';
/** Marks histories whose draws come from a secret revealed at activation (older ones: a seed in the input). */
const DRAW_REVEAL_PATCH = 'payout-draw-commit-reveal';
/**
 * Marks runs of the November shape (workflows/core/workflow-shape.ts): every change above, its own steps
 * as local activities, and search attributes upserted only when one of them changed (older runs upserted
 * them on every change).
 */
const NOVEMBER_SHAPE_PATCH = 'pool-shape-2026-11';
/**
 * Marks runs of the December shape: the November shape, and rounds given their shape in their input
 * (COMPLETING_ROUND_SHAPE), whose result this run takes from their completion, not a signal — nine events
 * fewer a round — while a later run asks them for a signal. Also: a round found closed when the pool
 * signals it is heard (its outcome read once), not an error.
 */
const DECEMBER_SHAPE_PATCH = 'pool-shape-2026-12';
/**
 * How long a run of the current shape waits on a round an earlier run started before asking it again
 * (then twice as long each time, up to ROUND_WATCH_MAX_MS): over a round's longest life (grace period
 * and two weeks of processing payments) that is some sixty asks, each a handful of events.
 */
export const ROUND_WATCH_FIRST_MS = 5 * 60_000;
export const ROUND_WATCH_MAX_MS = 6 * 3_600_000;
/**
 * Marks runs of the current shape: the December shape, and rounds given the current round shape
 * (GIVEN_ROUND_SHAPE), whose input and report are rows, so that a round of the most members with the
 * longest IDs stays within the payload bound; a round an earlier run started is watched
 * (ROUND_WATCH_FIRST_MS), so that one closing unheard is escalated, and its input read from its history
 * to run it again (runs carry the round under way by number, kind and shape only).
 */
const POOL_SHAPE_PATCH = 'pool-shape-2027-01';

// ---------------------------------------------------------------------------------------------------
// Messages: the API imports these very objects.
// ---------------------------------------------------------------------------------------------------

export {
  bidRequestSchema,
  distributeRequestSchema,
  joinRequestSchema,
  leaveRequestSchema,
  PoolRejection,
  reasonSchema,
  replaceRequestSchema,
  runRoundRequestSchema,
} from '../../domain/pools/requests';

export type JoinRequest = z.input<typeof joinRequestSchema>;
export type BidRequest = z.input<typeof bidRequestSchema>;

/**
 * What a command answers: the pool's version after it and the member rows it changed — never the whole
 * pool, whose size grows with its members (the full view is the `poolState` query and the read models).
 * Older runs answered with the whole view; callers rely only on these fields.
 */
export interface PoolCommandResult {
  poolId: string;
  status: PoolStatus;
  version: number;
  members: PoolMemberView[];
}

export const joinPoolUpdate = defineUpdate<PoolCommandResult, [JoinRequest]>('joinPool');
export const leavePoolUpdate = defineUpdate<PoolCommandResult, [z.input<typeof leaveRequestSchema>]>('leavePool');
export const replaceMemberUpdate = defineUpdate<PoolCommandResult, [z.input<typeof replaceRequestSchema>]>('replaceMember');
export const activatePoolUpdate = defineUpdate<PoolCommandResult, []>('activatePool');
export const pausePoolUpdate = defineUpdate<PoolCommandResult, [z.input<typeof reasonSchema>]>('pausePool');
export const resumePoolUpdate = defineUpdate<PoolCommandResult, []>('resumePool');
export const cancelPoolUpdate = defineUpdate<PoolCommandResult, [z.input<typeof reasonSchema>]>('cancelPool');
export const placeBidUpdate = defineUpdate<PoolCommandResult, [BidRequest]>('placeBid');
export const distributeUpdate = defineUpdate<PoolCommandResult, [z.input<typeof distributeRequestSchema>]>('distribute');
/**
 * "Run the next round now" is a signal, not an update: the pool records its verdict under the request's
 * ID (roundTriggerQuery), which the API reads back. (An update accepted in the same workflow task as the
 * pool's own commands was replayed in another order by the SDK — a nondeterminism the chaos suite found.)
 */
export const runRoundNowSignal = defineSignal<[z.input<typeof runRoundRequestSchema>]>('runRoundNow');
export const roundTriggerQuery = defineQuery<RoundTriggerVerdict | null, [string]>('roundTrigger');
/** Sent by each firing of the pool's schedule. */
export const roundDueSignal = defineSignal('roundDue');
/** Operations send this once they have fixed what made a round fail: the round runs again, same keys. */
export const retryRoundSignal = defineSignal('retryRound');
export const poolStateQuery = defineQuery<PoolView>('poolState');

/** Thrown from validators, so a refused update leaves no trace in the history. */
function reject(refusal: Refusal): never {
  throw ApplicationFailure.create({ type: refusal.type, message: refusal.message, nonRetryable: true });
}

function refuseIf(refusal: Refusal | null): void {
  if (refusal) reject(refusal);
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = parseCommand(schema, value);
  if (!parsed.ok) reject(parsed.refusal);
  return parsed.value;
}

export interface PoolWorkflowInput {
  poolId: string;
  managerId: string;
  config: PoolConfig;
  /** Seeds the draws of pools started before commit-reveal; anyone who reads the input could predict them. */
  seed?: string;
  /** SHA-256 of the server-held draw secret, revealed at activation to seed the draws (domain/pools/payout-draw.ts). */
  seedCommitment?: string;
  /**
   * Keep the pool's search attributes current (the default). Off only where the namespace cannot hold
   * them — the time-skipping test server has no custom search attributes — since an upsert of an
   * unknown attribute fails every workflow task.
   */
  searchAttributes?: boolean;
  /** Set when the workflow continues as new (members compact). */
  carriedCompact?: CarriedPoolState;
  /** Set when an older run continued as new: the whole state, members in full. */
  carried?: PoolState;
}

// ---------------------------------------------------------------------------------------------------
// The workflow
// ---------------------------------------------------------------------------------------------------

export async function poolWorkflow(input: PoolWorkflowInput): Promise<PoolView> {
  const { poolId, config } = input;
  const shape = workflowShape(POOL_SHAPE_PATCH, DECEMBER_SHAPE_PATCH, NOVEMBER_SHAPE_PATCH);
  const decemberShape = shape.has(DECEMBER_SHAPE_PATCH);
  const novemberShape = shape.has(NOVEMBER_SHAPE_PATCH);
  /** The shape this run gives the rounds it starts; rounds of runs before the December shape find their own. */
  const givenRoundShape = shape.current ? GIVEN_ROUND_SHAPE : decemberShape ? COMPLETING_ROUND_SHAPE : undefined;
  // The pool's own idempotent steps (projections, monotonic by version; opening ledger accounts; its
  // schedule) run as local activities in runs of the November shape and later, one at a time: the update
  // handlers and the main loop may each await one (workflows/core/one-at-a-time.ts).
  const steps = novemberShape ? oneAtATime(poolLocalActivities) : poolActivities;
  const identity: PoolIdentity = { poolId, managerId: input.managerId, config, ...(input.seedCommitment ? { seedCommitment: input.seedCommitment } : {}) };
  const s: PoolState = input.carriedCompact ? restoreState(input.carriedCompact) : (input.carried ?? initialPoolState(config));
  const view = () => poolView(identity, s);
  /** True once this run waits to hand over to the next: new commands are refused, to be sent again. */
  let handingOver = false;

  /** Records a change: bumps the version, refreshes search attributes and the Web UI's details, projects. */
  const indexed = input.searchAttributes !== false;
  /** The search attributes as this run last upserted them, so that a change that touches none upserts nothing. */
  let attributesUpserted = '';
  const changed = async (members: readonly PoolMemberView[] = []): Promise<PoolCommandResult> => {
    s.version++;
    if (indexed) {
      const escalation = s.roundEscalation === undefined ? undefined : s.roundEscalation ? `round-${s.roundEscalation.round}-failed` : '';
      const attributes = `${s.status}|${s.roundsCompleted}|${escalation ?? '-'}`;
      if (attributes !== attributesUpserted || !novemberShape) {
        upsertSearchAttributes([
          { key: PoolStatusAttribute, value: s.status },
          { key: PoolRoundAttribute, value: s.roundsCompleted },
          ...(escalation !== undefined ? [{ key: PoolEscalationAttribute, value: escalation }] : []),
        ]);
        attributesUpserted = attributes;
      }
    }
    setCurrentDetails(describePool(s, config));
    const rows = members.map((m) => ({ ...m }));
    const version = s.version;
    if (shape.since(DELTA_PROJECTION_PATCH)) await steps.projectPoolChange({ poolId, change: poolChange(identity, s, rows) });
    else await poolActivities.projectPool(view());
    return { poolId, status: s.status, version, members: rows };
  };

  /** Every update's validator starts here: during a handover, commands wait for the next run. */
  const notHandingOver = () => {
    if (handingOver) reject({ type: PoolRejection.handingOver, message: 'the pool is moving to its next run; send the command again' });
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

  setHandler(
    joinPoolUpdate,
    async (request) => {
      const join = parse(joinRequestSchema, request);
      // A join may arrive while the pool is still being set up; it waits for the pool to open.
      await condition(() => s.status !== 'draft');
      refuseIf(commands.checkJoinOpen(s));
      // Joins that arrive together are all validated before any handler runs: whatever the validator
      // checked may have changed during the wait, so it is checked again before the member is added
      // (patched: histories recorded before this check replay as they ran).
      const place = commands.checkJoinPlace(s, config, join.memberId);
      if (place && shape.since(JOIN_RECHECKED_PATCH)) reject(place);
      const added = commands.join(s, join);
      await steps.openPoolAccounts({ poolId, currency: config.currency, memberIds: [join.memberId] });
      return changed(added);
    },
    {
      validator: (request) => {
        notHandingOver();
        refuseIf(commands.checkJoin(s, config, parse(joinRequestSchema, request)));
      },
    },
  );

  setHandler(leavePoolUpdate, async (request) => changed(commands.leave(s, parse(leaveRequestSchema, request).memberId)), {
    validator: (request) => {
      notHandingOver();
      refuseIf(commands.checkLeave(s, parse(leaveRequestSchema, request).memberId));
    },
  });

  setHandler(
    replaceMemberUpdate,
    async (request) => {
      const replacement = parse(replaceRequestSchema, request);
      const rows = commands.replace(s, replacement);
      await steps.openPoolAccounts({ poolId, currency: config.currency, memberIds: [replacement.incomingMemberId] });
      return changed(rows);
    },
    {
      validator: (request) => {
        notHandingOver();
        refuseIf(commands.checkReplace(s, parse(replaceRequestSchema, request)));
      },
    },
  );

  setHandler(
    activatePoolUpdate,
    async () => {
      // The draw's secret is revealed only now and checked against the commitment before anything changes.
      const secret =
        config.kind === 'rotating' && input.seedCommitment && shape.since(DRAW_REVEAL_PATCH) ? await poolActivities.revealDrawSecret({ poolId }) : null;
      const draw =
        secret === null
          ? null
          : drawFrom(
              secret,
              commands.payingMembers(s).map((m) => m.memberId),
            );
      const rows = commands.activate(s, config, { draw, ...(input.seed ? { seed: input.seed } : {}) });
      await steps.ensurePoolSchedule({ poolId, cadence: config.cadence, poolName: config.name });
      return changed(rows);
    },
    {
      validator: () => {
        notHandingOver();
        refuseIf(commands.checkActivate(s, config));
      },
    },
  );

  setHandler(
    pausePoolUpdate,
    async (request) => {
      const { reason } = parse(reasonSchema, request);
      const rows = commands.pause(s);
      await steps.pausePoolSchedule({ poolId, note: reason ?? 'paused through the API' });
      return changed(rows);
    },
    {
      validator: (request) => {
        notHandingOver();
        parse(reasonSchema, request);
        refuseIf(commands.checkPause(s));
      },
    },
  );

  setHandler(
    resumePoolUpdate,
    async () => {
      const rows = commands.resume(s);
      await steps.unpausePoolSchedule({ poolId, note: 'resumed through the API' });
      return changed(rows);
    },
    {
      validator: () => {
        notHandingOver();
        refuseIf(commands.checkResume(s));
      },
    },
  );

  setHandler(
    cancelPoolUpdate,
    async (request) => {
      parse(reasonSchema, request);
      const rows = commands.cancel(s);
      // A round under way refunds what it collected, unless its payout has already begun. One that has
      // reported has nothing left to refund (older runs signalled it all the same, and failed if it had closed).
      if (!decemberShape && s.roundInProgress) await getExternalWorkflowHandle(workflowIds.round(poolId, s.roundInProgress.round)).signal(cancelRoundSignal);
      else if (s.roundInProgress && !s.finishedRound) await signalRound(s.roundInProgress.round, cancelRoundSignal);
      return changed(rows);
    },
    {
      validator: (request) => {
        notHandingOver();
        parse(reasonSchema, request);
        refuseIf(commands.checkCancel(s));
      },
    },
  );

  setHandler(placeBidUpdate, async (request) => changed(commands.placeBid(s, parse(bidRequestSchema, request))), {
    validator: (request) => {
      notHandingOver();
      refuseIf(commands.checkBid(s, config, parse(bidRequestSchema, request)));
    },
  });

  setHandler(distributeUpdate, async (request) => changed(commands.distribute(s, parse(distributeRequestSchema, request))), {
    validator: (request) => {
      notHandingOver();
      refuseIf(commands.checkDistribute(s, config, parse(distributeRequestSchema, request)));
    },
  });

  setHandler(roundTriggerQuery, (requestId) => commands.recordedTrigger(s, requestId) ?? null);
  setHandler(runRoundNowSignal, (request) => {
    const parsed = runRoundRequestSchema.safeParse(request);
    if (parsed.success) commands.triggerRound(s, parsed.data);
  });
  setHandler(roundDueSignal, () => commands.roundDue(s));
  setHandler(retryRoundSignal, () => {
    // With no escalation known, operations may know better (they terminated the round): it is asked now.
    if (!rounds.retryRound(s) && shape.current) roundCheckRequested = true;
  });
  setHandler(roundFinishedSignal, (result) => void rounds.roundReported(s, result));

  /** The round this run started last (current shape): its completion reaches this run. */
  let roundStartedHere: number | null = null;
  /** Operations sent retryRound while no escalation was known: the round an earlier run started is asked at once. */
  let roundCheckRequested = false;
  /**
   * Signals the round under way (current shape). One that has closed meanwhile needs nothing more if
   * this run started it — its completion reports it — else its outcome is read once: the result, or the
   * escalation of a round that ended without one.
   */
  const signalRound = async (round: number, signal: SignalDefinition<[]>) => {
    try {
      await getExternalWorkflowHandle(workflowIds.round(poolId, round)).signal(signal);
    } catch (error) {
      if (!isClosedWorkflowSignalled(error)) throw error;
      if (roundStartedHere === round) return;
      const outcome = await poolActivities.closedRoundOutcome({ poolId, round });
      if (outcome.ended === 'completed') rounds.roundReported(s, outcome.result);
      else rounds.roundEndedUnreported(s, round, outcome.reason);
    }
  };

  /**
   * Continues as new when Temporal suggests it. Commands that arrive meanwhile are refused as handing
   * over (the API sends them again, and they land on the next run), so the handlers under way can all
   * finish even while commands keep coming: without that the run would never be free to hand over.
   */
  const continueAsNewIfSuggested = async () => {
    if (!workflowInfo().continueAsNewSuggested) return;
    handingOver = true;
    await condition(allHandlersFinished);
    const { carried: _whole, carriedCompact: _compact, ...started } = input;
    await continueAsNew<typeof poolWorkflow>({ ...started, carriedCompact: carryState(s) });
  };

  /**
   * Waits for the running round's result, continuing as new meanwhile if Temporal suggests it. A round
   * that ends without reporting (it failed, was terminated or timed out) is escalated to operations —
   * the pool's details and PoolEscalation say so — and run again, under the same keys, on retryRound.
   */
  const finishRound = async () => {
    const escalation = () => s.roundEscalation ?? null;
    const woken = () =>
      s.finishedRound !== null ||
      workflowInfo().continueAsNewSuggested ||
      (escalation() !== null && (!escalation()!.announced || escalation()!.retryRequested));
    let watchMs = ROUND_WATCH_FIRST_MS;
    for (;;) {
      const round = s.roundInProgress!.round;
      // A round an earlier run started reports by signal, and one that closes without reporting (it was
      // terminated, or failed) is found only by asking it: runs of the current shape ask now and then.
      const watching = shape.current && roundStartedHere !== round && escalation() === null;
      if (watching) {
        const asked = !(await condition(() => woken() || roundCheckRequested, watchMs)) || roundCheckRequested;
        if (asked && !s.finishedRound) {
          roundCheckRequested = false;
          watchMs = Math.min(watchMs * 2, ROUND_WATCH_MAX_MS);
          await signalRound(round, reportRequestedSignal);
          continue;
        }
      } else await condition(woken);
      if (s.finishedRound) break;
      const escalated = escalation();
      if (escalated && !escalated.announced) {
        escalated.announced = true;
        log.warn('round escalated to operations', { poolId, round: escalated.round, reason: escalated.reason });
        await changed();
      } else if (escalated?.retryRequested && s.roundInProgress) {
        const rerun = s.roundInProgress;
        // A run that did not begin the round reads its input from the round's history (runs do not carry it).
        if (!rerun.input && shape.current) rerun.input = (await poolActivities.startedRoundInput({ poolId, round: rerun.round })) ?? undefined;
        if (rerun.input) {
          s.roundEscalation = null;
          await launchRound(rerun.kind, rerun.input);
          await changed();
        } else if (shape.current) {
          // Nothing to run again: said to operations, rather than the input asked for on every wake-up.
          rounds.roundCannotRerun(s);
          await changed();
        }
      }
      await continueAsNewIfSuggested();
    }
    const { kind } = s.roundInProgress!;
    const result = s.finishedRound;
    const rows = rounds.applyRoundResult(s, result, kind);
    await steps.projectRound({ poolId, kind, result });
    rounds.closeRound(s, config);
    await changed(rows);
  };

  const startRound = async (kind: RoundKind, payout: PayoutPlan, dues: RoundInput['dues']) => {
    const roundInput = rounds.beginRound(s, config, poolId, kind, payout, dues, givenRoundShape);
    await launchRound(kind, roundInput);
    await changed();
  };

  /**
   * Starts a round's workflow and watches how it ends: a round given its shape reports by completing;
   * closing without a report escalates.
   */
  const launchRound = async (kind: RoundKind, roundInput: RoundStart) => {
    const { round } = roundInput;
    const child = await startChild(contributionRound, {
      workflowId: workflowIds.round(poolId, round),
      args: [roundInput],
      // The round outlives this run when the pool continues as new, and then reports to the next by signal.
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
    // A round reports when it completes (by signal first, if not given its shape); one that fails, is
    // terminated or times out does not. (A pool that has continued as new since the start no longer
    // hears of the child's end: it asks the round for a signal, see the start of the run.)
    const unreported = (error: unknown) => {
      if (s.roundInProgress?.round !== round || s.finishedRound || !shape.since(ROUND_ESCALATION_PATCH)) return;
      const reason = error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);
      rounds.roundEndedUnreported(s, round, reason);
    };
    if (roundInput.shape) {
      roundStartedHere = round;
      child.result().then((result) => void rounds.roundReported(s, result), unreported);
    } else child.result().catch(unreported);
  };

  const runContributionRound = async () => {
    s.roundsRequested--;
    const plan = rounds.planContributionRound(s, config);
    if (plan === null) return;
    if (plan.kind === 'start') {
      await startRound('contribution', plan.payout, plan.dues);
      return;
    }
    // A bid round opens a bidding window first; it closes early once every eligible member has bid.
    rounds.openBidding(s, config, Date.now());
    await changed();
    for (;;) {
      const remainingMs = s.bidding!.closesAtMs - Date.now();
      if (remainingMs <= 0 || rounds.everyoneBid(s) || s.status === 'cancelled') break;
      await condition(() => rounds.everyoneBid(s) || s.status === 'cancelled' || workflowInfo().continueAsNewSuggested, remainingMs);
      await continueAsNewIfSuggested();
    }
    const auction = rounds.closeBidding(s, config, input.seed);
    if (s.status === 'cancelled') return;
    await startRound('contribution', auction.payout, auction.dues);
  };

  const runDistribution = async () => {
    const payout = rounds.planDistribution(s, config);
    if (payout) await startRound('distribution', payout, []);
  };

  /** A cancelled pool returns what its pot still holds as one last distribution round (no fee). */
  const windUp = async () => {
    const payout = rounds.planWindUp(s);
    if (!payout) return;
    await startRound('distribution', payout, []);
    await finishRound();
  };

  // ------------------------------------------------------------------------------------------------
  // Life
  // ------------------------------------------------------------------------------------------------

  if (!input.carried && !input.carriedCompact) {
    if (indexed) {
      upsertSearchAttributes([
        { key: PoolIdAttribute, value: poolId },
        { key: PoolKindAttribute, value: config.kind },
        { key: PoolManagerAttribute, value: input.managerId },
      ]);
    }
    await steps.openPoolAccounts({ poolId, currency: config.currency, memberIds: [] });
    s.status = 'open';
    await changed();
  } else if (decemberShape && (s.roundInProgress?.shape ?? s.roundInProgress?.input?.shape) && !s.finishedRound) {
    // The round an earlier run started reports by completing, to that run: ask it for a signal instead.
    await signalRound(s.roundInProgress.round, reportRequestedSignal);
  }

  for (;;) {
    if (s.roundInProgress) {
      await finishRound();
      continue;
    }
    if (isFinal(s.status)) break;
    const active = () => s.status === 'active';
    await condition(
      () =>
        isFinal(s.status) ||
        (active() && (s.roundsRequested > 0 || s.distributionsRequested.length > 0 || s.bidding !== null)) ||
        workflowInfo().continueAsNewSuggested,
    );
    await continueAsNewIfSuggested();
    if (isFinal(s.status)) break;
    if (!active()) continue;
    if (s.distributionsRequested.length > 0) await runDistribution();
    else if (s.roundsRequested > 0 || s.bidding) await runContributionRound();
  }

  await steps.deletePoolSchedule({ poolId });
  if (s.status === 'cancelled') await windUp();
  await changed();
  // The update that ended the pool (a cancel) may still be finishing: let it answer its caller.
  await condition(allHandlersFinished);
  return view();
}
