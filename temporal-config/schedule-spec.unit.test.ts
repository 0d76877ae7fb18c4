// Schedule jitter: each pool's offset comes from its ID alone, stays inside the window, and spreads
// many pools of one cadence over the whole window rather than one minute.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SCHEDULE_JITTER_WINDOW_MS, scheduleJitterMs, scheduleSpecFor } from './schedule-spec';

const POOLS = 10_000;
const poolIds = Array.from({ length: POOLS }, (_, i) => `pool-${i.toString(36)}-${(i * 7919).toString(16)}`);

describe('schedule jitter', () => {
  test('is the same for a pool on every call, and within the window to the second', () => {
    for (const poolId of poolIds.slice(0, 100)) {
      const jitterMs = scheduleJitterMs(poolId);
      assert.equal(scheduleJitterMs(poolId), jitterMs);
      assert.ok(jitterMs >= 0 && jitterMs < SCHEDULE_JITTER_WINDOW_MS);
      assert.equal(jitterMs % 1_000, 0);
    }
    assert.equal(scheduleJitterMs('any', 500), 0, 'a window under two seconds means no jitter');
  });

  test('10,000 monthly pools at the same hour spread over the window: no minute holds more than twice its share', () => {
    const perMinute = new Map<number, number>();
    for (const poolId of poolIds) {
      const [calendar] = scheduleSpecFor({ type: 'monthly', dayOfMonth: 1, hourUtc: 9 }, poolId).calendars!;
      assert.equal(calendar!.hour, 9);
      assert.equal(calendar!.dayOfMonth, 1);
      const minute = calendar!.minute as number;
      assert.ok((calendar!.second as number) >= 0 && (calendar!.second as number) < 60);
      perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
    }
    const minutes = SCHEDULE_JITTER_WINDOW_MS / 60_000;
    assert.equal(perMinute.size, minutes, 'every minute of the window is used');
    assert.ok(Math.max(...perMinute.values()) <= (2 * POOLS) / minutes, `busiest minute: ${Math.max(...perMinute.values())} pools`);
  });

  test('weekly calendars get the same offset; intervals get at most a tenth of their period', () => {
    const poolId = poolIds[42]!;
    const jitterS = scheduleJitterMs(poolId) / 1_000;
    const [weekly] = scheduleSpecFor({ type: 'weekly', dayOfWeek: 'friday', hourUtc: 17 }, poolId).calendars!;
    assert.deepEqual([weekly!.minute, weekly!.second], [Math.floor(jitterS / 60), jitterS % 60]);
    for (const poolId of poolIds.slice(0, 200)) {
      const [hourly] = scheduleSpecFor({ type: 'interval', every: 1, unit: 'hours' }, poolId).intervals!;
      assert.ok((hourly!.offset as number) < 360_000, 'an hourly pool runs within six minutes of the hour');
      const [weeklyInterval] = scheduleSpecFor({ type: 'interval', every: 2, unit: 'weeks' }, poolId).intervals!;
      assert.equal(weeklyInterval!.offset, scheduleJitterMs(poolId));
    }
  });
});
