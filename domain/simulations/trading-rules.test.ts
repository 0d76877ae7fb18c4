// The trading model's rules against the live evaluator: the model's own path function runs trades drawn
// from the trader's history, and the very same trades (the same draws from the path's stream) are
// replayed as fills through domain/assessments' account; for three rule packs (static, trailing
// end-of-day with a lock, trailing intraday with tolerance; hard and soft daily limits; consistency)
// every path must end the same way on the same day.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RulePackInput } from '../assessments/rule-pack';
import { customPack, Session } from '../../test/support/assessment-rules-kit';
import { assessmentModel, assessmentParams } from './assessment';
import { BlockAccumulator } from './statistics';
import { PathStream } from './stream';
import { compileRules, packRulesSchema, PhaseNotSimulableError } from './trading-rules';

type Rules = RulePackInput['phases'][number]['rules'];
const INITIAL = 10_000_000;
const DAY_MS = 86_400_000;
const START = Date.parse('2026-03-02T00:00:00.000Z');
const TRADES_PER_DAY = 4;
const HISTORY = [-150_000, -80_000, -40_000, 60_000, 90_000, 150_000, 250_000, -250_000, 30_000];
const PATHS = 150;
const iso = (ms: number) => new Date(ms).toISOString();

const PACKS: Record<string, Rules> = {
  'static, hard daily loss': [
    { type: 'profit-target', target: { kind: 'percent-of-initial', bps: 1_000 } },
    { type: 'daily-loss', limit: { kind: 'percent-of-initial', bps: 500 }, basis: 'equity', reference: 'previous-close-balance', severity: 'hard' },
    { type: 'max-loss', limit: { kind: 'percent-of-initial', bps: 1_000 }, mode: 'static', basis: 'equity', severity: 'hard' },
    { type: 'min-trading-days', days: 4 },
    { type: 'time-limit', days: 30 },
  ],
  'trailing end-of-day with lock, soft daily share of the day’s start, consistency': [
    { type: 'profit-target', target: { kind: 'percent-of-initial', bps: 800 } },
    { type: 'daily-loss', limit: { kind: 'percent-of-day-start-balance', bps: 400 }, basis: 'balance', reference: 'previous-close-balance', severity: 'soft' },
    {
      type: 'max-loss',
      limit: { kind: 'percent-of-initial', bps: 600 },
      mode: 'trailing-end-of-day',
      basis: 'balance',
      lockAtInitialBalance: true,
      severity: 'hard',
    },
    { type: 'consistency', bestDayShareBelowBps: 4_000 },
    { type: 'min-trading-days', days: 3 },
    { type: 'time-limit', days: 20 },
  ],
  'trailing intraday with tolerance, soft fixed daily loss': [
    { type: 'profit-target', target: { kind: 'amount', amountMinor: '600000' } },
    {
      type: 'daily-loss',
      limit: { kind: 'amount', amountMinor: '250000' },
      basis: 'equity',
      reference: 'start-of-day-higher-of-balance-equity',
      severity: 'soft',
      toleranceMinor: '100',
    },
    {
      type: 'max-loss',
      limit: { kind: 'percent-of-initial', bps: 500 },
      mode: 'trailing-intraday-equity',
      basis: 'equity',
      severity: 'hard',
      toleranceMinor: '100',
    },
    { type: 'time-limit', days: 15 },
  ],
};

for (const [name, rules] of Object.entries(PACKS)) {
  test(`same verdicts as the live evaluator: ${name}`, () => {
    const pack = customPack({ accountSizeMinor: String(INITIAL), rules });
    const params = assessmentParams.parse({
      initialBalanceMinor: INITIAL,
      tradesPerDay: TRADES_PER_DAY,
      rules: { rulePack: pack, phase: 0 },
      fromHere: { tradePnlMinor: HISTORY, balanceMinor: INITIAL, endOfDayHighMinor: INITIAL, highMinor: INITIAL, day: 0, tradingDays: 0 },
    });
    const days = compileRules(params.rules, INITIAL).timeLimitDays;
    const path = assessmentModel.pathFunction(params);
    const out = new BlockAccumulator(assessmentModel.layout(params));
    const stream = new PathStream(4_242);
    const draws = new PathStream(4_242);
    const seen = { pass: 0, fail: 0, timeout: 0 };

    for (let i = 0; i < PATHS; i++) {
      stream.startPath(i);
      path(stream, out);
      const model = out.eventFlags[0] ? 'pass' : out.eventFlags[1] ? 'fail' : 'timeout';

      // The same trades as fills: open and close one unit of X (1 currency unit = 100 minor units per point).
      draws.startPath(i);
      const session = new Session(pack, iso(START));
      let live: 'pass' | 'fail' | 'timeout' = 'timeout';
      let liveDay = 0;
      for (let day = 1; day <= days && live === 'timeout'; day++) {
        for (let t = 0; t < TRADES_PER_DAY; t++) {
          const pnl = HISTORY[draws.nextIndex(HISTORY.length)]!;
          const at = START + (day - 1) * DAY_MS + (t + 1) * 600_000;
          session.open(iso(at), `o${day}-${t}`, 'long', '1', '100000').close(iso(at + 1_000), `c${day}-${t}`, `o${day}-${t}`, '1', String(100_000 + pnl / 100));
          const status = session.state.status;
          if (status === 'passed' || status === 'failed') {
            live = status === 'passed' ? 'pass' : 'fail';
            liveDay = day;
            break;
          }
          if (status === 'paused') break;
        }
      }
      if (live === 'timeout') {
        session.closeDay(iso(START + days * DAY_MS));
        assert.equal(session.state.status, 'failed', `path ${i}: the live phase fails at its time limit`);
      }
      assert.equal(model, live, `path ${i}: the model says ${model}, the live evaluator ${live}`);
      if (model === 'pass') assert.equal(out.scalars[0], liveDay, `path ${i}: pass day`);
      seen[model]++;
    }
    assert.ok(seen.pass > 0 && seen.fail > 0, `both outcomes occur: ${JSON.stringify(seen)}`);
  });
}

test('a funded phase, or one without a time limit, is refused with a reason', () => {
  const funded = customPack({
    accountSizeMinor: String(INITIAL),
    rules: [{ type: 'max-loss', limit: { kind: 'percent-of-initial', bps: 1_000 }, mode: 'static', basis: 'equity', severity: 'hard' }],
  });
  assert.throws(() => compileRules(packRulesSchema.parse({ rulePack: funded }), INITIAL), PhaseNotSimulableError);
  const result = assessmentParams.safeParse({ initialBalanceMinor: INITIAL, tradesPerDay: 2, riskPerTradeMinor: 1_000, rules: { rulePack: funded } });
  assert.equal(result.success, false);
  assert.deepEqual(
    result.error!.issues.map((issue) => issue.path.join('.')),
    ['rules'],
  );
});
