// The rules of a pool's rounds, without a stack: planning, which report counts, applying a result (and
// which member rows it reports as changed), escalation, completion.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { poolConfigSchema, type PoolConfig } from './pool-config';
import * as commands from './commands';
import { roundInputOf } from './round-input';
import { roundResultRows } from './round-report';
import { COMPLETING_ROUND_SHAPE, GIVEN_ROUND_SHAPE, type MemberRoundResult, type RoundResult } from './round-types';
import * as rounds from './rounds';
import { carryState, initialPoolState, restoreState, type PoolState } from './state';

const rotating = (overrides: Record<string, unknown> = {}): PoolConfig =>
  poolConfigSchema.parse({
    kind: 'rotating',
    name: 'Circle',
    currency: 'usd',
    cadence: { type: 'monthly', dayOfMonth: 1, hourUtc: 9 },
    membersMin: 2,
    membersMax: 4,
    contributionMinor: 1_000,
    platformFeeBps: 100,
    ...overrides,
  });
const investment = (): PoolConfig =>
  poolConfigSchema.parse({
    kind: 'investment',
    name: 'Fund',
    currency: 'usd',
    cadence: { type: 'monthly', dayOfMonth: 1, hourUtc: 9 },
    membersMin: 2,
    membersMax: 3,
    capitalCallBps: 5_000,
  });

function activePool(config: PoolConfig, members: string[]): PoolState {
  const s = initialPoolState(config);
  s.status = 'open';
  for (const memberId of members) commands.join(s, { memberId, ...(config.kind === 'investment' ? { commitmentMinor: '10000' } : {}) });
  commands.activate(s, config, { draw: null, seed: 'seed' });
  return s;
}

const paid = (memberId: string, owedMinor = '1000', arrearsPaidMinor = '0'): MemberRoundResult => ({
  memberId,
  outcome: 'paid',
  owedMinor,
  paidMinor: owedMinor,
  lateFeeMinor: '0',
  arrearsPaidMinor,
  policyApplied: 'none',
  paymentIntentId: `pi_${memberId}`,
  failureCode: null,
});
const defaulted = (memberId: string, policyApplied: MemberRoundResult['policyApplied']): MemberRoundResult => ({
  ...paid(memberId),
  outcome: 'defaulted',
  paidMinor: '0',
  policyApplied,
  paymentIntentId: null,
});

