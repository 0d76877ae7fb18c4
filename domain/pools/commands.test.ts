// The rules of every pool command, without a stack: each check's accept and reject paths, and what each
// reducer changes and reports as changed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { drawCommitment, drawnPayoutOrder, revealPayoutDraw, verifyPayoutDraw } from './payout-draw';
import { poolConfigSchema, type PoolConfig } from './pool-config';
import * as commands from './commands';
import { parseCommand, PoolRejection, joinRequestSchema, type Refusal } from './requests';
import { initialPoolState, type PoolState } from './state';

const rotating = (overrides: Record<string, unknown> = {}): PoolConfig =>
  poolConfigSchema.parse({
    kind: 'rotating',
    name: 'Circle',
    currency: 'usd',
    cadence: { type: 'monthly', dayOfMonth: 1, hourUtc: 9 },
    membersMin: 2,
    membersMax: 3,
    contributionMinor: 1_000,
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
  });

/** A pool of `config` that is open with `members` joined (and active if asked). */
function pool(config: PoolConfig, members: string[], status: 'open' | 'active' = 'open'): PoolState {
  const s = initialPoolState(config);
  s.status = 'open';
  for (const memberId of members) commands.join(s, { memberId, ...(config.kind === 'investment' ? { commitmentMinor: '100000' } : {}) });
  if (status === 'active') commands.activate(s, config, { draw: null, seed: 'seed' });
  return s;
}

const typeOf = (refusal: Refusal | null) => refusal?.type ?? null;

describe('joining', () => {
  test('an open pool takes a new member, who is reported as the one changed row', () => {
    const config = rotating();
    const s = pool(config, ['ada']);
    assert.equal(commands.checkJoin(s, config, { memberId: 'bo' }), null);
    const changed = commands.join(s, { memberId: 'bo' });
    assert.deepEqual(
      changed.map((m) => [m.memberId, m.joinSeq, m.status, m.commitmentMinor]),
      [['bo', 2, 'active', null]],
    );
    assert.equal(s.members.length, 2);
  });

  test('a draft pool accepts a join to wait for opening; after the wait, only an open pool adds the member', () => {
    const config = rotating();
    const s = initialPoolState(config);
    assert.equal(commands.checkJoin(s, config, { memberId: 'ada' }), null);
    assert.equal(typeOf(commands.checkJoinOpen(s)), PoolRejection.invalidState);
    s.status = 'open';
    assert.equal(commands.checkJoinOpen(s), null);
  });

  test('refuses a duplicate, a full pool, a wrong state and a commitment that does not fit the kind', () => {
    const config = rotating();
    const s = pool(config, ['ada', 'bo', 'cy']);
    assert.equal(typeOf(commands.checkJoin(s, config, { memberId: 'ada' })), PoolRejection.alreadyMember);
    assert.equal(typeOf(commands.checkJoin(s, config, { memberId: 'dee' })), PoolRejection.full);
    assert.equal(typeOf(commands.checkJoin(pool(config, ['ada']), config, { memberId: 'bo', commitmentMinor: '5' })), PoolRejection.invalidRequest);
    assert.equal(typeOf(commands.checkJoin(pool(investment(), ['ada']), investment(), { memberId: 'bo' })), PoolRejection.invalidRequest);
    assert.equal(typeOf(commands.checkJoin(pool(config, ['ada', 'bo'], 'active'), config, { memberId: 'cy' })), PoolRejection.invalidState);
  });

  test('a member already in is told AlreadyMember even once the pool stopped taking members, so their agreement stands', () => {
    const config = rotating();
    assert.equal(typeOf(commands.checkJoin(pool(config, ['ada', 'bo'], 'active'), config, { memberId: 'ada' })), PoolRejection.alreadyMember);
  });

  test('a malformed request is refused by its schema, naming the field', () => {
    const parsed = parseCommand(joinRequestSchema, { memberId: 'not valid!' });
    assert.equal(parsed.ok, false);
    if (!parsed.ok) assert.match(parsed.refusal.message, /^memberId: /);
  });
});

