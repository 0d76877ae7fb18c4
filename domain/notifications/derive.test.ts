// Notices derived from what pools and rounds report: lifecycle changes, standing changes, bid windows,
// and a round's payments, late fees, refunds, payouts and auction result — with their audiences and
// business keys. Pure: no stack.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { poolConfigSchema } from '../pools/pool-config';
import type { PoolMemberView, PoolView } from '../pools/pool-view';
import type { RoundResult } from '../../workflows/pools/round';
import { contributionDueSoon, noticesFromRound, noticesFromViewChange } from './derive';

const member = (memberId: string, overrides: Partial<PoolMemberView> = {}): PoolMemberView => ({
  memberId,
  status: 'active',
  joinSeq: 1,
  commitmentMinor: null,
  paidInMinor: '0',
  arrearsMinor: '0',
  received: false,
  replacedMemberId: null,
  ...overrides,
});

const config = poolConfigSchema.parse({
  kind: 'rotating',
  name: 'Tanda',
  currency: 'mxn',
  cadence: { type: 'monthly', dayOfMonth: 1, hourUtc: 9 },
  membersMin: 2,
  membersMax: 3,
  contributionMinor: 50_000,
  payoutOrder: 'bid',
});
const view = (overrides: Partial<PoolView> = {}): PoolView => ({
  poolId: 'p1',
  managerId: 'mgr',
  config,
  status: 'active',
  members: [member('a'), member('b'), member('c')],
  payoutOrder: null,
  roundsCompleted: 0,
  roundsPlanned: 3,
  roundInProgress: null,
  bidding: null,
  potMinor: '0',
  recentRounds: [],
  version: 5,
  ...overrides,
});
const at = '2026-03-01T09:00:00.000Z';
const summary = (notices: ReturnType<typeof noticesFromViewChange>) =>
  notices.map((n) => [n.type, n.key, n.recipients.map((r) => `${r.role}:${r.id}`).join(',')]);

