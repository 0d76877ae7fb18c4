// Leaderboard order: by return, then earlier to get there, then by id — and the Redis encoding (score,
// member) sorts exactly like the pure ranking, so a board rebuilt from the database reads the same.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { assessmentIdOfMember, leaderboardMember, rankLeaderboard, returnPpb, type LeaderboardEntry } from './leaderboard';

const entry = (assessmentId: string, balanceMinor: string, reachedAtMs: number, initialBalanceMinor = '1000000'): LeaderboardEntry => ({
  assessmentId,
  displayName: `trader ${assessmentId}`,
  initialBalanceMinor,
  balanceMinor,
  reachedAtMs,
});

describe('leaderboard', () => {
  test('orders by return across account sizes, ties by time, then id', () => {
    const ranked = rankLeaderboard([
      entry('a', '1100000', 50),
      entry('b', '5500000', 40, '5000000'), // +10 %, reached earlier than a
      entry('c', '1200000', 90),
      entry('d', '900000', 10),
      entry('e', '1100000', 50),
    ]);
    assert.deepEqual(
      ranked.map((row) => [row.rank, row.assessmentId]),
      [
        [1, 'c'],
        [2, 'b'],
        [3, 'e'],
        [4, 'a'],
        [5, 'd'],
      ],
    );
    assert.deepEqual(
      ranked.map((row) => row.returnPpb),
      [200_000_000, 100_000_000, 100_000_000, 100_000_000, -100_000_000],
    );
  });

  test('returns round toward negative infinity', () => {
    assert.equal(returnPpb({ initialBalanceMinor: '3', balanceMinor: '4' }), 333_333_333);
    assert.equal(returnPpb({ initialBalanceMinor: '3', balanceMinor: '2' }), -333_333_334);
  });

  test('sorting by (score, member) in reverse, as ZREVRANGE does, gives the pure order', () => {
    const entries = fc.uniqueArray(
      fc.record({
        assessmentId: fc.uuid(),
        displayName: fc.constant('x'),
        initialBalanceMinor: fc.constantFrom('1000000', '5000000'),
        balanceMinor: fc.integer({ min: 0, max: 10_000_000 }).map(String),
        reachedAtMs: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_100 }),
      }),
      { selector: (row) => row.assessmentId, maxLength: 60 },
    );
    fc.assert(
      fc.property(entries, (rows) => {
        const redis = rows
          .map((row) => ({ score: returnPpb(row), member: leaderboardMember(row) }))
          .sort((a, b) => (a.score !== b.score ? b.score - a.score : a.member === b.member ? 0 : a.member > b.member ? -1 : 1))
          .map((row) => assessmentIdOfMember(row.member));
        assert.deepEqual(
          redis,
          rankLeaderboard(rows).map((row) => row.assessmentId),
        );
        assert.deepEqual(rankLeaderboard([...rows].reverse()), rankLeaderboard(rows), 'input order does not matter');
      }),
    );
  });
});
