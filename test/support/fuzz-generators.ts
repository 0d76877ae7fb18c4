// Generators for the API fuzz test (test/api-fuzz.test.ts): JSON with raw tokens JSON.stringify cannot
// write, values that are never valid for a field, and pool bodies made invalid by one to three mutations.
import fc from 'fast-check';
import { MINOR_MAX } from '../../domain/core/money';

// ---------------------------------------------------------------------------------------------------
// JSON with raw tokens: numbers JSON.stringify cannot write (1e400, 2^60), keys it would drop (__proto__),
// and repeated keys, so bodies are built as entry lists and encoded by hand.
// ---------------------------------------------------------------------------------------------------

class Raw {
  constructor(readonly text: string) {}
}
export type Entries = Array<[string, unknown]>;
export class Obj {
  constructor(readonly entries: Entries) {}
}

export function encode(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Obj) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${encode(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(encode).join(',')}]`;
  if (value !== null && typeof value === 'object') return encode(new Obj(Object.entries(value)));
  return JSON.stringify(value) ?? 'null';
}

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

// ---------------------------------------------------------------------------------------------------
// Value generators
// ---------------------------------------------------------------------------------------------------

const INJECTION = [
  "' OR 1=1 --",
  "'; DROP TABLE pools; --",
  '" OR ""="',
  '1; SELECT pg_sleep(5)',
  '$1',
  '%s%s%s%n',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2f',
  '/dev/null',
  '\u0000',
  'a\u0000b',
  '\u202Eusd',
  'ｕｓｄ',
  'usd\u200B',
  '💰',
  '\uD800',
  '{{7*7}}',
  '${7*7}',
  '__proto__',
  'constructor',
  '{"$gt": ""}',
  'null',
  'NaN',
  '\r\nX-Injected: 1',
  '   ',
  '',
];
export const injection = fc.constantFrom(...INJECTION);
export const wrongType = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { minKeys: 1, maxKeys: 3 }).map((d) => new Obj(Object.entries(d))),
);
const fraction = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x));
const unsafeInteger = fc.bigInt({ min: 2n ** 53n, max: 2n ** 90n }).map((n) => new Raw(n.toString()));
export const notAString = fc.oneof(wrongType, fc.integer(), fraction);
const notANumber = fc.oneof(wrongType, fc.string({ maxLength: 8 }), fc.constantFrom('5', '2', '24', '1e2'));

const MINOR_TEXT = /^(0|[1-9][0-9]{0,18})$/;
const isMinorText = (s: string) => MINOR_TEXT.test(s) && BigInt(s) <= MINOR_MAX;

/** Never a valid amount in minor units (zero included only when zero is invalid too). */
export const invalidAmount = (zeroInvalid: boolean) =>
  fc.oneof(
    fc.integer({ min: -1e9, max: -1 }),
    fraction,
    unsafeInteger,
    fc.constantFrom(...['1e400', '-1e400', '9007199254740993', '1e21', '123456789012345678901234567890', '-0.5', '0.1', '1.5', '-1'].map((t) => new Raw(t))),
    fc.constantFrom(
      '-5',
      '1.5',
      '1e3',
      '1E3',
      '0x10',
      '007',
      ' 5',
      '5 ',
      '+5',
      '1_000',
      '1,000',
      '١٢٣',
      '１２３',
      'NaN',
      'Infinity',
      '-0',
      '99999999999999999999',
      '9223372036854775808',
      '18446744073709551616',
    ),
    fc.string().filter((s) => !isMinorText(s)),
    injection,
    wrongType,
    ...(zeroInvalid ? [fc.constantFrom<unknown>(0, '0')] : []),
  );

const invalidInt = (min: number, max: number) =>
  fc.oneof(fc.integer({ min: min - 1_000, max: min - 1 }), fc.integer({ min: max + 1, max: max + 100_000 }), fraction, unsafeInteger, notANumber);

export const invalidEnum = (values: readonly string[]) =>
  fc.oneof(
    fc.string().filter((s) => !values.includes(s)),
    injection.filter((s) => !values.includes(s)),
    fc.constantFrom(...values.map((v) => v.toUpperCase()), ...values.map((v) => ` ${v}`)),
    notAString,
  );

export const tooLong = (max: number) => fc.integer({ min: max + 1, max: max * 4 }).map((n) => 'x'.repeat(n));

/** Keys not in `known`, including the ones that trip prototype handling. */
export const unknownKey = (known: readonly string[]) =>
  fc
    .oneof(
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '$where', 'admin', 'poolId', 'managerId', 'status', ''),
      fc.string({ maxLength: 12 }),
    )
    .filter((k) => !known.includes(k));

/** A header value fetch accepts as is (no surrounding spaces, which Headers would trim, no controls). */
export const headerSafe = (maxLength = 40) =>
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength }).filter((s) => /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(s));

// ---------------------------------------------------------------------------------------------------
// Bodies: a valid base, then one to three mutations, each of which alone makes the body invalid.
// ---------------------------------------------------------------------------------------------------

export type Mutation = { name: string; apply: (entries: Entries) => Entries };
export const setTo = (key: string, value: unknown): Mutation => ({
  name: `set ${key}=${encode(value).slice(0, 40)}`,
  apply: (e) => [...e.filter(([k]) => k !== key), [key, value]],
});
export const remove = (key: string): Mutation => ({ name: `delete ${key}`, apply: (e) => e.filter(([k]) => k !== key) });
export const addKey = (key: string, value: unknown): Mutation => ({ name: `add ${JSON.stringify(key)}`, apply: (e) => [...e, [key, value]] });

export function mutated(base: Entries, mutations: fc.Arbitrary<Mutation>): fc.Arbitrary<{ body: string; mutations: string[] }> {
  return fc.array(mutations, { minLength: 1, maxLength: 3 }).map((list) => ({
    body: encode(new Obj(list.reduce((entries, m) => m.apply(entries), base))),
    mutations: list.map((m) => m.name),
  }));
}

export const ROTATING: Entries = [
  ['kind', 'rotating'],
  ['name', 'Fuzz pool'],
  ['currency', 'usd'],
  ['cadence', { type: 'interval', every: 1, unit: 'days' }],
  ['membersMin', 2],
  ['membersMax', 5],
  ['contributionMinor', '10000'],
];
const INVESTMENT: Entries = [
  ['kind', 'investment'],
  ['name', 'Fuzz fund'],
  ['currency', 'eur'],
  ['cadence', { type: 'monthly', dayOfMonth: 1, hourUtc: 9 }],
  ['membersMin', 2],
  ['membersMax', 10],
  ['capitalCallBps', 2500],
];
const COMMON_KEYS = [
  'kind',
  'name',
  'currency',
  'cadence',
  'membersMin',
  'membersMax',
  'gracePeriodHours',
  'lateFeeMinor',
  'dunningRetryHours',
  'defaultPolicy',
  'platformFeeBps',
];
const ROTATING_KEYS = [...COMMON_KEYS, 'contributionMinor', 'payoutOrder', 'bidWindowHours'];
const INVESTMENT_KEYS = [...COMMON_KEYS, 'capitalCallBps', 'managementFeeBps'];
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

const invalidCadence = fc.oneof(
  fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant([])),
  invalidEnum(['interval', 'weekly', 'monthly']).map((type) => ({ type })),
  invalidInt(1, 366).map((every) => ({ type: 'interval', every, unit: 'days' })),
  invalidEnum(['hours', 'days', 'weeks']).map((unit) => ({ type: 'interval', every: 1, unit })),
  invalidEnum(DAYS).map((dayOfWeek) => ({ type: 'weekly', dayOfWeek, hourUtc: 9 })),
  invalidInt(0, 23).map((hourUtc) => ({ type: 'weekly', dayOfWeek: 'monday', hourUtc })),
  invalidInt(1, 28).map((dayOfMonth) => ({ type: 'monthly', dayOfMonth, hourUtc: 9 })),
  invalidInt(0, 23).map((hourUtc) => ({ type: 'monthly', dayOfMonth: 1, hourUtc })),
  unknownKey(['type', 'every', 'unit']).map(
    (key) =>
      new Obj([
        ['type', 'interval'],
        ['every', 1],
        ['unit', 'days'],
        [key, 1],
      ]),
  ),
  fc.constant({ type: 'interval', every: 1 }),
);

const commonMutations = (known: string[], required: string[]) => [
  invalidEnum(['rotating', 'investment']).map((v) => setTo('kind', v)),
  fc.oneof(fc.constantFrom('', '   ', '\t\n'), tooLong(120), notAString).map((v) => setTo('name', v)),
  fc.oneof(invalidEnum(['usd', 'eur', 'gbp', 'jpy']), fc.constantFrom('USD', 'us', 'usdd', 'xyz', 'u$d')).map((v) => setTo('currency', v)),
  invalidCadence.map((v) => setTo('cadence', v)),
  invalidInt(2, 1_000).map((v) => setTo('membersMin', v)),
  invalidInt(2, 1_000).map((v) => setTo('membersMax', v)),
  fc
    .integer({ min: 3, max: 1_000 })
    .chain((min) => fc.integer({ min: 2, max: min - 1 }).map((max) => ({ min, max })))
    .map(({ min, max }) => ({
      name: `membersMin ${min} > membersMax ${max}`,
      apply: (e: Entries) => setTo('membersMax', max).apply(setTo('membersMin', min).apply(e)),
    })),
  invalidInt(0, 720).map((v) => setTo('gracePeriodHours', v)),
  invalidAmount(false).map((v) => setTo('lateFeeMinor', v)),
  fc
    .oneof(fc.constant([0]), fc.constant([721]), fc.constant([1, 2, 3, 4, 5, 6]), fc.constant([1.5]), fc.constant([null]), fc.constant('24'), fc.constant({}))
    .map((v) => setTo('dunningRetryHours', v)),
  invalidEnum(['cover-from-reserve', 'suspend', 'expel']).map((v) => setTo('defaultPolicy', v)),
  invalidInt(0, 2_000).map((v) => setTo('platformFeeBps', v)),
  fc.constantFrom(...required).map(remove),
  fc.tuple(unknownKey(known), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => addKey(k, v)),
];

const rotatingMutations = fc.oneof(
  ...commonMutations(ROTATING_KEYS, ['kind', 'name', 'currency', 'cadence', 'membersMin', 'membersMax', 'contributionMinor']),
  invalidAmount(true).map((v) => setTo('contributionMinor', v)),
  invalidEnum(['fixed', 'random', 'bid']).map((v) => setTo('payoutOrder', v)),
  invalidInt(1, 336).map((v) => setTo('bidWindowHours', v)),
  fc.constantFrom('capitalCallBps', 'managementFeeBps').map((k) => addKey(k, 100)),
);
const investmentMutations = fc.oneof(
  ...commonMutations(INVESTMENT_KEYS, ['kind', 'name', 'currency', 'cadence', 'membersMin', 'membersMax']),
  invalidInt(1, 10_000).map((v) => setTo('capitalCallBps', v)),
  invalidInt(0, 1_000).map((v) => setTo('managementFeeBps', v)),
  fc.constantFrom('contributionMinor', 'payoutOrder', 'bidWindowHours').map((k) => addKey(k, k === 'contributionMinor' ? '100' : 1)),
);
export const invalidPoolConfig = fc.oneof(mutated(ROTATING, rotatingMutations), mutated(INVESTMENT, investmentMutations));

export const validConfigText = fc.constantFrom(encode(new Obj(ROTATING)), encode(new Obj(INVESTMENT)));
/** Text that is not JSON at all. */
export const badJson = fc.oneof(
  validConfigText.chain((t) => fc.integer({ min: 0, max: t.length - 1 }).map((i) => t.slice(0, i))),
  validConfigText.chain((t) => fc.constantFrom('x', '}', ',', ']', '{}', ' {').map((s) => t + s)),
  fc.constantFrom(
    "{'kind':'rotating'}",
    '{kind:"rotating"}',
    '{"a":1,}',
    '[1,2,]',
    'NaN',
    'undefined',
    '{"a":NaN}',
    '{"a":Infinity}',
    '{"a":01}',
    '{"a":.5}',
    '{"a":+1}',
    '{"a":0x10}',
    '/* c */{}',
    '{"a":"\\x41"}',
    '{"a":"unterminated}',
    '"\\ud800',
    '\u0000',
  ),
  fc.string({ maxLength: 60 }).filter((s) => !parses(s)),
);
/** JSON that parses but is no object of the expected shape. */
export const notAnObject = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.integer({ min: 100, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 1, max: 2_000 }).map((n) => encode(new Obj(Array.from({ length: n }, (_, i) => [`k${i}`, i] as [string, unknown])))),
);
export const NOT_JSON_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  'text/json',
  'application/xml',
  'json',
];
