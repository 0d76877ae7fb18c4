// Rule packs: the presets validate, malformed packs are refused with the problem named, and the pack
// lifecycle moves only draft -> active -> superseded.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PRESET_PACKS, presetPack } from './presets';
import { activationChanges, nextPackStatus, rulePackSchema, RulePackError, type RulePackInput } from './rule-pack';

const base = (): RulePackInput => structuredClone({ ...presetPack('two-step-100k') }) as RulePackInput;

function issues(input: unknown): string[] {
  const result = rulePackSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('rule pack schema', () => {
  test('the three presets are valid and stable under a JSON round trip', () => {
    assert.deepEqual(
      PRESET_PACKS.map((pack) => pack.tierId),
      ['two-step-100k', 'one-step-50k', 'futures-50k'],
    );
    for (const pack of PRESET_PACKS) assert.deepEqual(rulePackSchema.parse(JSON.parse(JSON.stringify(pack))), pack);
    const futures = presetPack('futures-50k');
    assert.deepEqual(futures.tradingDay, { timeZone: 'America/New_York', resetTime: '17:00' });
    assert.ok(futures.phases[0]!.rules.some((rule) => rule.type === 'max-loss' && rule.mode === 'trailing-intraday-equity'));
    assert.ok(futures.phases[0]!.rules.some((rule) => rule.type === 'consistency'));
  });

  test('refuses what a pack must not say, naming the field', () => {
    const cases: [string, (pack: RulePackInput) => void, RegExp][] = [
      [
        'unknown time zone',
        (p) => {
          (p.tradingDay as { timeZone: string }).timeZone = 'Mars/Olympus';
        },
        /tradingDay\.timeZone/,
      ],
      [
        'reset time 24:00',
        (p) => {
          p.tradingDay.resetTime = '24:00';
        },
        /tradingDay\.resetTime/,
      ],
      [
        'a float price',
        (p) => {
          (p as { priceMinor: unknown }).priceMinor = 540.5;
        },
        /priceMinor/,
      ],
      [
        'upper-case currency',
        (p) => {
          p.currency = 'USD';
        },
        /currency/,
      ],
      [
        'two daily-loss rules in a phase',
        (p) => {
          p.phases[0]!.rules.push(p.phases[0]!.rules[1]!);
        },
        /at most one rule of each type/,
      ],
      [
        'a challenge without a target',
        (p) => {
          p.phases[0]!.rules.shift();
        },
        /needs a profit target/,
      ],
      [
        'a day-start share on a maximum loss',
        (p) => {
          p.phases[0]!.rules[2] = {
            type: 'max-loss',
            limit: { kind: 'percent-of-day-start-balance', bps: 500 },
            mode: 'static',
            basis: 'equity',
            severity: 'hard',
          };
        },
        /daily loss only/,
      ],
      [
        'a limit of 0 bps',
        (p) => {
          p.phases[0]!.rules[1] = {
            type: 'daily-loss',
            limit: { kind: 'percent-of-initial', bps: 0 },
            basis: 'equity',
            reference: 'previous-close-balance',
            severity: 'hard',
          };
        },
        /limit\.bps/,
      ],
      [
        'an unknown rule field',
        (p) => {
          (p.phases[0]!.rules[0] as Record<string, unknown>).bonus = true;
        },
        /bonus/,
      ],
      [
        'a contract size in exponent form',
        (p) => {
          p.instruments[0]!.contractSize = '1e3';
        },
        /contractSize/,
      ],
      [
        'duplicate symbols',
        (p) => {
          p.instruments.push(p.instruments[0]!);
        },
        /unique/,
      ],
      [
        'no phases',
        (p) => {
          p.phases = [];
        },
        /phases/,
      ],
    ];
    for (const [name, mutate, expected] of cases) {
      const pack = base();
      mutate(pack);
      const found = issues(pack);
      assert.ok(
        found.some((issue) => expected.test(issue)),
        `${name}: ${JSON.stringify(found)}`,
      );
    }
  });
});

describe('pack lifecycle', () => {
  test('draft -> active -> superseded, and nothing else', () => {
    assert.equal(nextPackStatus('draft', 'activate'), 'active');
    assert.equal(nextPackStatus('active', 'supersede'), 'superseded');
    assert.equal(nextPackStatus('draft', 'supersede'), undefined);
    assert.equal(nextPackStatus('active', 'activate'), undefined);
    assert.equal(nextPackStatus('superseded', 'activate'), undefined);
  });

  test('activating a draft supersedes the tier’s active version', () => {
    const versions = [
      { version: 1, status: 'superseded' as const },
      { version: 2, status: 'active' as const },
      { version: 3, status: 'draft' as const },
    ];
    assert.deepEqual(activationChanges(versions, 3), [
      { version: 2, status: 'superseded' },
      { version: 3, status: 'active' },
    ]);
    assert.deepEqual(activationChanges([{ version: 1, status: 'draft' }], 1), [{ version: 1, status: 'active' }]);
    assert.throws(() => activationChanges(versions, 2), RulePackError);
    assert.throws(() => activationChanges(versions, 9), RulePackError);
  });
});