describe('planning rounds', () => {
  test('a rotating round charges every paying member and offers the pot in payout order to who has not received', () => {
    const config = rotating();
    const s = activePool(config, ['ada', 'bo', 'cy']);
    s.members[0]!.received = true;
    s.members[1]!.arrearsMinor = '1000';
    const plan = rounds.planContributionRound(s, config);
    assert.ok(plan?.kind === 'start');
    assert.deepEqual(plan.dues, [
      { memberId: 'ada', amountMinor: '1000', arrearsMinor: '0' },
      { memberId: 'bo', amountMinor: '1000', arrearsMinor: '1000' },
      { memberId: 'cy', amountMinor: '1000', arrearsMinor: '0' },
    ]);
    assert.deepEqual(plan.payout, { kind: 'order', candidates: ['bo', 'cy'], members: ['ada', 'bo', 'cy'], platformFeeBps: 100 });
  });

  test('an investment round is a capital call pro-rata to commitments; none after the planned rounds', () => {
    const config = investment();
    const s = activePool(config, ['ada', 'bo']);
    const plan = rounds.planContributionRound(s, config);
    assert.ok(plan?.kind === 'start');
    assert.deepEqual(plan.payout, { kind: 'none' });
    assert.deepEqual(
      plan.dues.map((d) => d.amountMinor),
      ['5000', '5000'],
    );
    s.roundsCompleted = s.roundsPlanned;
    assert.equal(rounds.planContributionRound(s, config), null);
  });

  test('a rotating pool stops adding rounds after ROUNDS_PER_MEMBER_MAX per member', () => {
    const config = rotating();
    const s = activePool(config, ['ada', 'bo']);
    s.roundsCompleted = rounds.ROUNDS_PER_MEMBER_MAX * 2;
    assert.equal(rounds.planContributionRound(s, config), null);
  });

  test('a bid round opens bidding first, closes early once every eligible member bid, then plans the auction', () => {
    const config = rotating({ payoutOrder: 'bid', bidWindowHours: 2 });
    const s = activePool(config, ['ada', 'bo']);
    assert.deepEqual(rounds.planContributionRound(s, config), { kind: 'bidding' });
    rounds.openBidding(s, config, 1_000);
    assert.deepEqual(s.bidding, { round: 1, closesAtMs: 1_000 + 2 * 3_600_000, bids: {} });
    rounds.openBidding(s, config, 9_999);
    assert.equal(s.bidding.closesAtMs, 1_000 + 2 * 3_600_000, 'an open window is kept');
    commands.placeBid(s, { memberId: 'ada', round: 1, discountMinor: '50' });
    assert.equal(rounds.everyoneBid(s), false);
    commands.placeBid(s, { memberId: 'bo', round: 1, discountMinor: '70' });
    assert.equal(rounds.everyoneBid(s), true);
    const auction = rounds.closeBidding(s, config, 'seed');
    assert.equal(s.bidding, null);
    assert.deepEqual(auction.payout, {
      kind: 'auction',
      eligible: ['ada', 'bo'],
      bids: [
        { memberId: 'ada', discountMinor: '50' },
        { memberId: 'bo', discountMinor: '70' },
      ],
      seed: 'seed',
      members: ['ada', 'bo'],
      platformFeeBps: 100,
    });
  });

  test('a distribution is pro-rata to paid-in capital; a wind-up returns the pot only when there is one', () => {
    const config = investment();
    const s = activePool(config, ['ada', 'bo']);
    s.members[0]!.paidInMinor = '300';
    s.distributionsRequested = ['100'];
    assert.deepEqual(rounds.planDistribution(s, config), {
      kind: 'distribution',
      amountMinor: '100',
      paidInMinor: [{ memberId: 'ada', amountMinor: '300' }],
      managementFeeBps: 0,
    });
    assert.deepEqual(s.distributionsRequested, []);
    assert.equal(rounds.planDistribution(activePool(rotating(), ['ada', 'bo']), rotating()), null);
    assert.equal(rounds.planWindUp(s), null, 'an empty pot returns nothing');
    s.potMinor = '250';
    assert.deepEqual(rounds.planWindUp(s), {
      kind: 'distribution',
      amountMinor: '250',
      paidInMinor: [{ memberId: 'ada', amountMinor: '300' }],
      managementFeeBps: 0,
    });
  });

  test('beginning a round takes its number and keeps its input for a retry', () => {
    const config = rotating({ gracePeriodHours: 5 });
    const s = activePool(config, ['ada', 'bo']);
    const input = rounds.beginRound(s, config, 'p1', 'contribution', { kind: 'none' }, []);
    assert.deepEqual([input.round, input.poolId, input.gracePeriodHours, s.nextRound], [1, 'p1', 5, 2]);
    assert.equal(s.roundInProgress?.input, input);
    assert.equal('shape' in input, false, 'a round of an older pool finds its shape itself');
  });

  test('a round begun by a pool of the current shape carries its shape, kept for a retry and for a later run', () => {
    const config = rotating();
    const s = activePool(config, ['ada', 'bo']);
    const input = rounds.beginRound(s, config, 'p1', 'contribution', { kind: 'none' }, [], GIVEN_ROUND_SHAPE);
    assert.equal(input.shape, 'round-2027-01');
    assert.equal(restoreState(carryState(s)).roundInProgress?.shape, 'round-2027-01', 'carried without its input');
  });

  test('a round of the current shape is given its input as rows, kept so for a retry by the run that began it', () => {
    const config = rotating();
    const s = activePool(config, ['ada', 'bo', 'cy']);
    const next = rounds.planContributionRound(s, config);
    assert.equal(next?.kind, 'start');
    const { payout, dues } = next as Extract<typeof next, { kind: 'start' }>;
    const start = rounds.beginRound(s, config, 'p1', 'contribution', payout, dues, GIVEN_ROUND_SHAPE);
    assert.ok('form' in start && start.form === 'rows');
    assert.deepEqual(roundInputOf(start).payout, payout, 'the round reads the very plan the pool made');
    assert.deepEqual(s.roundInProgress?.input, start);
    assert.deepEqual(
      restoreState(carryState(s)).roundInProgress,
      { round: 1, kind: 'contribution', shape: GIVEN_ROUND_SHAPE },
      'a later run reads it from the round',
    );
    const older = activePool(config, ['ada', 'bo', 'cy']);
    assert.equal('form' in rounds.beginRound(older, config, 'p1', 'contribution', payout, dues, COMPLETING_ROUND_SHAPE), false, 'December rounds take objects');
  });
});

