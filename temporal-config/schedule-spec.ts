// Turns a pool's cadence into a Temporal Schedule spec: intervals stay intervals, weekly and monthly
// cadences become calendar entries at the given hour (UTC). Each pool fires at its own offset into the
// hour (or interval), derived from its ID, so that thousands of pools on the same cadence spread over
// SCHEDULE_JITTER_WINDOW_MS instead of all starting their rounds in the same minute.
import { createHash } from 'node:crypto';
import type { ScheduleSpec } from '@temporalio/client';
import type { Cadence } from '../domain/pools/pool-config';
import { assertNever } from '../domain/pools/pool-lifecycle';

/** A pool's rounds start at most this long after the cadence's nominal time (to the second). */
export const SCHEDULE_JITTER_WINDOW_MS = 30 * 60_000;

const UNIT_MS = { hours: 3_600_000, days: 86_400_000, weeks: 604_800_000 } as const;
const UNIT_NAMES = { hours: 'hours', days: 'days', weeks: 'weeks' } as const;
const DAYS = {
  monday: 'MONDAY',
  tuesday: 'TUESDAY',
  wednesday: 'WEDNESDAY',
  thursday: 'THURSDAY',
  friday: 'FRIDAY',
  saturday: 'SATURDAY',
  sunday: 'SUNDAY',
} as const;

/**
 * The pool's offset in whole seconds, uniform over [0, windowMs) and the same on every call, process
 * and version: a hash of the pool ID, never randomness, so re-creating a schedule keeps its time.
 */
export function scheduleJitterMs(poolId: string, windowMs: number = SCHEDULE_JITTER_WINDOW_MS): number {
  const seconds = Math.floor(windowMs / 1_000);
  if (seconds <= 1) return 0;
  const hash = createHash('sha256').update(`schedule-jitter:${poolId}`).digest();
  return (hash.readUInt32BE(0) % seconds) * 1_000;
}

export function scheduleSpecFor(cadence: Cadence, poolId: string): ScheduleSpec {
  switch (cadence.type) {
    case 'interval': {
      // Never more than a tenth of the interval, so hourly pools still run close to the hour.
      const everyMs = cadence.every * UNIT_MS[cadence.unit];
      const offsetMs = scheduleJitterMs(poolId, Math.min(SCHEDULE_JITTER_WINDOW_MS, everyMs / 10));
      return { intervals: [{ every: `${cadence.every} ${UNIT_NAMES[cadence.unit]}`, offset: offsetMs }] };
    }
    case 'weekly':
      return { calendars: [{ dayOfWeek: DAYS[cadence.dayOfWeek], hour: cadence.hourUtc, ...minuteAndSecond(poolId), comment: `every ${cadence.dayOfWeek}` }] };
    case 'monthly':
      return {
        calendars: [{ dayOfMonth: cadence.dayOfMonth, hour: cadence.hourUtc, ...minuteAndSecond(poolId), comment: `day ${cadence.dayOfMonth} of every month` }],
      };
    default:
      return assertNever(cadence);
  }
}

function minuteAndSecond(poolId: string): { minute: number; second: number } {
  const offsetS = scheduleJitterMs(poolId) / 1_000;
  return { minute: Math.floor(offsetS / 60), second: offsetS % 60 };
}