describe('notices derived from pool events', () => {
  test('lifecycle changes go to members still in the pool and the manager', () => {
    const paused = view({ status: 'paused', version: 6, members: [member('a'), member('b', { status: 'left' }), member('c')] });
    assert.deepEqual(summary(noticesFromViewChange(view(), paused, at)), [['pool.paused', 'pool.paused:p1:v6', 'member:a,member:c,manager:mgr']]);
    assert.deepEqual(
      summary(noticesFromViewChange(paused, { ...paused, status: 'active', version: 7 }, at)).map((n) => n[0]),
      ['pool.resumed'],
    );
    assert.deepEqual(
      summary(noticesFromViewChange(view({ status: 'open' }), view(), at)).map((n) => n[0]),
      ['pool.activated'],
    );
    assert.deepEqual(noticesFromViewChange(null, view(), at), [], 'the first view seen is no change');
    assert.deepEqual(noticesFromViewChange(view(), view({ version: 6 }), at), [], 'nothing changed, nothing told');
  });

  test('a cancelled pool tells everyone who paid in, even those who left', () => {
    const before = view({
      members: [member('a', { paidInMinor: '50000' }), member('b', { status: 'left', paidInMinor: '50000' }), member('c', { status: 'left' })],
    });
    const notices = noticesFromViewChange(before, { ...before, status: 'cancelled', version: 9 }, at);
    assert.deepEqual(summary(notices), [['pool.cancelled', 'pool.cancelled:p1:v9', 'member:a,member:b,manager:mgr']]);
  });

  test('standing changes go to the member and the manager', () => {
    const suspended = view({
      version: 6,
      members: [member('a', { status: 'suspended', arrearsMinor: '50000' }), member('b'), member('c', { status: 'expelled', arrearsMinor: '50000' })],
    });
    assert.deepEqual(summary(noticesFromViewChange(view(), suspended, at)), [
      ['member.suspended', 'member.suspended:p1:a:v6', 'member:a,manager:mgr'],
      ['member.expelled', 'member.expelled:p1:c:v6', 'member:c,manager:mgr'],
    ]);
    const restored = { ...suspended, version: 7, members: [member('a'), member('b'), member('c', { status: 'expelled' })] };
    assert.deepEqual(summary(noticesFromViewChange(suspended, restored, at)), [['member.restored', 'member.restored:p1:a:v7', 'member:a,manager:mgr']]);
  });

  test('a bid window opens for members who may bid', () => {
    const bidding = view({
      version: 6,
      members: [member('a'), member('b', { received: true }), member('c', { arrearsMinor: '1' })],
      bidding: { round: 2, closesAt: '2026-03-02T09:00:00.000Z', bids: 0 },
    });
    assert.deepEqual(summary(noticesFromViewChange(view(), bidding, at)), [['bid_window.opened', 'bid_window.opened:p1:2', 'member:a,manager:mgr']]);
    assert.deepEqual(noticesFromViewChange(bidding, { ...bidding, version: 7, bidding: { ...bidding.bidding!, bids: 1 } }, at), [], 'a bid is no new window');
  });

  test('a round: payments, a late fee, refunds, payouts and the auction result', () => {
    const outcome = (memberId: string, kind: RoundResult['members'][number]['outcome'], lateFeeMinor = '0') => ({
      memberId,
      outcome: kind,
      owedMinor: '50000',
      paidMinor: kind === 'defaulted' ? '0' : String(50_000 + Number(lateFeeMinor)),
      lateFeeMinor,
      arrearsPaidMinor: '0',
      policyApplied: 'none' as const,
      paymentIntentId: null,
      failureCode: null,
    });
    const result: RoundResult = {
      round: 2,
      members: [outcome('a', 'paid'), outcome('b', 'paid-late', '2500'), outcome('c', 'refunded')],
      potMinor: '150000',
      payout: { winnerMemberId: 'a', discountMinor: '3000', feeMinor: '0', recipients: [{ memberId: 'a', amountMinor: '97000', purpose: 'pot' }] },
      payoutAttempts: 1,
    };
    const notices = noticesFromRound(view(), 'contribution', result, Date.parse(at));
    assert.deepEqual(summary(notices), [
      ['payment.succeeded', 'payment.succeeded:p1:2:a', 'member:a'],
      ['payment.succeeded', 'payment.succeeded:p1:2:b', 'member:b'],
      ['late_fee.applied', 'late_fee.applied:p1:2:b', 'member:b'],
      ['refund.issued', 'refund.issued:p1:2:c', 'member:c'],
      ['payout.sent', 'payout.sent:p1:2:a:pot', 'member:a'],
      ['bid.result', 'bid.result:p1:2', 'member:a,member:b,member:c,manager:mgr'],
    ]);
    const payout = notices.find((n) => n.type === 'payout.sent')!;
    assert.deepEqual([payout.data.amountMinor, payout.data.expectedArrivalAt], ['97000', '2026-03-03T09:00:00.000Z']);
    assert.equal(notices.find((n) => n.type === 'late_fee.applied')!.data.lateFeeMinor, '2500');
  });

  test('a reminder carries each paying member’s own amount, arrears included', () => {
    const notice = contributionDueSoon(
      view({ members: [member('a', { arrearsMinor: '50000', status: 'suspended' }), member('b'), member('c', { status: 'expelled' })] }),
      Date.parse('2026-04-01T09:00:00Z'),
      24,
      Date.parse(at),
    );
    assert.deepEqual(
      notice.recipients.map((r) => r.id),
      ['a', 'b'],
      'an expelled member is not reminded',
    );
    assert.deepEqual(notice.data.amountByMember, ['a=100000', 'b=50000']);
    assert.equal(notice.key, 'contribution.due_soon:p1:2026-04-01T09:00:00.000Z:24h');
  });
});