describe('leaving and replacing', () => {
  test('an open pool lets a member leave, freeing the place', () => {
    const config = rotating();
    const s = pool(config, ['ada', 'bo', 'cy']);
    assert.equal(commands.checkLeave(s, 'cy'), null);
    assert.deepEqual(
      commands.leave(s, 'cy').map((m) => [m.memberId, m.status]),
      [['cy', 'left']],
    );
    assert.equal(commands.checkJoin(s, config, { memberId: 'dee' }), null);
    assert.equal(typeOf(commands.checkLeave(s, 'cy')), PoolRejection.notMember);
  });

  test('an active pool refuses leaving: members leave by being replaced', () => {
    const s = pool(rotating(), ['ada', 'bo'], 'active');
    assert.equal(typeOf(commands.checkLeave(s, 'ada')), PoolRejection.invalidState);
  });

  test('a replacement takes the outgoing member’s turn, standing and arrears; both rows are reported', () => {
    const config = rotating();
    const s = pool(config, ['ada', 'bo'], 'active');
    s.members[0]!.received = true;
    s.members[0]!.arrearsMinor = '500';
    s.members[0]!.paidInMinor = '1000';
    assert.equal(commands.checkReplace(s, { outgoingMemberId: 'ada', incomingMemberId: 'zed' }), null);
    const changed = commands.replace(s, { outgoingMemberId: 'ada', incomingMemberId: 'zed' });
    assert.deepEqual(
      changed.map((m) => [m.memberId, m.status]),
      [
        ['ada', 'left'],
        ['zed', 'active'],
      ],
    );
    assert.deepEqual(s.payoutOrder, ['zed', 'bo']);
    const zed = s.members.find((m) => m.memberId === 'zed')!;
    assert.deepEqual([zed.received, zed.arrearsMinor, zed.paidInMinor, zed.replacedMemberId, zed.joinSeq], [true, '500', '0', 'ada', 1]);
  });

  test('refuses a replacement outside an active or paused pool, of a stranger, by a former member, or mid-round', () => {
    const config = rotating();
    assert.equal(typeOf(commands.checkReplace(pool(config, ['ada', 'bo']), { outgoingMemberId: 'ada', incomingMemberId: 'zed' })), PoolRejection.invalidState);
    const s = pool(config, ['ada', 'bo'], 'active');
    assert.equal(typeOf(commands.checkReplace(s, { outgoingMemberId: 'stranger', incomingMemberId: 'zed' })), PoolRejection.notMember);
    assert.equal(typeOf(commands.checkReplace(s, { outgoingMemberId: 'ada', incomingMemberId: 'bo' })), PoolRejection.alreadyMember);
    s.roundInProgress = { round: 1, kind: 'contribution' };
    assert.equal(typeOf(commands.checkReplace(s, { outgoingMemberId: 'ada', incomingMemberId: 'zed' })), PoolRejection.roundInProgress);
    s.roundInProgress = null;
    s.bidding = { round: 1, closesAtMs: 0, bids: {} };
    assert.equal(typeOf(commands.checkReplace(s, { outgoingMemberId: 'ada', incomingMemberId: 'zed' })), PoolRejection.roundInProgress);
  });
});

