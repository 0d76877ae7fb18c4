// Turns what the pool and round workflows report (each new pool view, each finished round, each charge
// outcome) into notices. Pure: the notifications workflow calls these with the time passed in, so a
// replay derives exactly the same notices under exactly the same keys.
import { noticeKeys } from '../core/idempotency-keys';
import type { PoolConfig } from '../pools/pool-config';
import type { PoolMemberView, PoolView } from '../pools/pool-view';
import type { RoundResult } from '../pools/round-types';
import { capitalCall } from '../pools/round-split';
import type { Notice, NoticeType, Recipient } from './catalogue';

const HOUR_MS = 3_600_000;
/** A Stripe transfer reaches the connected account at once; its payout to the bank usually takes two days. */
export const PAYOUT_ARRIVAL_ESTIMATE_MS = 2 * 24 * HOUR_MS;

const memberRecipient = (id: string): Recipient => ({ role: 'member', id });
const managerOf = (view: PoolView): Recipient => ({ role: 'manager', id: view.managerId });

/** Members still in the pool: they pay, may receive, and hear about the pool. */
export const currentMembers = (view: PoolView): PoolMemberView[] => view.members.filter((m) => m.status === 'active' || m.status === 'suspended');

const contributionOf = (config: PoolConfig): string => (config.kind === 'rotating' ? config.contributionMinor : '0');

/** The notice a pool's move into a status gives (a move back to active from paused is a resume). */
const STATUS_NOTICES: Partial<Record<PoolView['status'], 'pool.activated' | 'pool.paused' | 'pool.completed' | 'pool.cancelled'>> = {
  active: 'pool.activated',
  paused: 'pool.paused',
  completed: 'pool.completed',
  cancelled: 'pool.cancelled',
};

/**
 * A notice about a pool, keyed by its type, the pool and what makes it unique there (`unique`), so a
 * replay derives it under the same key; its data always names the pool and its currency.
 */
function poolNotice(view: PoolView, type: NoticeType, unique: string, occurredAt: string, recipients: Recipient[], data: Notice['data']): Notice {
  return {
    key: noticeKeys.pool(type, view.poolId, unique),
    type,
    poolId: view.poolId,
    managerId: view.managerId,
    occurredAt,
    recipients,
    data: { poolName: view.config.name, currency: view.config.currency, ...data },
  };
}

