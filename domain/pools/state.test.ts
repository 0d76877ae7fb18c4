// The pool's state object as it is read and carried: the view, the compact form across continue-as-new,
// the delta a change projects and how another holder of the view applies it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { poolConfigSchema, POOL_MEMBERS_MAX } from './pool-config';
import * as commands from './commands';
import * as rounds from './rounds';
import { GIVEN_ROUND_SHAPE } from './round-types';
import { applyPoolChange, carryState, compactMember, expandMember, initialPoolState, poolChange, poolView, restoreState, type PoolIdentity } from './state';

const config = poolConfigSchema.parse({
  kind: 'rotating',
  name: 'Circle',
  currency: 'usd',
  cadence: { type: 'monthly', dayOfMonth: 1, hourUtc: 9 },
  membersMin: 2,
  membersMax: POOL_MEMBERS_MAX,
  contributionMinor: 1_000,
});
const identity: PoolIdentity = { poolId: 'p1', managerId: 'manager-1', config };

function openPool(members: number) {
  const s = initialPoolState(config);
  s.status = 'open';
  for (let i = 0; i < members; i++) commands.join(s, { memberId: `member-${String(i).padStart(4, '0')}` });
  return s;
}

describe('pool state', () => {
  test('the view shows every member; the change shows only the rows given, with the summary', () => {
    const s = openPool(3);
    s.version = 7;
    const view = poolView(identity, s);
    assert.deepEqual([view.poolId, view.status, view.members.length, view.version], ['p1', 'open', 3, 7]);
    const change = poolChange(identity, s, [s.members[2]!]);
    assert.deepEqual(change.members.map(expandMember), [s.members[2]]);
    assert.equal(change.memberCount, 3);
    assert.equal('members' in change.summary, false);
    assert.equal(change.summary.version, 7);
  });

  test('compact members round-trip every field and status', () => {
    for (const status of ['active', 'suspended', 'expelled', 'left'] as const) {
      const member = {
        memberId: 'ada',
        status,
        joinSeq: 4,
        commitmentMinor: '900',
        paidInMinor: '12',
        arrearsMinor: '3',
        received: true,
        replacedMemberId: 'bo',
      };
      assert.deepEqual(expandMember(compactMember(member)), member);
    }
    assert.throws(() => expandMember(['ada', 9, 1, null, '0', '0', 0, null]), /unknown member status/);
  });

  test('the carried state restores exactly, at under half the size for a full pool', () => {
    const s = openPool(POOL_MEMBERS_MAX);
    const carried = carryState(s);
    assert.deepEqual(restoreState(JSON.parse(JSON.stringify(carried))), s);
    const full = JSON.stringify(s).length;
    const compact = JSON.stringify(carried).length;
    assert.ok(compact * 2 < full, `carried ${compact} bytes against ${full}`);
    // A join's change stays small whatever the pool's size.
    assert.ok(JSON.stringify(poolChange(identity, s, [s.members.at(-1)!])).length < 2_000);
  });
});

describe('the state carried across continue-as-new', () => {
  /** An active rotating pool of the most members, IDs of the longest length, its first round under way. */
  function poolMidRound() {
    const s = initialPoolState(config);
    s.status = 'open';
    for (let i = 0; i < POOL_MEMBERS_MAX; i++) commands.join(s, { memberId: `m${i}`.padEnd(64, 'x') });
    commands.activate(s, config, { draw: null, seed: 'seed' });
    const next = rounds.planContributionRound(s, config) as Extract<ReturnType<typeof rounds.planContributionRound>, { kind: 'start' }>;
    rounds.beginRound(s, config, 'p1', 'contribution', next.payout, next.dues, GIVEN_ROUND_SHAPE);
    return s;
  }

  test('carries the round under way by number, kind and shape only: its input and result are the round’s', () => {
    const s = poolMidRound();
    s.finishedRound = { round: 1, members: [], potMinor: '0', payout: null, payoutAttempts: 0 };
    const restored = restoreState(JSON.parse(JSON.stringify(carryState(s))));
    assert.deepEqual(restored.roundInProgress, { round: 1, kind: 'contribution', shape: GIVEN_ROUND_SHAPE });
    assert.equal(restored.finishedRound, null, 'the next run asks the round for its result');
    assert.deepEqual(restored.members, s.members);
    assert.deepEqual(restored.payoutOrder, s.payoutOrder);
  });

  test(`stays under half the payload bound at ${POOL_MEMBERS_MAX} members with the longest IDs, mid-round`, () => {
    const s = poolMidRound();
    const bytes = JSON.stringify(carryState(s)).length;
    assert.ok(bytes < 128 * 1024, `carried ${bytes} bytes`);
  });

  test('restores the form older runs carried: the payout order by ID, the round with its input', () => {
    const s = poolMidRound();
    const { members, ...rest } = s;
    const older = { ...rest, compactMembers: members.map(compactMember) };
    assert.deepEqual(restoreState(JSON.parse(JSON.stringify(older))), JSON.parse(JSON.stringify(s)));
  });
});

describe('applying a change to a view held elsewhere', () => {
  test('a newer change replaces the summary and its rows, and adds new members in join order', () => {
    const s = openPool(2);
    s.version = 2;
    const before = poolView(identity, structuredClone(s));
    commands.leave(s, 'member-0000');
    const added = commands.join(s, { memberId: 'newcomer' });
    s.version = 3;
    const after = applyPoolChange(before, poolChange(identity, s, [s.members[0]!, ...added]));
    assert.deepEqual(after, poolView(identity, s));
  });

  test('an older change adds rows the view lacks and changes nothing else', () => {
    const s = openPool(2);
    s.version = 5;
    const view = poolView(identity, structuredClone(s));
    const stale = structuredClone(s);
    stale.version = 4;
    stale.status = 'draft';
    stale.members[0]!.status = 'left';
    const extra = commands.join(stale, { memberId: 'late-join' });
    const applied = applyPoolChange(view, poolChange(identity, stale, [stale.members[0]!, ...extra]));
    assert.deepEqual([applied.status, applied.version, applied.members[0]!.status], ['open', 5, 'active']);
    assert.deepEqual(
      applied.members.map((m) => m.memberId),
      ['member-0000', 'member-0001', 'late-join'],
    );
  });

  test('with no view yet, the change becomes the view', () => {
    const s = openPool(1);
    s.version = 1;
    assert.deepEqual(applyPoolChange(null, poolChange(identity, s, s.members)), poolView(identity, s));
  });
});