describe('round results', () => {
  const result = (members: MemberRoundResult[], payout: RoundResult['payout'] = null): RoundResult => ({
    round: 1,
    members,
    potMinor: '3000',
    payout,
    payoutAttempts: payout ? 1 : 0,
  });

  test('only the awaited round’s first report counts', () => {
    const config = rotating();
    const s = activePool(config, ['ada', 'bo']);
    assert.equal(rounds.roundReported(s, result([])), false, 'no round under way');
    rounds.beginRound(s, config, 'p1', 'contribution', { kind: 'none' }, []);
    assert.equal(rounds.roundReported(s, { ...result([]), round: 2 }), false);
    assert.equal(rounds.roundReported(s, result([])), true);
    assert.equal(rounds.roundReported(s, result([paid('ada')])), false, 'a repeated report');
    assert.deepEqual(s.finishedRound?.members, []);
  });

  test('applying a result pays in, collects arrears, restores, suspends, expels, pays the winner; changed rows only', () => {
    const config = rotating({ membersMax: 5 });
    const s = activePool(config, ['ada', 'bo', 'cy', 'dee', 'eve']);
    s.members[1]!.status = 'suspended';
    s.members[1]!.arrearsMinor = '1000';
    const payout = {
      winnerMemberId: 'ada',
      discountMinor: '0',
      feeMinor: '30',
      recipients: [{ memberId: 'ada', amountMinor: '2970', purpose: 'pot' as const }],
    };
    const changed = rounds.applyRoundResult(
      s,
      result([paid('ada'), paid('bo', '1000', '1000'), defaulted('cy', 'suspend'), defaulted('dee', 'expel'), { ...paid('eve'), outcome: 'refunded' }], payout),
      'contribution',
    );
    const row = (id: string) => s.members.find((m) => m.memberId === id)!;
    assert.deepEqual([row('ada').paidInMinor, row('ada').received], ['1000', true]);
    assert.deepEqual([row('bo').status, row('bo').arrearsMinor, row('bo').paidInMinor], ['active', '0', '1000']);
    assert.deepEqual([row('cy').status, row('cy').arrearsMinor], ['suspended', '1000']);
    assert.deepEqual([row('dee').status, row('dee').arrearsMinor], ['expelled', '1000']);
    assert.deepEqual(changed.map((m) => m.memberId).sort(), ['ada', 'bo', 'cy', 'dee'], 'a refunded member did not change');
    // 3,000 in, 30 fee and 2,970 paid out, 1,000 refunded.
    assert.equal(s.potMinor, '-1000');
    assert.equal(s.roundsCompleted, 1);
    assert.deepEqual(s.recentRounds.at(-1), {
      round: 1,
      kind: 'contribution',
      potMinor: '3000',
      feeMinor: '30',
      discountMinor: '0',
      winnerMemberId: 'ada',
      paidCount: 2,
      defaultedCount: 2,
    });
  });

  test('a report of rows changes the pool exactly as the same result in objects', () => {
    const config = rotating({ membersMax: 3 });
    const payout = {
      winnerMemberId: 'ada',
      discountMinor: '0',
      feeMinor: '20',
      recipients: [{ memberId: 'ada', amountMinor: '1980', purpose: 'pot' as const }],
    };
    const members = [paid('ada'), { ...paid('bo', '1000', '500'), paidMinor: '1500' }, defaulted('cy', 'suspend')];
    const apply = (rows: boolean) => {
      const s = activePool(config, ['ada', 'bo', 'cy']);
      s.members[1]!.arrearsMinor = '500';
      rounds.beginRound(s, config, 'p1', 'contribution', { kind: 'none' }, []);
      const report = rows ? roundResultRows(result(members, payout)) : result(members, payout);
      assert.equal(rounds.roundReported(s, report), true);
      const changed = rounds.applyRoundResult(s, s.finishedRound!, 'contribution');
      return { changed: changed.map((m) => m.memberId), members: s.members, potMinor: s.potMinor, recent: s.recentRounds };
    };
    const fromRows = apply(true);
    assert.deepEqual(fromRows, apply(false));
    assert.deepEqual(
      fromRows.members.map((m) => [m.memberId, m.status, m.paidInMinor, m.arrearsMinor, m.received]),
      [
        ['ada', 'active', '1000', '0', true],
        ['bo', 'active', '1000', '0', false],
        ['cy', 'suspended', '0', '1000', false],
      ],
    );
  });

  test('a distribution does not count as a contribution round; recent rounds are bounded', () => {
    const config = investment();
    const s = activePool(config, ['ada', 'bo']);
    for (let i = 0; i < rounds.RECENT_ROUNDS_MAX + 3; i++) rounds.applyRoundResult(s, { ...result([]), round: i + 1 }, 'distribution');
    assert.equal(s.roundsCompleted, 0);
    assert.equal(s.recentRounds.length, rounds.RECENT_ROUNDS_MAX);
  });

  test('closing the last round of a rotating pool completes it; an investment pool goes on', () => {
    const config = rotating();
    const s = activePool(config, ['ada', 'bo']);
    rounds.beginRound(s, config, 'p1', 'contribution', { kind: 'none' }, []);
    for (const m of s.members) m.received = true;
    rounds.closeRound(s, config);
    assert.deepEqual([s.status, s.roundInProgress, s.finishedRound], ['completed', null, null]);
    const fund = investment();
    const f = activePool(fund, ['ada', 'bo']);
    rounds.closeRound(f, fund);
    assert.equal(f.status, 'active');
  });
});

describe('escalation', () => {
  test('a round that ended unreported is escalated with a bounded reason; a reported one is not; retry is recorded', () => {
    const config = rotating();
    const s = activePool(config, ['ada', 'bo']);
    rounds.beginRound(s, config, 'p1', 'contribution', { kind: 'none' }, []);
    assert.equal(rounds.roundEndedUnreported(s, 2, 'other round'), false);
    assert.equal(rounds.roundEndedUnreported(s, 1, 'x'.repeat(1_000)), true);
    assert.equal(s.roundEscalation?.reason.length, rounds.ESCALATION_REASON_CHARS_MAX);
    rounds.retryRound(s);
    assert.equal(s.roundEscalation?.retryRequested, true);
    s.roundEscalation = null;
    rounds.roundReported(s, { round: 1, members: [], potMinor: '0', payout: null, payoutAttempts: 0 });
    assert.equal(rounds.roundEndedUnreported(s, 1, 'failed after reporting'), false);
  });
});