describe('the lifecycle', () => {
  test('activation needs membersMin members, then fixes the rounds and the payout order', () => {
    const config = rotating({ membersMin: 3 });
    const s = pool(config, ['ada', 'bo']);
    assert.match(commands.checkActivate(s, config)!.message, /at least 3 members/);
    commands.join(s, { memberId: 'cy' });
    assert.equal(commands.checkActivate(s, config), null);
    assert.deepEqual(commands.activate(s, config, { draw: null, seed: 'seed' }), []);
    assert.deepEqual([s.status, s.roundsPlanned, s.payoutOrder], ['active', 3, ['ada', 'bo', 'cy']]);
    assert.equal(typeOf(commands.checkActivate(s, config)), PoolRejection.invalidState);
  });

  test('a random order is drawn from the seed: the same seed, the same order; a bid pool has none', () => {
    const config = rotating({ payoutOrder: 'random', membersMax: 12 });
    const ids = Array.from({ length: 12 }, (_, i) => `m${i}`);
    const a = pool(config, ids, 'active');
    const b = pool(config, ids, 'active');
    assert.deepEqual(a.payoutOrder, b.payoutOrder);
    assert.deepEqual([...a.payoutOrder!].sort(), [...ids].sort());
    assert.equal(pool(rotating({ payoutOrder: 'bid' }), ['ada', 'bo'], 'active').payoutOrder, null);
  });

  test('a revealed draw seeds the random order and is kept for anyone to verify', () => {
    const config = rotating({ payoutOrder: 'random', membersMax: 12 });
    const ids = Array.from({ length: 12 }, (_, i) => `m${i}`);
    const s = pool(config, ids);
    const draw = revealPayoutDraw({ commitment: drawCommitment('secret'), secret: 'secret', poolId: 'p1', memberIds: ids });
    commands.activate(s, config, { draw });
    assert.deepEqual(s.payoutOrder, drawnPayoutOrder(draw));
    assert.equal(s.payoutDraw, draw);
    assert.equal(verifyPayoutDraw(draw, s.payoutOrder!), true);
  });

  test('pause, resume and cancel follow the state machine and refuse elsewhere', () => {
    const config = rotating();
    const s = pool(config, ['ada', 'bo']);
    assert.equal(typeOf(commands.checkPause(s)), PoolRejection.invalidState);
    assert.equal(typeOf(commands.checkResume(s)), PoolRejection.invalidState);
    commands.activate(s, config, { draw: null, seed: 'seed' });
    assert.equal(commands.checkPause(s), null);
    commands.pause(s);
    assert.equal(s.status, 'paused');
    assert.equal(typeOf(commands.checkPause(s)), PoolRejection.invalidState);
    assert.equal(commands.checkResume(s), null);
    commands.resume(s);
    assert.equal(s.status, 'active');
    s.roundsRequested = 1;
    s.distributionsRequested = ['5'];
    assert.equal(commands.checkCancel(s), null);
    commands.cancel(s);
    assert.deepEqual([s.status, s.roundsRequested, s.distributionsRequested], ['cancelled', 0, []]);
    assert.equal(typeOf(commands.checkCancel(s)), PoolRejection.invalidState);
  });

  test('a reducer called without its check throws rather than corrupting the state', () => {
    assert.throws(() => commands.resume(pool(rotating(), ['ada'])), /check was skipped/);
  });
});

