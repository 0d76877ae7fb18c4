// Turns what the pool and round workflows report (each new pool view, each finished round, each charge
// outcome) into notices. Pure: the notifications workflow calls these with the time passed in, so a
// replay derives exactly the same notices under exactly the same keys.
import type { PoolConfig } from '../pools/pool-config';
import type { PoolMemberView, PoolView } from '../pools/pool-view';
import type { RoundResult } from '../pools/round-types';
import { capitalCall } from '../pools/round-split';
import type { Notice, Recipient } from './catalogue';

const HOUR_MS = 3_600_000;
/** A Stripe transfer reaches the connected account at once; its payout to the bank usually takes two days. */
export const PAYOUT_ARRIVAL_ESTIMATE_MS = 2 * 24 * HOUR_MS;

const memberRecipient = (id: string): Recipient => ({ role: 'member', id });
const managerOf = (view: PoolView): Recipient => ({ role: 'manager', id: view.managerId });

/** Members still in the pool: they pay, may receive, and hear about the pool. */
export const currentMembers = (view: PoolView): PoolMemberView[] => view.members.filter((m) => m.status === 'active' || m.status === 'suspended');

const contributionOf = (config: PoolConfig): string => (config.kind === 'rotating' ? config.contributionMinor : '0');

function base(view: PoolView, occurredAt: string) {
  return { poolId: view.poolId, occurredAt, poolName: view.config.name, currency: view.config.currency };
}

/** Notices for what changed between two consecutive views of a pool (`previous` null: the first one seen). */
export function noticesFromViewChange(previous: PoolView | null, next: PoolView, occurredAt: string): Notice[] {
  const notices: Notice[] = [];
  const { poolId, poolName, currency } = base(next, occurredAt);
  const everyone = [...currentMembers(next).map((m) => memberRecipient(m.memberId)), managerOf(next)];

  if (previous && previous.status !== next.status) {
    const type =
      next.status === 'active'
        ? previous.status === 'paused'
          ? 'pool.resumed'
          : 'pool.activated'
        : next.status === 'paused'
          ? 'pool.paused'
          : next.status === 'completed'
            ? 'pool.completed'
            : next.status === 'cancelled'
              ? 'pool.cancelled'
              : null;
    if (type) {
      notices.push({
        key: `${type}:${poolId}:v${next.version}`,
        type,
        poolId,
        managerId: next.managerId,
        occurredAt,
        // A cancelled pool also tells everyone who ever paid in: refunds go to them.
        recipients:
          type === 'pool.cancelled'
            ? [...next.members.filter((m) => m.status !== 'left' || m.paidInMinor !== '0').map((m) => memberRecipient(m.memberId)), managerOf(next)]
            : everyone,
        data: {
          poolName,
          currency,
          contributionMinor: contributionOf(next.config),
          roundsCompleted: next.roundsCompleted,
          roundsPlanned: next.roundsPlanned,
          potMinor: next.potMinor,
        },
      });
    }
  }

  for (const member of next.members) {
    const before = previous?.members.find((m) => m.memberId === member.memberId);
    if (!before || before.status === member.status) continue;
    const type =
      member.status === 'suspended'
        ? 'member.suspended'
        : member.status === 'expelled'
          ? 'member.expelled'
          : member.status === 'active' && before.status === 'suspended'
            ? 'member.restored'
            : null;
    if (!type) continue;
    notices.push({
      key: `${type}:${poolId}:${member.memberId}:v${next.version}`,
      type,
      poolId,
      managerId: next.managerId,
      occurredAt,
      recipients: [memberRecipient(member.memberId), managerOf(next)],
      data: { poolName, currency, memberId: member.memberId, arrearsMinor: member.arrearsMinor },
    });
  }

  if (next.bidding && previous?.bidding?.round !== next.bidding.round) {
    const eligible = currentMembers(next).filter((m) => m.status === 'active' && !m.received && m.arrearsMinor === '0');
    notices.push({
      key: `bid_window.opened:${poolId}:${next.bidding.round}`,
      type: 'bid_window.opened',
      poolId,
      managerId: next.managerId,
      occurredAt,
      recipients: [...eligible.map((m) => memberRecipient(m.memberId)), managerOf(next)],
      data: { poolName, currency, round: next.bidding.round, closesAt: next.bidding.closesAt, contributionMinor: contributionOf(next.config) },
    });
  }
  return notices;
}

