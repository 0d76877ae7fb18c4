// Trading days: the rule table agrees with the host's time-zone database over many instants, and the
// boundaries behave across spring-forward and fall-back changes, including reset times inside them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { addDays, dayStartMs, nextDayStartMs, TIME_ZONES, tradingDayOf, TradingDayError, utcOffsetMinutes, type TimeZone } from './trading-day';

/** The offset according to Intl (tests only: the domain code must not depend on the host's ICU data). */
function intlOffsetMinutes(zone: TimeZone, atMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(atMs);
  const get = (type: string) => Number(parts.find((part) => part.type === type)!.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((local - Math.floor(atMs / 1000) * 1000) / 60_000);
}

describe('utcOffsetMinutes', () => {
  test('agrees with the time-zone database for every zone from 2007 to 2037', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TIME_ZONES), fc.integer({ min: Date.UTC(2007, 0, 1), max: Date.UTC(2037, 11, 31) }), (zone, atMs) => {
        assert.equal(utcOffsetMinutes(zone, atMs), intlOffsetMinutes(zone, atMs), `${zone} at ${new Date(atMs).toISOString()}`);
      }),
      { numRuns: 5_000 },
    );
  });

  test('switches on the exact instants of the 2026 changes', () => {
    assert.equal(utcOffsetMinutes('America/New_York', Date.parse('2026-03-08T06:59:59Z')), -300);
    assert.equal(utcOffsetMinutes('America/New_York', Date.parse('2026-03-08T07:00:00Z')), -240);
    assert.equal(utcOffsetMinutes('America/New_York', Date.parse('2026-11-01T05:59:59Z')), -240);
    assert.equal(utcOffsetMinutes('America/New_York', Date.parse('2026-11-01T06:00:00Z')), -300);
    assert.equal(utcOffsetMinutes('Europe/Prague', Date.parse('2026-03-29T00:59:59Z')), 60);
    assert.equal(utcOffsetMinutes('Europe/Prague', Date.parse('2026-03-29T01:00:00Z')), 120);
    assert.equal(utcOffsetMinutes('Europe/Prague', Date.parse('2026-10-25T01:00:00Z')), 60);
  });

  test('refuses instants before the table is valid', () => {
    assert.throws(() => utcOffsetMinutes('UTC', Date.parse('2006-12-31T23:59:59Z')), TradingDayError);
  });
});

describe('tradingDayOf / dayStartMs', () => {
  const ny5pm = { timeZone: 'America/New_York', resetTime: '17:00' } as const;
  const pragueMidnight = { timeZone: 'Europe/Prague', resetTime: '00:00' } as const;

  test('a 5 pm New York day starts at 22:00 UTC in winter and 21:00 UTC in summer', () => {
    assert.equal(dayStartMs(ny5pm, '2026-03-06'), Date.parse('2026-03-06T22:00:00Z'));
    assert.equal(dayStartMs(ny5pm, '2026-03-08'), Date.parse('2026-03-08T21:00:00Z'));
    assert.equal(tradingDayOf(ny5pm, Date.parse('2026-03-09T21:30:00Z')), '2026-03-09');
    assert.equal(tradingDayOf(ny5pm, Date.parse('2026-03-09T20:59:59Z')), '2026-03-08');
  });

  test('midnight CE(S)T: the spring day is 23 hours long and the autumn day 25', () => {
    const spring = dayStartMs(pragueMidnight, '2026-03-30') - dayStartMs(pragueMidnight, '2026-03-29');
    const autumn = dayStartMs(pragueMidnight, '2026-10-26') - dayStartMs(pragueMidnight, '2026-10-25');
    assert.equal(spring, 23 * 3_600_000);
    assert.equal(autumn, 25 * 3_600_000);
    assert.equal(tradingDayOf(pragueMidnight, Date.parse('2026-10-25T22:30:00Z')), '2026-10-25', '23:30 CET');
    assert.equal(tradingDayOf(pragueMidnight, Date.parse('2026-10-25T23:00:00Z')), '2026-10-26');
  });

  test('a reset time skipped by spring-forward starts the day at the change; a repeated one at its first occurrence', () => {
    const skipped = { timeZone: 'America/New_York', resetTime: '02:30' } as const;
    assert.equal(dayStartMs(skipped, '2026-03-08'), Date.parse('2026-03-08T07:00:00Z'));
    const repeated = { timeZone: 'America/New_York', resetTime: '01:30' } as const;
    assert.equal(dayStartMs(repeated, '2026-11-01'), Date.parse('2026-11-01T05:30:00Z'));
    // The second 01:30 (06:30 UTC) stays inside the day that began at the first.
    assert.equal(tradingDayOf(repeated, Date.parse('2026-11-01T06:45:00Z')), '2026-11-01');
  });

  test('every instant lies in its day: start <= instant < next start, for any zone and reset time', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TIME_ZONES),
        fc.integer({ min: 0, max: 23 }),
        fc.constantFrom(0, 15, 30, 45),
        fc.integer({ min: Date.UTC(2008, 0, 1), max: Date.UTC(2036, 0, 1) }),
        (timeZone, hour, minute, atMs) => {
          const boundary = { timeZone, resetTime: `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}` };
          const day = tradingDayOf(boundary, atMs);
          assert.ok(dayStartMs(boundary, day) <= atMs);
          assert.ok(atMs < dayStartMs(boundary, addDays(day, 1)));
          assert.equal(nextDayStartMs(boundary, atMs), dayStartMs(boundary, addDays(day, 1)));
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