describe('bids and distributions', () => {
  test('an eligible member bids below the pot during bidding; a later bid replaces the earlier one', () => {
    const config = rotating({ payoutOrder: 'bid' });
    const s = pool(config, ['ada', 'bo'], 'active');
    s.bidding = { round: 1, closesAtMs: 0, bids: {} };
    assert.equal(commands.checkBid(s, config, { memberId: 'ada', round: 1, discountMinor: '100' }), null);
    commands.placeBid(s, { memberId: 'ada', round: 1, discountMinor: '100' });
    commands.placeBid(s, { memberId: 'ada', round: 1, discountMinor: '150' });
    assert.deepEqual(s.bidding.bids, { ada: '150' });
  });

  test('refuses a bid outside bidding, from a member in arrears or already paid, or not below the pot', () => {
    const config = rotating({ payoutOrder: 'bid' });
    const s = pool(config, ['ada', 'bo', 'cy'], 'active');
    assert.equal(typeOf(commands.checkBid(s, config, { memberId: 'ada', round: 1, discountMinor: '1' })), PoolRejection.invalidState);
    s.bidding = { round: 1, closesAtMs: 0, bids: {} };
    assert.equal(typeOf(commands.checkBid(s, config, { memberId: 'ada', round: 2, discountMinor: '1' })), PoolRejection.invalidState);
    s.members[1]!.arrearsMinor = '1000';
    s.members[2]!.received = true;
    assert.equal(typeOf(commands.checkBid(s, config, { memberId: 'bo', round: 1, discountMinor: '1' })), PoolRejection.notEligible);
    assert.equal(typeOf(commands.checkBid(s, config, { memberId: 'cy', round: 1, discountMinor: '1' })), PoolRejection.notEligible);
    // The pot is 3 × 1,000.
    assert.equal(typeOf(commands.checkBid(s, config, { memberId: 'ada', round: 1, discountMinor: '3000' })), PoolRejection.invalidRequest);
    assert.equal(commands.checkBid(s, config, { memberId: 'ada', round: 1, discountMinor: '2999' }), null);
  });

  test('an active investment pool distributes up to what its pot holds, queued requests included', () => {
    const config = investment();
    const s = pool(config, ['ada', 'bo'], 'active');
    s.potMinor = '1000';
    assert.equal(commands.checkDistribute(s, config, { amountMinor: '600' }), null);
    commands.distribute(s, { amountMinor: '600' });
    assert.equal(typeOf(commands.checkDistribute(s, config, { amountMinor: '401' })), PoolRejection.invalidRequest);
    assert.equal(commands.checkDistribute(s, config, { amountMinor: '400' }), null);
    commands.pause(s);
    assert.equal(typeOf(commands.checkDistribute(s, config, { amountMinor: '1' })), PoolRejection.invalidState);
    const circle = rotating();
    assert.equal(typeOf(commands.checkDistribute(pool(circle, ['ada', 'bo'], 'active'), circle, { amountMinor: '1' })), PoolRejection.invalidState);
  });
});

describe('round requests', () => {
  test('a trigger for the next round is accepted once; a repeat of its ID changes nothing', () => {
    const s = pool(rotating(), ['ada', 'bo'], 'active');
    assert.deepEqual(commands.triggerRound(s, { requestId: 'r1' }), { requestId: 'r1', round: 1, accepted: true, reason: null });
    assert.equal(s.roundsRequested, 1);
    assert.equal(commands.triggerRound(s, { requestId: 'r1' }), null);
    assert.equal(commands.recordedTrigger(s, 'r1')?.accepted, true);
  });

  test('refuses a round already requested, running or done, one ahead of the next, or in a pool that is not active', () => {
    const s = pool(rotating(), ['ada', 'bo'], 'active');
    commands.triggerRound(s, { requestId: 'r1' });
    assert.match(commands.triggerRound(s, { requestId: 'r2' })!.reason!, /already under way/);
    assert.match(commands.triggerRound(s, { requestId: 'r3', round: 1 })!.reason!, /already running or done/);
    assert.match(commands.triggerRound(s, { requestId: 'r4', round: 3 })!.reason!, /the next round is 1, not 3/);
    commands.pause(s);
    const refused = commands.triggerRound(s, { requestId: 'r5' })!;
    assert.deepEqual([refused.accepted, refused.reason], [false, 'a paused pool runs no rounds']);
  });

  test('keeps the last ROUND_TRIGGERS_KEPT_MAX verdicts', () => {
    const s = pool(rotating(), ['ada', 'bo'], 'active');
    for (let i = 0; i < commands.ROUND_TRIGGERS_KEPT_MAX + 5; i++) commands.triggerRound(s, { requestId: `r${i}` });
    assert.equal(s.roundTriggers!.length, commands.ROUND_TRIGGERS_KEPT_MAX);
    assert.equal(commands.recordedTrigger(s, 'r0'), undefined);
  });

  test('schedule firings keep at most one request, and only in an active pool', () => {
    const s = pool(rotating(), ['ada', 'bo']);
    commands.roundDue(s);
    assert.equal(s.roundsRequested, 0);
    commands.activate(s, rotating(), { draw: null, seed: 'seed' });
    commands.roundDue(s);
    commands.roundDue(s);
    assert.equal(s.roundsRequested, 1);
  });
});