/** Notices for a finished round: payments confirmed, late fees, refunds, payouts and an auction's result. */
export function noticesFromRound(view: PoolView, kind: 'contribution' | 'distribution', result: RoundResult, occurredAtMs: number): Notice[] {
  const occurredAt = new Date(occurredAtMs).toISOString();
  const { poolId, poolName, currency } = base(view, occurredAt);
  const notices: Notice[] = [];
  for (const member of result.members) {
    const round = result.round;
    if (member.outcome === 'paid' || member.outcome === 'paid-late') {
      notices.push(paymentSucceeded(view, { round, memberId: member.memberId, amountMinor: member.paidMinor }, occurredAt));
    }
    if (member.outcome === 'paid-late' && member.lateFeeMinor !== '0') {
      notices.push({
        key: `late_fee.applied:${poolId}:${round}:${member.memberId}`,
        type: 'late_fee.applied',
        poolId,
        managerId: view.managerId,
        occurredAt,
        recipients: [memberRecipient(member.memberId)],
        data: { poolName, currency, round, lateFeeMinor: member.lateFeeMinor, paidMinor: member.paidMinor },
      });
    }
    if (member.outcome === 'refunded') {
      notices.push({
        key: `refund.issued:${poolId}:${round}:${member.memberId}`,
        type: 'refund.issued',
        poolId,
        managerId: view.managerId,
        occurredAt,
        recipients: [memberRecipient(member.memberId)],
        data: { poolName, currency, round, amountMinor: member.owedMinor },
      });
    }
  }
  for (const recipient of result.payout?.recipients ?? []) {
    notices.push({
      key: `payout.sent:${poolId}:${result.round}:${recipient.memberId}:${recipient.purpose}`,
      type: 'payout.sent',
      poolId,
      managerId: view.managerId,
      occurredAt,
      recipients: [memberRecipient(recipient.memberId)],
      data: {
        poolName,
        currency,
        round: result.round,
        amountMinor: recipient.amountMinor,
        purpose: recipient.purpose,
        kind,
        expectedArrivalAt: new Date(occurredAtMs + PAYOUT_ARRIVAL_ESTIMATE_MS).toISOString(),
      },
    });
  }
  if (kind === 'contribution' && view.config.kind === 'rotating' && view.config.payoutOrder === 'bid' && result.payout) {
    notices.push({
      key: `bid.result:${poolId}:${result.round}`,
      type: 'bid.result',
      poolId,
      managerId: view.managerId,
      occurredAt,
      recipients: [...currentMembers(view).map((m) => memberRecipient(m.memberId)), managerOf(view)],
      data: { poolName, currency, round: result.round, winnerMemberId: result.payout.winnerMemberId, discountMinor: result.payout.discountMinor },
    });
  }
  return notices;
}

export function paymentSucceeded(view: PoolView, charge: { round: number; memberId: string; amountMinor: string }, occurredAt: string): Notice {
  const { poolId, poolName, currency } = base(view, occurredAt);
  return {
    key: `payment.succeeded:${poolId}:${charge.round}:${charge.memberId}`,
    type: 'payment.succeeded',
    poolId,
    managerId: view.managerId,
    occurredAt,
    recipients: [memberRecipient(charge.memberId)],
    data: { poolName, currency, round: charge.round, amountMinor: charge.amountMinor },
  };
}

export interface ChargeFailure {
  round: number;
  memberId: string;
  /** `contribution` for the first charge, `dunning-N` for the Nth retry (workflows/pools/round.ts). */
  purpose: string;
  amountMinor: string;
  failureCode: string;
}