/** Notices for what changed between two consecutive views of a pool (`previous` null: the first one seen). */
export function noticesFromViewChange(previous: PoolView | null, next: PoolView, occurredAt: string): Notice[] {
  const notices: Notice[] = [];
  const everyone = [...currentMembers(next).map((m) => memberRecipient(m.memberId)), managerOf(next)];

  if (previous && previous.status !== next.status) {
    const type = next.status === 'active' && previous.status === 'paused' ? 'pool.resumed' : (STATUS_NOTICES[next.status] ?? null);
    if (type) {
      // A cancelled pool also tells everyone who ever paid in: refunds go to them.
      notices.push(
        poolNotice(
          next,
          type,
          `v${next.version}`,
          occurredAt,
          type === 'pool.cancelled'
            ? [...next.members.filter((m) => m.status !== 'left' || m.paidInMinor !== '0').map((m) => memberRecipient(m.memberId)), managerOf(next)]
            : everyone,
          { contributionMinor: contributionOf(next.config), roundsCompleted: next.roundsCompleted, roundsPlanned: next.roundsPlanned, potMinor: next.potMinor },
        ),
      );
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
    notices.push(
      poolNotice(next, type, `${member.memberId}:v${next.version}`, occurredAt, [memberRecipient(member.memberId), managerOf(next)], {
        memberId: member.memberId,
        arrearsMinor: member.arrearsMinor,
      }),
    );
  }

  if (next.bidding && previous?.bidding?.round !== next.bidding.round) {
    const eligible = currentMembers(next).filter((m) => m.status === 'active' && !m.received && m.arrearsMinor === '0');
    notices.push(
      poolNotice(next, 'bid_window.opened', `${next.bidding.round}`, occurredAt, [...eligible.map((m) => memberRecipient(m.memberId)), managerOf(next)], {
        round: next.bidding.round,
        closesAt: next.bidding.closesAt,
        contributionMinor: contributionOf(next.config),
      }),
    );
  }
  return notices;
}

/** Notices for a finished round: payments confirmed, late fees, refunds, payouts and an auction's result. */
export function noticesFromRound(view: PoolView, kind: 'contribution' | 'distribution', result: RoundResult, occurredAtMs: number): Notice[] {
  const occurredAt = new Date(occurredAtMs).toISOString();
  const notices: Notice[] = [];
  for (const member of result.members) {
    const round = result.round;
    if (member.outcome === 'paid' || member.outcome === 'paid-late') {
      notices.push(paymentSucceeded(view, { round, memberId: member.memberId, amountMinor: member.paidMinor }, occurredAt));
    }
    if (member.outcome === 'paid-late' && member.lateFeeMinor !== '0') {
      notices.push(
        poolNotice(view, 'late_fee.applied', `${round}:${member.memberId}`, occurredAt, [memberRecipient(member.memberId)], {
          round,
          lateFeeMinor: member.lateFeeMinor,
          paidMinor: member.paidMinor,
        }),
      );
    }
    if (member.outcome === 'refunded') {
      notices.push(
        poolNotice(view, 'refund.issued', `${round}:${member.memberId}`, occurredAt, [memberRecipient(member.memberId)], {
          round,
          amountMinor: member.owedMinor,
        }),
      );
    }
  }
  for (const recipient of result.payout?.recipients ?? []) {
    notices.push(
      poolNotice(view, 'payout.sent', `${result.round}:${recipient.memberId}:${recipient.purpose}`, occurredAt, [memberRecipient(recipient.memberId)], {
        round: result.round,
        amountMinor: recipient.amountMinor,
        purpose: recipient.purpose,
        kind,
        expectedArrivalAt: new Date(occurredAtMs + PAYOUT_ARRIVAL_ESTIMATE_MS).toISOString(),
      }),
    );
  }
  if (kind === 'contribution' && view.config.kind === 'rotating' && view.config.payoutOrder === 'bid' && result.payout) {
    notices.push(
      poolNotice(view, 'bid.result', `${result.round}`, occurredAt, [...currentMembers(view).map((m) => memberRecipient(m.memberId)), managerOf(view)], {
        round: result.round,
        winnerMemberId: result.payout.winnerMemberId,
        discountMinor: result.payout.discountMinor,
      }),
    );
  }
  return notices;
}

export function paymentSucceeded(view: PoolView, charge: { round: number; memberId: string; amountMinor: string }, occurredAt: string): Notice {
  return poolNotice(view, 'payment.succeeded', `${charge.round}:${charge.memberId}`, occurredAt, [memberRecipient(charge.memberId)], {
    round: charge.round,
    amountMinor: charge.amountMinor,
  });
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
  const { config } = view;
  const graceEndsAtMs = roundStartedAtMs + config.gracePeriodHours * HOUR_MS;
  const attempt = attemptOf(failure.purpose);
  const nextRetryHours = config.dunningRetryHours[attempt];
  const nextRetryAtMs = nextRetryHours === undefined ? null : roundStartedAtMs + nextRetryHours * HOUR_MS;
  const retries = nextRetryAtMs !== null && nextRetryAtMs < graceEndsAtMs;
  return poolNotice(view, 'payment.failed', `${failure.round}:${failure.memberId}:${failure.purpose}`, occurredAt, [memberRecipient(failure.memberId)], {
    round: failure.round,
    attempt: attempt + 1,
    amountMinor: failure.amountMinor,
    failureCode: failure.failureCode,
    nextRetryAt: retries ? new Date(nextRetryAtMs).toISOString() : null,
    lateFeeMinor: config.lateFeeMinor,
    graceEndsAt: new Date(graceEndsAtMs).toISOString(),
    defaultPolicy: config.defaultPolicy,
  });
}

/** A reminder that a contribution is due at `dueAtMs`, `leadHours` ahead, to every member still paying. */
export function contributionDueSoon(view: PoolView, dueAtMs: number, leadHours: number, occurredAtMs: number): Notice {
  const occurredAt = new Date(occurredAtMs).toISOString();
  const dueAt = new Date(dueAtMs).toISOString();
  return poolNotice(
    view,
    'contribution.due_soon',
    `${dueAt}:${leadHours}h`,
    occurredAt,
    currentMembers(view).map((m) => memberRecipient(m.memberId)),
    {
      dueAt,
      leadHours,
      round: view.roundInProgress === null ? view.roundsCompleted + 1 : view.roundInProgress + 1,
      // Each member's own charge (`memberId=amountMinor`): arrears come with it (workflows/pools/pool.ts).
      amountByMember: [...dueAmounts(view)].map(([id, amount]) => `${id}=${amount}`),
    },
  );
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
