// An accept's agreement, claimed after settling one an earlier accept left in force on other terms (its join's answer was
// lost): the pool, the source of truth, says what became of that join: joined (it stands), never joined (ended as stale),
// not known yet (503). A join landing after its agreement ended adds a member nobody can charge (activities/core/payments.ts).
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type WorkflowHandle } from '@temporalio/client';
import {
  AgreementTermsConflict,
  type AgreementRow,
  type AgreementTerms,
  type JoinLease,
  joinLeaseLeftMs,
  recordAgreement,
  withdrawAgreement,
} from '../../db/consent';
import type { PoolMemberView } from '../../domain/pools/pool-view';
import { poolStateQuery, type poolWorkflow } from '../../workflows/pools/pool';
import type { ApiDeps } from '../deps';
import { ProblemError } from '../problem';
import { rejectionType } from '../temporal-errors';
import { readPoolView } from './pool-access';

/**
 * How long an accept may take to send its join and hear the answer: its call to the pool ends at this
 * deadline (503, outcome unknown), so no join of its own reaches the pool after it.
 */
export const JOIN_SEND_WINDOW_MS = 20_000;
/**
 * How long after its call ended a join can still be taken by the pool (a request the server was already
 * reading when the connection went): the agreement is not judged stale before.
 */
export const JOIN_SETTLE_MS = 2_000;
/** How long an agreement is kept from being judged stale while its accept sends the join. */
export const JOIN_LEASE_MS = JOIN_SEND_WINDOW_MS + JOIN_SETTLE_MS;
/** How long the pool is waited for when asked about an earlier join (its update's outcome, its members). */
const EARLIER_JOIN_WAIT_MS = 3_000;
/** The pause before asking again about an earlier join whose accept may still be sending it. */
const EARLIER_JOIN_RECHECK_MS = 100;
/**
 * How many times an accept meets an agreement of the member's on other terms and settles it before it
 * gives up: a second one means another accept of theirs on other terms is racing this one.
 */
const AGREEMENT_SETTLE_ATTEMPTS_MAX = 2;

/** What the pool says of an earlier accept's update, when it says anything. */
type EarlierUpdate = { outcome: 'applied' } | { outcome: 'refused'; reason: string } | { outcome: 'not-pending' } | { outcome: 'pending' };

type PoolHandle = WorkflowHandle<typeof poolWorkflow>;

/** The terms of an agreement, as a problem detail names them. */
function describeTerms(agreement: Pick<AgreementRow, 'commitmentMinor' | 'contributionMinor' | 'currency'>): string {
  return agreement.commitmentMinor !== null
    ? `commitment ${agreement.commitmentMinor} ${agreement.currency}`
    : `contribution ${agreement.contributionMinor} ${agreement.currency}`;
}

/**
 * The 409 for a member who is in the pool already, with what they can do: change terms (leave an open pool
 * first), or, when no agreement of theirs is in force (`agreed` false), give it on the terms they joined on.
 */
export function alreadyMemberProblem(
  where: { poolId: string; memberId: string; poolStatus: string },
  member: Pick<PoolMemberView, 'commitmentMinor'>,
  agreed = true,
): ProblemError {
  const { poolId, memberId } = where;
  const terms = member.commitmentMinor ? ` with a commitment of ${member.commitmentMinor}` : '';
  const change = !agreed
    ? `no agreement of yours is in force: accept on the terms you joined on${member.commitmentMinor ? ` (commitmentMinor ${member.commitmentMinor})` : ''} to give it`
    : where.poolStatus === 'open'
      ? `nothing to accept; to join on other terms, leave the pool first (DELETE /v1/pools/${poolId}/members/${memberId}), then accept again`
      : `nothing to accept; your terms stand while the pool is ${where.poolStatus}`;
  return new ProblemError(409, 'AlreadyMember', `${memberId} is already a member of this pool${terms}: ${change}`);
}

/** 503 for an earlier accept the pool has not answered yet: retrying later finds its outcome. */
function stillUnknown(inForce: AgreementRow, retryAfterMs: number): ProblemError {
  return new ProblemError(
    503,
    'Service Unavailable',
    `your earlier acceptance (${describeTerms(inForce)}) has no answer from the pool yet and may still join you; retry after Retry-After seconds, and the pool's answer to it decides`,
    undefined,
    { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1_000))) },
  );
}

/**
 * The outcome of the earlier accept's update, asked of the pool under its ID. The server answers an
 * update it holds (pending: it waits for the outcome, up to the deadline) or has finished in the pool's
 * current run; it does not know one that never reached it or that the pool's validator refused (those
 * leave no trace), nor one finished in an earlier run, whose join the pool's members show.
 */
