// Due times from cadences and the reminders ahead of them, and the "what happens next" of a failed
// payment: pure functions, checked without a stack.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { poolConfigSchema } from '../pools/pool-config';
import type { PoolView } from '../pools/pool-view';
import { attemptOf, paymentFailed } from './derive';
import { nextDueAtMs, remindersAhead } from './reminders';

const at = (iso: string) => Date.parse(iso);

describe('reminder timetable', () => {
  test('the next due time follows the cadence, strictly after the time given', () => {
    assert.equal(nextDueAtMs({ type: 'monthly', dayOfMonth: 1, hourUtc: 9 }, at('2026-01-15T00:00:00Z')), at('2026-02-01T09:00:00Z'));
    assert.equal(nextDueAtMs({ type: 'monthly', dayOfMonth: 1, hourUtc: 9 }, at('2026-02-01T09:00:00Z')), at('2026-03-01T09:00:00Z'));
    assert.equal(nextDueAtMs({ type: 'monthly', dayOfMonth: 28, hourUtc: 23 }, at('2026-12-29T00:00:00Z')), at('2027-01-28T23:00:00Z'));
    assert.equal(nextDueAtMs({ type: 'weekly', dayOfWeek: 'friday', hourUtc: 18 }, at('2026-11-30T12:00:00Z')), at('2026-12-04T18:00:00Z'));
    assert.equal(nextDueAtMs({ type: 'weekly', dayOfWeek: 'monday', hourUtc: 18 }, at('2026-11-30T12:00:00Z')), at('2026-11-30T18:00:00Z'));
    assert.equal(nextDueAtMs({ type: 'weekly', dayOfWeek: 'monday', hourUtc: 6 }, at('2026-11-30T12:00:00Z')), at('2026-12-07T06:00:00Z'));
    assert.equal(nextDueAtMs({ type: 'interval', every: 1, unit: 'days' }, at('2026-11-30T12:00:00Z')), at('2026-12-01T00:00:00Z'));
  });

  test('reminders still ahead, earliest first, each lead once', () => {
    const due = at('2026-02-01T09:00:00Z');
    assert.deepEqual(remindersAhead(due, [24, 72, 24], at('2026-01-01T00:00:00Z')), [
      { leadHours: 72, atMs: at('2026-01-29T09:00:00Z') },
      { leadHours: 24, atMs: at('2026-01-31T09:00:00Z') },
    ]);
    assert.deepEqual(
      remindersAhead(due, [72, 24], at('2026-01-30T00:00:00Z')),
      [{ leadHours: 24, atMs: at('2026-01-31T09:00:00Z') }],
      'a lead time already past is not sent late',
    );
  });

  test('a failed payment names the next retry while the grace period lasts, then the policy', () => {
    const config = poolConfigSchema.parse({
      kind: 'rotating',
      name: 'P',
      currency: 'usd',
      cadence: { type: 'monthly', dayOfMonth: 1, hourUtc: 9 },
      membersMin: 2,
      membersMax: 2,
      contributionMinor: 100,
      dunningRetryHours: [24, 48],
      gracePeriodHours: 60,
      lateFeeMinor: 5,
    });
    const view = { poolId: 'p', managerId: 'mgr', config } as unknown as PoolView;
    const start = at('2026-02-01T09:00:00Z');
    const failed = (purpose: string) =>
      paymentFailed(view, { round: 1, memberId: 'm', purpose, amountMinor: '100', failureCode: 'card_declined' }, start, start).data;
    assert.equal(attemptOf('dunning-2'), 2);
    assert.equal(failed('contribution').nextRetryAt, '2026-02-02T09:00:00.000Z');
    assert.equal(failed('dunning-1').nextRetryAt, '2026-02-03T09:00:00.000Z');
    assert.equal(failed('dunning-2').nextRetryAt, null);
    assert.equal(failed('contribution').graceEndsAt, '2026-02-03T21:00:00.000Z');
  });
});