/** Which attempt a charge purpose is: 0 for the first charge, N for `dunning-N`. */
export function attemptOf(purpose: string): number {
  const match = /^dunning-(\d+)$/.exec(purpose);
  return match ? Number(match[1]) : 0;
}

/**
 * A declined charge: what failed, and what happens next and by when — the next retry (with the late
 * fee) while the grace period lasts, else the pool's default policy when the grace period ends.
 * Mirrors the round's dunning timetable (workflows/pools/round.ts), measured from the round's start.
 */
export function paymentFailed(view: PoolView, failure: ChargeFailure, roundStartedAtMs: number, occurredAtMs: number): Notice {
  const occurredAt = new Date(occurredAtMs).toISOString();
  const { poolId, poolName, currency } = base(view, occurredAt);
  const { config } = view;
  const graceEndsAtMs = roundStartedAtMs + config.gracePeriodHours * HOUR_MS;
  const attempt = attemptOf(failure.purpose);
  const nextRetryHours = config.dunningRetryHours[attempt];
  const nextRetryAtMs = nextRetryHours === undefined ? null : roundStartedAtMs + nextRetryHours * HOUR_MS;
  const retries = nextRetryAtMs !== null && nextRetryAtMs < graceEndsAtMs;
  return {
    key: `payment.failed:${poolId}:${failure.round}:${failure.memberId}:${failure.purpose}`,
    type: 'payment.failed',
    poolId,
    managerId: view.managerId,
    occurredAt,
    recipients: [memberRecipient(failure.memberId)],
    data: {
      poolName,
      currency,
      round: failure.round,
      attempt: attempt + 1,
      amountMinor: failure.amountMinor,
      failureCode: failure.failureCode,
      nextRetryAt: retries ? new Date(nextRetryAtMs).toISOString() : null,
      lateFeeMinor: config.lateFeeMinor,
      graceEndsAt: new Date(graceEndsAtMs).toISOString(),
      defaultPolicy: config.defaultPolicy,
    },
  };
}

/** A reminder that a contribution is due at `dueAtMs`, `leadHours` ahead, to every member still paying. */
export function contributionDueSoon(view: PoolView, dueAtMs: number, leadHours: number, occurredAtMs: number): Notice {
  const occurredAt = new Date(occurredAtMs).toISOString();
  const { poolId, poolName, currency } = base(view, occurredAt);
  const dueAt = new Date(dueAtMs).toISOString();
  return {
    key: `contribution.due_soon:${poolId}:${dueAt}:${leadHours}h`,
    type: 'contribution.due_soon',
    poolId,
    managerId: view.managerId,
    occurredAt,
    recipients: currentMembers(view).map((m) => memberRecipient(m.memberId)),
    data: {
      poolName,
      currency,
      dueAt,
      leadHours,
      round: view.roundInProgress === null ? view.roundsCompleted + 1 : view.roundInProgress + 1,
      // Each member's own charge (`memberId=amountMinor`): arrears come with it (workflows/pools/pool.ts).
      amountByMember: [...dueAmounts(view)].map(([id, amount]) => `${id}=${amount}`),
    },
  };
}

/** What each member still paying will be charged in the next round, arrears included. */
export function dueAmounts(view: PoolView): Map<string, bigint> {
  const members = currentMembers(view);
  const { config } = view;
  const base =
    config.kind === 'investment'
      ? capitalCall(new Map(members.map((m) => [m.memberId, BigInt(m.commitmentMinor ?? '0')])), config.capitalCallBps)
      : new Map(members.map((m) => [m.memberId, BigInt(config.contributionMinor)]));
  return new Map(members.map((m) => [m.memberId, (base.get(m.memberId) ?? 0n) + BigInt(m.arrearsMinor)]));
}

/** The member's amount from a notice's `amountByMember` list, or null when they have none. */
export function amountFor(list: readonly string[], memberId: string): string | null {
  const entry = list.find((item) => item.startsWith(`${memberId}=`));
  return entry ? entry.slice(memberId.length + 1) : null;
}
