// Turns a pool's cadence into a Temporal Schedule spec: intervals stay intervals, weekly and monthly
// cadences become calendar entries at the given hour (UTC, on the minute).
import type { ScheduleSpec } from '@temporalio/client';
import type { Cadence } from '../domain/pool-config';
import { assertNever } from '../domain/pool-lifecycle';

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

export function scheduleSpecFor(cadence: Cadence): ScheduleSpec {
  switch (cadence.type) {
    case 'interval':
      return { intervals: [{ every: `${cadence.every} ${UNIT_NAMES[cadence.unit]}` }] };
    case 'weekly':
      return { calendars: [{ dayOfWeek: DAYS[cadence.dayOfWeek], hour: cadence.hourUtc, minute: 0, comment: `every ${cadence.dayOfWeek}` }] };
    case 'monthly':
      return { calendars: [{ dayOfMonth: cadence.dayOfMonth, hour: cadence.hourUtc, minute: 0, comment: `day ${cadence.dayOfMonth} of every month` }] };
    default:
      return assertNever(cadence);
  }
}
