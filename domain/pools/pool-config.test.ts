// Pool configuration validation: sensible defaults, exact amounts, and refusals that name the field.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { poolConfigSchema } from './pool-config';
import { acceptsMembers, isFinal, nextStatus, POOL_STATUSES } from './pool-lifecycle';

const rotating = {
  kind: 'rotating',
  name: 'Family Equb',
  currency: 'usd',
  cadence: { type: 'monthly', dayOfMonth: 1, hourUtc: 9 },
  membersMin: 3,
  membersMax: 12,
  contributionMinor: 10_000,
};

const issues = (input: unknown) => {
  const result = poolConfigSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
};

describe('poolConfigSchema', () => {
  test('fills in defaults and carries amounts as canonical strings', () => {
    const config = poolConfigSchema.parse(rotating);
    assert.equal(config.kind, 'rotating');
    if (config.kind !== 'rotating') return;
    assert.equal(config.contributionMinor, '10000');
    assert.equal(config.payoutOrder, 'fixed');
    assert.equal(config.defaultPolicy, 'suspend');
    assert.equal(config.lateFeeMinor, '0');
    assert.deepEqual(config.dunningRetryHours, [24, 48]);
  });

  test('accepts amounts beyond 2^53 as strings, exactly', () => {
    const config = poolConfigSchema.parse({ ...rotating, contributionMinor: '9007199254740993' });
    assert.equal(config.kind === 'rotating' && config.contributionMinor, '9007199254740993');
  });

  test('refuses bad amounts, naming the field', () => {
    for (const bad of [-1, 0, 1.5, '1e5', '-5', '01', ' 5', '99999999999999999999', null]) {
      assert.deepEqual(issues({ ...rotating, contributionMinor: bad }), ['contributionMinor'], `contributionMinor ${String(bad)}`);
    }
  });

  test('refuses unknown fields, unknown currencies, bad cadences and inverted member bounds', () => {
    assert.deepEqual(issues({ ...rotating, surprise: 1 }), ['']);
    assert.deepEqual(issues({ ...rotating, currency: 'USD' }), ['currency']);
    assert.deepEqual(issues({ ...rotating, cadence: { type: 'monthly', dayOfMonth: 31, hourUtc: 9 } }), ['cadence.dayOfMonth']);
    assert.deepEqual(issues({ ...rotating, membersMin: 10, membersMax: 5 }), ['membersMin']);
    assert.deepEqual(issues({ ...rotating, membersMax: 1_001 }), ['membersMax']);
  });

  test('an investment pool has its own fields and refuses a rotating one', () => {
    const { contributionMinor: _unused, ...common } = rotating;
    const config = poolConfigSchema.parse({ ...common, kind: 'investment', managementFeeBps: 200 });
    assert.equal(config.kind === 'investment' && config.capitalCallBps, 2_500);
    assert.deepEqual(issues({ ...common, kind: 'investment', payoutOrder: 'bid' }), ['']);
  });
});

describe('pool lifecycle', () => {
  test('follows draft → open → active ⇄ paused → completed | cancelled', () => {
    assert.equal(nextStatus('draft', 'open'), 'open');
    assert.equal(nextStatus('open', 'activate'), 'active');
    assert.equal(nextStatus('active', 'pause'), 'paused');
    assert.equal(nextStatus('paused', 'resume'), 'active');
    assert.equal(nextStatus('active', 'complete'), 'completed');
    assert.equal(nextStatus('paused', 'cancel'), 'cancelled');
  });

  test('refuses every other move, and final states accept nothing', () => {
    assert.equal(nextStatus('open', 'pause'), undefined);
    assert.equal(nextStatus('paused', 'complete'), undefined);
    assert.equal(nextStatus('draft', 'activate'), undefined);
    for (const status of POOL_STATUSES) {
      if (isFinal(status))
        for (const command of ['open', 'activate', 'pause', 'resume', 'complete', 'cancel'] as const) assert.equal(nextStatus(status, command), undefined);
    }
    assert.deepEqual(POOL_STATUSES.filter(isFinal), ['completed', 'cancelled']);
    assert.deepEqual(POOL_STATUSES.filter(acceptsMembers), ['open']);
  });
});
