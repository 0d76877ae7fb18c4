// When the next round of a pool falls due, from its cadence, and when its reminders go out. The pool's
// Temporal Schedule fires on the same cadence (temporal-config/schedule-spec.ts): intervals aligned to
// the Unix epoch, weekly and monthly entries at the hour given, all in UTC.
import type { Cadence } from '../pools/pool-config';
import { assertNever } from '../pools/pool-lifecycle';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const UNIT_MS = { hours: HOUR_MS, days: DAY_MS, weeks: 7 * DAY_MS } as const;
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

/** Lead times a pool uses unless its manager sets others: three days and one day before the round. */
export const DEFAULT_REMINDER_LEAD_HOURS: readonly number[] = [72, 24];
/** A pool has at most this many reminders per round; bounds the reminder loop. */
export const REMINDER_LEADS_MAX = 5;
/** No reminder more than two weeks ahead: a weekly pool's would fall before the previous round. */
export const REMINDER_LEAD_HOURS_MAX = 14 * 24;

/** The first time strictly after `afterMs` at which the cadence makes a round due. */
export function nextDueAtMs(cadence: Cadence, afterMs: number): number {
  switch (cadence.type) {
    case 'interval': {
      const everyMs = cadence.every * UNIT_MS[cadence.unit];
      return (Math.floor(afterMs / everyMs) + 1) * everyMs;
    }
    case 'weekly': {
      const day = new Date(afterMs);
      const target = WEEKDAYS.indexOf(cadence.dayOfWeek);
      for (let offset = 0; offset <= 7; offset++) {
        const candidate = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + offset, cadence.hourUtc);
        if (new Date(candidate).getUTCDay() === target && candidate > afterMs) return candidate;
      }
      throw new Error('unreachable: a weekday recurs within eight days');
    }
    case 'monthly': {
      const day = new Date(afterMs);
      for (let offset = 0; offset <= 1; offset++) {
        const candidate = Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + offset, cadence.dayOfMonth, cadence.hourUtc);
        if (candidate > afterMs) return candidate;
      }
      throw new Error('unreachable: a monthly day recurs within two months');
    }
    default:
      return assertNever(cadence);
  }
}

/** The reminders of the round due at `dueAtMs` still to come after `nowMs`, earliest first. */
export function remindersAhead(dueAtMs: number, leadHours: readonly number[], nowMs: number): Array<{ leadHours: number; atMs: number }> {
  return [...new Set(leadHours)]
    .slice(0, REMINDER_LEADS_MAX)
    .map((lead) => ({ leadHours: lead, atMs: dueAtMs - lead * HOUR_MS }))
    .filter((reminder) => reminder.atMs > nowMs)
    .sort((a, b) => a.atMs - b.atMs);
}
