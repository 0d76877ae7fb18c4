// Trading days: which day an instant belongs to, for a day that resets at a wall-clock time in a time
// zone, and when the next day begins. Pure functions of the instant, DST-correct through a small rule
// table (below) rather than the host's time-zone database, so a verdict never changes with Node's ICU.
import { assertNever } from '../pools/pool-lifecycle';

/** The zones rule packs may name. Each follows one daylight-saving rule, valid from 2007 on. */
export const TIME_ZONES = ['UTC', 'America/New_York', 'America/Chicago', 'Europe/London', 'Europe/Prague'] as const;
export type TimeZone = (typeof TIME_ZONES)[number];

/** Where a trading day ends and the next begins: "17:00" in America/New_York. */
export interface DayBoundary {
  timeZone: TimeZone;
  /** Local wall-clock time "HH:MM" at which a new trading day begins. */
  resetTime: string;
}

/** A trading day is named by the local date on which it begins ("2026-03-08"). */
export type DayKey = string;

/** Thrown for an instant before the rule table's validity or a malformed day key or reset time. */
export class TradingDayError extends Error {
  override name = 'TradingDayError';
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** The US rule dates from 2007; the table is not valid before it. */
const RULES_VALID_FROM_MS = Date.UTC(2007, 0, 1);

type DstRule = 'none' | 'us' | 'eu';
const ZONES: Record<TimeZone, { standardMinutes: number; rule: DstRule }> = {
  UTC: { standardMinutes: 0, rule: 'none' },
  'America/New_York': { standardMinutes: -300, rule: 'us' },
  'America/Chicago': { standardMinutes: -360, rule: 'us' },
  'Europe/London': { standardMinutes: 0, rule: 'eu' },
  'Europe/Prague': { standardMinutes: 60, rule: 'eu' },
};

/** The UTC midnight of the `n`th Sunday (n >= 1) of `month` (0-based), or of the last one when n is 0. */
function sundayUtc(year: number, month: number, n: number): number {
  if (n === 0) {
    const lastDay = Date.UTC(year, month + 1, 0);
    return lastDay - new Date(lastDay).getUTCDay() * DAY_MS;
  }
  const first = Date.UTC(year, month, 1);
  const toSunday = (7 - new Date(first).getUTCDay()) % 7;
  return first + (toSunday + 7 * (n - 1)) * DAY_MS;
}

/** The instants (UTC ms) daylight saving starts and ends in `year`, or undefined for a zone without it. */
function daylightSavingSpan(zone: TimeZone, year: number): { startMs: number; endMs: number } | undefined {
  const { standardMinutes, rule } = ZONES[zone];
  switch (rule) {
    case 'none':
      return undefined;
    case 'us': // second Sunday of March, 02:00 standard time, to first Sunday of November, 02:00 daylight time
      return {
        startMs: sundayUtc(year, 2, 2) + 2 * 3_600_000 - standardMinutes * MINUTE_MS,
        endMs: sundayUtc(year, 10, 1) + 2 * 3_600_000 - (standardMinutes + 60) * MINUTE_MS,
      };
    case 'eu': // last Sunday of March to last Sunday of October, both at 01:00 UTC
      return { startMs: sundayUtc(year, 2, 0) + 3_600_000, endMs: sundayUtc(year, 9, 0) + 3_600_000 };
    default:
      return assertNever(rule);
  }
}

/** The zone's offset from UTC, in minutes, at the instant `atMs`. */
export function utcOffsetMinutes(zone: TimeZone, atMs: number): number {
  if (!Number.isSafeInteger(atMs) || atMs < RULES_VALID_FROM_MS) throw new TradingDayError(`instant ${atMs} is outside the time-zone table (2007 on)`);
  const { standardMinutes } = ZONES[zone];
  const span = daylightSavingSpan(zone, new Date(atMs).getUTCFullYear());
  return span !== undefined && atMs >= span.startMs && atMs < span.endMs ? standardMinutes + 60 : standardMinutes;
}

function resetMinutes(resetTime: string): number {
  const match = /^([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(resetTime);
  if (match === null) throw new TradingDayError(`"${resetTime}" is not a time of day HH:MM`);
  return Number(match[1]) * 60 + Number(match[2]);
}

function dayKeyToUtcMidnight(key: DayKey): number {
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(key);
  const midnight = match === null ? NaN : Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (Number.isNaN(midnight) || new Date(midnight).toISOString().slice(0, 10) !== key) throw new TradingDayError(`"${key}" is not a date YYYY-MM-DD`);
  return midnight;
}

function utcMidnightToDayKey(midnightMs: number): DayKey {
  return new Date(midnightMs).toISOString().slice(0, 10);
}

export function addDays(key: DayKey, days: number): DayKey {
  return utcMidnightToDayKey(dayKeyToUtcMidnight(key) + days * DAY_MS);
}

/**
 * The instant trading day `key` begins: the first instant whose local wall-clock time is at or past
 * `key` + reset time. A reset time skipped by a spring-forward change begins the day at the change; one
 * repeated by a fall-back change begins it at its first occurrence.
 */
export function dayStartMs(boundary: DayBoundary, key: DayKey): number {
  const wallMs = dayKeyToUtcMidnight(key) + resetMinutes(boundary.resetTime) * MINUTE_MS;
  const { standardMinutes } = ZONES[boundary.timeZone];
  const candidates = [standardMinutes + 60, standardMinutes]
    .map((offset) => wallMs - offset * MINUTE_MS)
    .filter((instant) => utcOffsetMinutes(boundary.timeZone, instant) * MINUTE_MS === wallMs - instant);
  if (candidates.length > 0) return Math.min(...candidates);
  // The wall time falls in a spring-forward gap: the day begins at the change itself.
  const span = daylightSavingSpan(boundary.timeZone, new Date(wallMs).getUTCFullYear());
  if (span === undefined) throw new TradingDayError(`no local time ${key} ${boundary.resetTime} in ${boundary.timeZone}`);
  return span.startMs;
}

/** The trading day the instant `atMs` belongs to. */
export function tradingDayOf(boundary: DayBoundary, atMs: number): DayKey {
  const localMs = atMs + utcOffsetMinutes(boundary.timeZone, atMs) * MINUTE_MS;
  let key = utcMidnightToDayKey(Math.floor((localMs - resetMinutes(boundary.resetTime) * MINUTE_MS) / DAY_MS) * DAY_MS);
  // The wall-clock guess can be one day off inside a repeated or skipped hour; the start instants decide.
  if (dayStartMs(boundary, key) > atMs) key = addDays(key, -1);
  else if (dayStartMs(boundary, addDays(key, 1)) <= atMs) key = addDays(key, 1);
  return key;
}

// Every step asks whether its instant is still in the account's current day; the answer needs the
// day's end, which is remembered per boundary and day (a pure function of them) up to this many entries.
const DAY_END_MEMO_MAX = 4_096;
const dayEndMemo = new Map<string, number>();

/** The instant trading day `key` ends, which is when the next one begins. */
export function dayEndMs(boundary: DayBoundary, key: DayKey): number {
  const memoKey = `${boundary.timeZone}|${boundary.resetTime}|${key}`;
  const known = dayEndMemo.get(memoKey);
  if (known !== undefined) return known;
  const end = dayStartMs(boundary, addDays(key, 1));
  if (dayEndMemo.size >= DAY_END_MEMO_MAX) dayEndMemo.clear();
  dayEndMemo.set(memoKey, end);
  return end;
}

/** The instant the trading day after the one containing `atMs` begins: when a day-close timer fires. */
export function nextDayStartMs(boundary: DayBoundary, atMs: number): number {
  return dayStartMs(boundary, addDays(tradingDayOf(boundary, atMs), 1));
}