async function earlierUpdate(deps: Pick<ApiDeps, 'temporal'>, pool: PoolHandle, updateId: string, deadline: number): Promise<EarlierUpdate> {
  try {
    await deps.temporal.withDeadline(deadline, () => pool.getUpdateHandle(updateId).result());
    return { outcome: 'applied' };
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) return { outcome: 'refused', reason: rejectionType(error) ?? error.cause?.message ?? 'refused' };
    if (error instanceof WorkflowNotFoundError) return { outcome: 'not-pending' };
    // Held by the server and still without an outcome at the deadline (or the deadline came first).
    if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return { outcome: 'pending' };
    throw error;
  }
}

/** The member as the pool's workflow knows them now (its projection, once the workflow has ended), or undefined. */
export async function memberAsPoolKnows(deps: Pick<ApiDeps, 'temporal' | 'db' | 'redis'>, pool: PoolHandle, poolId: string, memberId: string) {
  let members: PoolMemberView[];
  try {
    members = (await deps.temporal.withDeadline(Date.now() + EARLIER_JOIN_WAIT_MS, () => pool.query(poolStateQuery))).members;
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    members = (await readPoolView(deps, poolId))?.members ?? [];
  }
  return members.find((m) => m.memberId === memberId && m.status !== 'left');
}

/**
 * Settles the agreement in force from an earlier accept on other terms before a new accept records its
 * own: throws 409 AlreadyMember when that accept joined (the agreement stands), 503 when its outcome is
 * not known yet (nothing changes), and otherwise ends it as stale — only once its lease has passed, in the
 * statement that ends it, so that an accept still sending its join keeps it — and returns.
 */
async function settleEarlierAgreement(
  deps: Pick<ApiDeps, 'temporal' | 'db' | 'redis' | 'log'>,
  pool: PoolHandle,
  request: { inForce: AgreementRow; poolStatus: string; requestId: string },
): Promise<void> {
  const { inForce } = request;
  const deadline = Date.now() + EARLIER_JOIN_WAIT_MS;
  for (;;) {
    // Asked first, so that an update that lands meanwhile shows among the members asked next.
    const update: EarlierUpdate = inForce.joinUpdateId ? await earlierUpdate(deps, pool, inForce.joinUpdateId, deadline) : { outcome: 'not-pending' };
    if (update.outcome === 'pending') throw stillUnknown(inForce, EARLIER_JOIN_WAIT_MS);
    const member = await memberAsPoolKnows(deps, pool, inForce.poolId, inForce.memberId);
    if (member) throw alreadyMemberProblem({ poolId: inForce.poolId, memberId: inForce.memberId, poolStatus: request.poolStatus }, member);
    const why =
      update.outcome === 'applied'
        ? 'the member has left the pool since'
        : update.outcome === 'refused'
          ? `the pool refused the join it was given for (${update.reason})`
          : 'the join it was given for never reached the pool';
    const withdrawn = await withdrawAgreement(deps.db, {
      poolId: inForce.poolId,
      memberId: inForce.memberId,
      agreementId: inForce.agreementId,
      reason: `stale: ${why}`,
      requestId: request.requestId,
      afterJoinLease: true,
    });
    if (withdrawn) {
      // A lost answer to a join is worth knowing about: it is what left this agreement behind.
      deps.log.warn('agreement ended as stale', {
        poolId: inForce.poolId,
        memberId: inForce.memberId,
        agreementId: inForce.agreementId,
        why,
        requestId: request.requestId,
      });
      return;
    }
    const leaseLeftMs = await joinLeaseLeftMs(deps.db, inForce.agreementId);
    if (leaseLeftMs === null) return; // ended meanwhile (by another accept of the member's): record anew
    // Its accept may be about to send the join (two accepts at once): asked again shortly, within the wait.
    if (Date.now() + EARLIER_JOIN_RECHECK_MS >= deadline) {
      throw stillUnknown(inForce, leaseLeftMs);
    }
    await new Promise((resolve) => setTimeout(resolve, EARLIER_JOIN_RECHECK_MS));
  }
}

/**
 * Records this accept's agreement (recordAgreement, with its join's lease), first settling one in force
 * on other terms from an earlier accept: that one stands (409), waits for the pool (503), or ends as stale.
 */
export async function claimAgreement(
  deps: Pick<ApiDeps, 'temporal' | 'db' | 'redis' | 'log'>,
  pool: PoolHandle,
  accept: { poolId: string; memberId: string; requestId: string; terms: AgreementTerms; join: JoinLease; poolStatus: string },
): Promise<{ agreement: AgreementRow; created: boolean }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await recordAgreement(deps.db, accept);
    } catch (error) {
      if (!(error instanceof AgreementTermsConflict)) throw error;
      if (attempt >= AGREEMENT_SETTLE_ATTEMPTS_MAX) {
        throw new ProblemError(
          409,
          'AgreementConflict',
          `another acceptance of yours, on other terms (${describeTerms(error.inForce)}), was recorded while this one ran; send this one again and the pool's answer to that one decides`,
        );
      }
      await settleEarlierAgreement(deps, pool, { inForce: error.inForce, poolStatus: accept.poolStatus, requestId: accept.requestId });
    }
  }
}
