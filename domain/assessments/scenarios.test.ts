// The scenario table: worked examples published by real prop-trading programs, restated in our own
// numbers and replayed through the evaluator. Each row names the program and the page it comes from;
// the figures asserted are the ones the page publishes (or follow from them by its stated formula).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFill } from './account';
import { priceMarketOrder } from './orders';
import { customPack, Session } from '../../test/support/assessment-rules-kit';

interface Scenario {
  program: string;
  source: string;
  example: string;
  run: () => void;
}

const FTMO_DAILY = 'FTMO Academy, "Maximum Daily Loss" — https://academy.ftmo.com/lesson/maximum-daily-loss';
const FTMO_MAX = 'FTMO Academy, "Maximum Loss" — https://academy.ftmo.com/?p=47';
const FTMO_ONE_STEP = 'FTMO, "Maximum Loss Limit" (1-Step) — https://ftmo.com/au/?p=1671';
const FTMO_DAYS = 'FTMO Academy, "Minimum Trading Days" — https://academy.ftmo.com/lesson/minimum-trading-days/';

const prague = { timeZone: 'Europe/Prague', resetTime: '00:00' } as const;
const newYork5pm = { timeZone: 'America/New_York', resetTime: '17:00' } as const;

const scenarios: Scenario[] = [
  {
    program: 'FTMO 2-Step',
    source: FTMO_DAILY,
    example: 'a $200,000 account that has lost $8,000 today may lose $2,000 more',
    run() {
      const pack = customPack({
        accountSizeMinor: '20000000',
        tradingDay: prague,
        rules: [
          { type: 'daily-loss', limit: { kind: 'percent-of-initial', bps: 500 }, basis: 'equity', reference: 'previous-close-balance', severity: 'hard' },
        ],
      });
      const session = new Session(pack, '2026-06-01T06:00:00Z')
        .open('2026-06-01T07:00:00Z', 'a', 'long', '1', '10000')
        .close('2026-06-01T09:00:00Z', 'a-close', 'a', '1', '2000');
      const live = session.evaluation().live;
      assert.equal(live.todayPermittedLossMinor, '200000');
      assert.equal(live.dailyFloorMinor, '19000000');
      assert.equal(session.state.status, 'active');
    },
  },
  {
    program: 'FTMO 2-Step',
    source: FTMO_DAILY,
    example:
      '+$4,000 closed on Monday leaves $14,000 of permitted loss; a $13,000 floating loss is within it until midnight CE(S)T, then breaks the reset limit',
    run() {
      const pack = customPack({
        accountSizeMinor: '20000000',
        tradingDay: prague,
        rules: [
          { type: 'daily-loss', limit: { kind: 'percent-of-initial', bps: 500 }, basis: 'equity', reference: 'previous-close-balance', severity: 'hard' },
        ],
      });
      // Monday 1 June 2026 in Prague is CEST (UTC+2): midnight is 22:00 UTC.
      const session = new Session(pack, '2026-06-01T06:00:00Z')
        .open('2026-06-01T07:00:00Z', 'a', 'long', '1', '1000')
        .close('2026-06-01T08:00:00Z', 'a-close', 'a', '1', '5000');
      assert.equal(session.evaluation().live.todayPermittedLossMinor, '1400000');
      session.open('2026-06-01T10:00:00Z', 'b', 'long', '1', '20000').tick('2026-06-01T21:59:59Z', '7000');
      assert.equal(session.state.equityMinor, '19100000');
      assert.equal(session.state.status, 'active', 'a $13,000 floating loss is inside the $14,000 permitted on Monday');
      assert.equal(session.evaluation().live.todayPermittedLossMinor, '100000');
      // Midnight CE(S)T: no trade and no price move, only the reset.
      session.closeDay('2026-06-01T22:00:00Z');
      assert.equal(session.state.status, 'failed');
      const [violation] = session.violations();
      assert.ok(violation);
      assert.equal(violation.rule, 'daily-loss');
      assert.equal(violation.day, '2026-06-02');
      assert.equal(violation.referenceMinor, '20400000', "Monday's closing balance");
      assert.equal(violation.threshold, '19400000');
      assert.equal(violation.measured, '19100000');
      assert.match(session.evaluation().violations[0]!.explanation, /equity fell to 191,000\.00 USD .* below today's floor of 194,000\.00 USD/);
    },
  },
  {
    program: 'FTMO 2-Step',
    source: FTMO_MAX,
    example: 'balance $92,000 with a floating loss of $2,001 breaks the $90,000 equity floor of a $100,000 account',
    run() {
      const pack = customPack({
        accountSizeMinor: '10000000',
        tradingDay: prague,
        rules: [{ type: 'max-loss', limit: { kind: 'percent-of-initial', bps: 1_000 }, mode: 'static', basis: 'equity', severity: 'hard' }],
      });
      const session = new Session(pack, '2026-06-01T06:00:00Z')
        .open('2026-06-01T07:00:00Z', 'a', 'long', '1', '10000')
        .close('2026-06-01T08:00:00Z', 'a-close', 'a', '1', '2000')
        .open('2026-06-02T07:00:00Z', 'b', 'long', '1', '5000')
        .tick('2026-06-02T08:00:00Z', '3000');
      assert.equal(session.state.balanceMinor, '9200000');
      assert.equal(session.state.status, 'active', 'exactly $90,000 of equity is not below the floor');
      session.tick('2026-06-02T08:01:00Z', '2999');
      assert.equal(session.state.status, 'failed');
      assert.deepEqual([session.violations()[0]?.measured, session.violations()[0]?.threshold], ['8999900', '9000000']);
    },
  },
  {
    program: 'FTMO 1-Step',
    source: FTMO_ONE_STEP,
    example: 'trailing end-of-day limit: $90,000 on day 1, $94,000 after a $104,000 close, still $94,000 after a $103,000 close',
    run() {
      const rules = (mode: 'static' | 'trailing-end-of-day') => [
        { type: 'max-loss' as const, limit: { kind: 'percent-of-initial' as const, bps: 1_000 }, mode, basis: 'equity' as const, severity: 'hard' as const },
      ];
      const floors = (mode: 'static' | 'trailing-end-of-day') => {
        const session = new Session(customPack({ accountSizeMinor: '10000000', tradingDay: prague, rules: rules(mode) }), '2026-06-01T06:00:00Z');
        const seen = [session.evaluation().live.maxLossFloorMinor];
        session.open('2026-06-01T07:00:00Z', 'a', 'long', '1', '1000').close('2026-06-01T08:00:00Z', 'a-x', 'a', '1', '5000').closeDay('2026-06-01T22:00:00Z');
        seen.push(session.evaluation().live.maxLossFloorMinor);
        session.open('2026-06-02T07:00:00Z', 'b', 'long', '1', '5000').close('2026-06-02T08:00:00Z', 'b-x', 'b', '1', '4000').closeDay('2026-06-02T22:00:00Z');
        seen.push(session.evaluation().live.maxLossFloorMinor);
        return seen;
      };
      assert.deepEqual(floors('trailing-end-of-day'), ['9000000', '9400000', '9400000']);
      // The same days under a static limit (FTMO 2-Step) keep the floor at $90,000.
      assert.deepEqual(floors('static'), ['9000000', '9000000', '9000000']);
    },
  },
  {
    program: 'Topstep Trading Combine',
    source:
      'Topstep Help Center, "What is the Maximum Loss Limit?" (mirrored at https://jljejxiy.com/article/what-is-the-maximum-loss-limit-topstep-help-center/1870)',
    example: '$50K, $2,000 trailing from the end-of-day balance high, stopping at the starting balance: $48,500, $48,500, then $50,000 for good',
    run() {
      const pack = customPack({
        accountSizeMinor: '5000000',
        tradingDay: { timeZone: 'America/Chicago', resetTime: '17:00' },
        rules: [
          {
            type: 'max-loss',
            limit: { kind: 'amount', amountMinor: '200000' },
            mode: 'trailing-end-of-day',
            basis: 'equity',
            lockAtInitialBalance: true,
            severity: 'hard',
          },
        ],
      });
      const session = new Session(pack, '2026-06-01T14:00:00Z');
      const day = (date: string, pnl: number) =>
        session
          .open(`${date}T15:00:00Z`, `${date}-o`, 'long', '1', '10000')
          .close(`${date}T16:00:00Z`, `${date}-c`, `${date}-o`, '1', String(10000 + pnl))
          .closeDay(`${date}T22:00:00Z`);
      day('2026-06-01', 500);
      assert.equal(session.evaluation().live.maxLossFloorMinor, '4850000');
      day('2026-06-02', -500);
      assert.equal(session.state.balanceMinor, '5000000');
      assert.equal(session.evaluation().live.maxLossFloorMinor, '4850000');
      day('2026-06-03', 2500);
      assert.equal(session.evaluation().live.maxLossFloorMinor, '5000000');
      day('2026-06-04', 1000);
      assert.equal(session.evaluation().live.maxLossFloorMinor, '5000000', 'the floor no longer moves once it reaches the starting balance');
    },
  },
  {
    program: 'Apex Trader Funding 50K',
    source:
      'Apex Trader Funding, Funded Account Agreement, plan table "50K: initial balance $50,000, minimum balance before trail $47,500" (https://pastebin.com/Wqbz2pkG); trailing from the peak including unrealised profit, locking at the starting balance + $100 (Puravida Edge prop-firm-rules dataset, https://huggingface.co/datasets/puravidaedge/prop-firm-rules)',
    example: 'an unrealised peak of $51,000 raises the threshold to $48,500 for good; equity of $48,499 fails; a $52,600 peak locks it at $50,100',
    run() {
      const rules = (mode: 'trailing-intraday-equity' | 'trailing-end-of-day') => [
        {
          type: 'max-loss' as const,
          limit: { kind: 'amount' as const, amountMinor: '250000' },
          mode,
          basis: 'equity' as const,
          lockAtInitialBalance: true,
          lockOffsetMinor: '10000',
          severity: 'hard' as const,
        },
      ];
      const pack = customPack({ accountSizeMinor: '5000000', tradingDay: newYork5pm, rules: rules('trailing-intraday-equity') });
      const session = new Session(pack, '2026-06-01T13:00:00Z').open('2026-06-01T13:30:00Z', 'a', 'long', '10', '1000').tick('2026-06-01T14:00:00Z', '1100');
      assert.equal(session.evaluation().live.maxLossFloorMinor, '4850000');
      session.tick('2026-06-01T14:30:00Z', '1000');
      assert.equal(session.evaluation().live.maxLossFloorMinor, '4850000', 'the threshold never comes back down');
      assert.equal(session.state.status, 'active');
      session.tick('2026-06-01T15:00:00Z', '849.9');
      assert.equal(session.state.status, 'failed', 'the price alone, with no trade, breaks the threshold');
      assert.equal(session.violations()[0]?.measured, '4849900');

      const locking = new Session(pack, '2026-06-01T13:00:00Z').open('2026-06-01T13:30:00Z', 'a', 'long', '10', '1000').tick('2026-06-01T14:00:00Z', '1260');
      assert.equal(locking.evaluation().live.maxLossFloorMinor, '5010000');
      locking.tick('2026-06-01T14:10:00Z', '1300');
      assert.equal(locking.evaluation().live.maxLossFloorMinor, '5010000');

      // Static versus trailing: an end-of-day trail ignores the intraday peak of unrealised profit.
      const eod = new Session(customPack({ accountSizeMinor: '5000000', tradingDay: newYork5pm, rules: rules('trailing-end-of-day') }), '2026-06-01T13:00:00Z')
        .open('2026-06-01T13:30:00Z', 'a', 'long', '10', '1000')
        .tick('2026-06-01T14:00:00Z', '1100')
        .tick('2026-06-01T15:00:00Z', '849.9');
      assert.equal(eod.evaluation().live.maxLossFloorMinor, '4750000');
      assert.equal(eod.state.status, 'active');
    },
  },
  {
    program: 'Summit Strike standard challenge',
    source:
      'Summit Strike help, "How does the daily DD work (standard challenge)" — https://summitstrike.crunch.help/en/account-rules/how-does-the-daily-dd-work-standard-challenge',
    example:
      'at 5 pm New York the floor resets to the higher of balance and equity less 5% of the balance: $97,000 after +$2,000 floating, $95,000 after -$2,000, $98,325 for balance $103,500 / equity $101,000',
    run() {
      const pack = customPack({
        accountSizeMinor: '10000000',
        tradingDay: newYork5pm,
        rules: [
          {
            type: 'daily-loss',
            limit: { kind: 'percent-of-day-start-balance', bps: 500 },
            basis: 'equity',
            reference: 'start-of-day-higher-of-balance-equity',
            severity: 'hard',
          },
        ],
      });
      const floorAfterReset = (build: (session: Session) => Session) => {
        // 5 pm in New York on Friday 5 June 2026 is 21:00 UTC (EDT).
        const session = build(new Session(pack, '2026-06-05T13:00:00Z')).closeDay('2026-06-05T21:00:00Z');
        assert.equal(session.state.today.day, '2026-06-05');
        return session.evaluation().live.dailyFloorMinor;
      };
      assert.equal(
        floorAfterReset((s) => s.open('2026-06-05T14:00:00Z', 'a', 'long', '1', '10000').tick('2026-06-05T20:00:00Z', '12000')),
        '9700000',
      );
      assert.equal(
        floorAfterReset((s) => s.open('2026-06-05T14:00:00Z', 'a', 'long', '1', '10000').tick('2026-06-05T20:00:00Z', '8000')),
        '9500000',
      );
      assert.equal(
        floorAfterReset((s) =>
          s
            .open('2026-06-05T14:00:00Z', 'a', 'long', '1', '10000')
            .close('2026-06-05T15:00:00Z', 'a-x', 'a', '1', '13500')
            .open('2026-06-05T16:00:00Z', 'b', 'long', '1', '10000')
            .tick('2026-06-05T20:00:00Z', '7500'),
        ),
        '9832500',
      );
    },
  },
  {
    program: 'Summit Strike standard challenge, across a DST change',
    source: 'Summit Strike help (above): the day resets at 5 pm EST, i.e. New York time, which is 22:00 UTC in winter and 21:00 UTC from Sunday 8 March 2026',
    example:
      'a +$2,000 day ending Monday 9 March: at 21:30 UTC (17:30 EDT) the new day floor is $97,000, so equity of $96,999 fails; a fixed UTC-5 clock would still say 16:30 and keep the $95,000 floor',
    run() {
      const pack = customPack({
        accountSizeMinor: '10000000',
        tradingDay: newYork5pm,
        rules: [
          {
            type: 'daily-loss',
            limit: { kind: 'percent-of-day-start-balance', bps: 500 },
            basis: 'equity',
            reference: 'start-of-day-higher-of-balance-equity',
            severity: 'hard',
          },
        ],
      });
      const session = new Session(pack, '2026-03-09T14:00:00Z').open('2026-03-09T14:30:00Z', 'a', 'long', '1', '10000').tick('2026-03-09T20:59:00Z', '12000');
      assert.equal(session.state.today.day, '2026-03-08', 'the day that began at 17:00 EDT on Sunday');
      session.tick('2026-03-09T21:30:00Z', '6999');
      assert.equal(session.state.today.day, '2026-03-09');
      assert.equal(session.state.status, 'failed');
      assert.deepEqual([session.violations()[0]?.referenceMinor, session.violations()[0]?.threshold], ['10200000', '9700000']);
    },
  },
  {
    program: 'Sieg Fund 2-step prudent challenge',
    source:
      'Sieg Fund FAQ, "How do you calculate the 5% Daily Loss Limit in 2 step prudent challenge?" — https://siegfund.com/tools/faq/question/how-do-you-calculate-the-5-daily-loss-limit-in-2-step-prudent-challenge',
    example: "the previous day's 5 pm balance is the reference: +$6,000 floating leaves the floor at $95,000; a $105,000 balance gives $99,750",
    run() {
      const pack = customPack({
        accountSizeMinor: '10000000',
        tradingDay: newYork5pm,
        rules: [
          {
            type: 'daily-loss',
            limit: { kind: 'percent-of-day-start-balance', bps: 500 },
            basis: 'equity',
            reference: 'previous-close-balance',
            severity: 'hard',
          },
        ],
      });
      const floating = new Session(pack, '2026-06-05T13:00:00Z')
        .open('2026-06-05T14:00:00Z', 'a', 'long', '1', '10000')
        .tick('2026-06-05T20:00:00Z', '16000')
        .closeDay('2026-06-05T21:00:00Z');
      assert.equal(floating.evaluation().live.dailyFloorMinor, '9500000');
      const banked = new Session(pack, '2026-06-05T13:00:00Z')
        .open('2026-06-05T14:00:00Z', 'a', 'long', '1', '10000')
        .close('2026-06-05T15:00:00Z', 'a-x', 'a', '1', '15000')
        .closeDay('2026-06-05T21:00:00Z');
      assert.equal(banked.evaluation().live.dailyFloorMinor, '9975000');
    },
  },
  {
    program: 'FTMO, across a DST change',
    source: `${FTMO_DAILY} ("recalculated every midnight CE(S)T")`,
    example:
      'on Sunday 29 March 2026 Prague moves to CEST: Monday begins at 22:00 UTC, so a $1,000 Sunday profit raises the floor from 22:00 UTC, not from 23:00',
    run() {
      const pack = customPack({
        accountSizeMinor: '10000000',
        tradingDay: prague,
        rules: [
          { type: 'daily-loss', limit: { kind: 'percent-of-initial', bps: 500 }, basis: 'equity', reference: 'previous-close-balance', severity: 'hard' },
        ],
      });
      const session = new Session(pack, '2026-03-29T08:00:00Z')
        .open('2026-03-29T09:00:00Z', 'a', 'long', '1', '1000')
        .close('2026-03-29T10:00:00Z', 'a-x', 'a', '1', '2000');
      assert.equal(session.evaluation().live.dailyFloorMinor, '9500000');
      session.closeDay('2026-03-29T22:30:00Z');
      assert.equal(session.state.today.day, '2026-03-30');
      assert.equal(session.evaluation().live.dailyFloorMinor, '9600000');
    },
  },
  {
    program: 'FTMO 2-Step',
    source: FTMO_DAYS,
    example: 'a position held over several days is one trading day; the profit target alone does not pass the phase before 4 days with a new position each',
    run() {
      const rules = (countsWhen: { kind: 'position-opened' } | { kind: 'any-fill' }) => [
        { type: 'profit-target' as const, target: { kind: 'percent-of-initial' as const, bps: 1_000 } },
        { type: 'min-trading-days' as const, days: 4, countsWhen },
      ];
      const run = (countsWhen: { kind: 'position-opened' } | { kind: 'any-fill' }) => {
        const session = new Session(customPack({ accountSizeMinor: '10000000', tradingDay: prague, rules: rules(countsWhen) }), '2026-06-01T06:00:00Z')
          .open('2026-06-01T07:00:00Z', 'held', 'long', '1', '1000')
          .tick('2026-06-02T07:00:00Z', '1500')
          .close('2026-06-03T07:00:00Z', 'held-x', 'held', '1', '12000');
        const afterHeld = { status: session.state.status, days: session.evaluation().objectives.find((o) => o.rule === 'min-trading-days')?.current };
        for (const date of ['2026-06-04', '2026-06-05', '2026-06-08']) {
          if (session.state.status !== 'active') break;
          session.open(`${date}T07:00:00Z`, `${date}-o`, 'long', '1', '1000').close(`${date}T08:00:00Z`, `${date}-c`, `${date}-o`, '1', '1001');
        }
        return { afterHeld, final: session.state.status, days: session.evaluation().objectives.find((o) => o.rule === 'min-trading-days')?.current };
      };
      const opened = run({ kind: 'position-opened' });
      assert.deepEqual(opened.afterHeld, { status: 'active', days: '1' }, 'the target is met, but three calendar days of one position are one trading day');
      assert.equal(opened.final, 'passed');
      assert.equal(opened.days, '4');
      // Counting any fill instead makes the closing day count too, so the fourth day comes earlier.
      const anyFill = run({ kind: 'any-fill' });
      assert.equal(anyFill.afterHeld.days, '2');
      assert.deepEqual([anyFill.final, anyFill.days], ['passed', '4']);
    },
  },
  {
    program: 'Take Capital',
    source:
      'Take Capital help, "What are the risk management rules? Stop loss rules?" — https://intercom.help/take-capital-for-traders/en/articles/10416166-what-are-the-risk-management-rules-stop-loss-rules',
    example: 'on $10,000, a stop that risks $200 (2%) is allowed, one that risks $300 is a violation, and a trade without a stop-loss is a violation',
    run() {
      const pack = customPack({ accountSizeMinor: '1000000', rules: [{ type: 'risk-per-trade', maxBps: 200, severity: 'soft' }] });
      const session = new Session(pack, '2026-06-01T06:00:00Z').tick('2026-06-01T07:00:00Z', '1000');
      const order = (stopLoss?: string) =>
        priceMarketOrder(session.state, pack, {
          orderId: 'o',
          atMs: Date.parse('2026-06-01T07:01:00Z'),
          symbol: 'X',
          side: 'long',
          quantity: '1',
          ...(stopLoss === undefined ? {} : { stopLoss }),
        });
      assert.equal(order('800').accepted, true);
      const tooWide = order('700');
      assert.equal(tooWide.accepted, false);
      assert.deepEqual(
        !tooWide.accepted && tooWide.refusals[0]?.reason === 'rule' ? [tooWide.refusals[0].violation.measured, tooWide.refusals[0].violation.threshold] : [],
        ['30000', '20000'],
      );
      const naked = order();
      assert.equal(!naked.accepted && naked.refusals[0]?.reason === 'rule' && naked.refusals[0].violation.measured, 'no-stop-loss');
      // An imported fill that already happened cannot be refused: the soft breach pauses the account.
      session.open('2026-06-01T07:02:00Z', 'imported', 'long', '1', '1000', { stopLoss: '700' });
      assert.equal(session.state.status, 'paused');
      assert.equal(session.violations()[0]?.consequence, 'account-paused');
    },
  },
  {
    program: 'Take Capital',
    source: 'Take Capital help (above), rule 3: "Total combined risk across multiple entries also counts!"',
    example: 'two BTC/USD positions risking $120 and $100 on $10,000 are $220 together, 2.2 %: a violation',
    run() {
      const pack = customPack({
        accountSizeMinor: '1000000',
        instruments: [{ symbol: 'BTC-USD', contractSize: '1', halfSpread: '0', commissionPerUnitMinor: '0' }],
        rules: [{ type: 'risk-per-trade', maxBps: 200, scope: 'symbol', severity: 'soft' }],
      });
      const session = new Session(pack, '2026-06-01T06:00:00Z').tick('2026-06-01T07:00:00Z', '60000', 'BTC-USD');
      const order = (id: string, stopLoss: string) =>
        priceMarketOrder(session.state, pack, {
          orderId: id,
          atMs: Date.parse('2026-06-01T07:01:00Z'),
          symbol: 'BTC-USD',
          side: 'long',
          quantity: '0.01',
          stopLoss,
        });
      const first = order('first', '48000');
      assert.ok(first.accepted);
      session.state = applyFill(session.state, pack, first.fill).state;
      const second = order('second', '50000');
      assert.deepEqual(
        !second.accepted && second.refusals[0]?.reason === 'rule' ? [second.refusals[0].violation.measured, second.refusals[0].violation.threshold] : [],
        ['22000', '20000'],
      );
      // Alone, the second position's $100 would be within the limit.
      const alone = customPack({
        accountSizeMinor: '1000000',
        instruments: [{ symbol: 'BTC-USD', contractSize: '1', halfSpread: '0', commissionPerUnitMinor: '0' }],
        rules: [{ type: 'risk-per-trade', maxBps: 200, severity: 'soft' }],
      });
      assert.equal(
        priceMarketOrder(session.state, alone, {
          orderId: 'second',
          atMs: Date.parse('2026-06-01T07:01:00Z'),
          symbol: 'BTC-USD',
          side: 'long',
          quantity: '0.01',
          stopLoss: '50000',
        }).accepted,
        true,
      );
    },
  },
  {
    program: 'FTMO (position sizing example)',
    source: 'Vigil, "Stop-Loss" — https://runvigil.app/learn/stop-loss',
    example: '$100K risking 1%: a 20-pip stop on EUR/USD with 5 standard lots risks exactly $1,000; a sixth lot is too many',
    run() {
      const pack = customPack({
        accountSizeMinor: '10000000',
        instruments: [{ symbol: 'EUR-USD', contractSize: '100000', halfSpread: '0', commissionPerUnitMinor: '0' }],
        rules: [{ type: 'risk-per-trade', maxBps: 100, severity: 'hard' }],
      });
      const session = new Session(pack, '2026-06-01T06:00:00Z').tick('2026-06-01T07:00:00Z', '1.1', 'EUR-USD');
      const order = (lots: string) =>
        priceMarketOrder(session.state, pack, {
          orderId: 'o',
          atMs: Date.parse('2026-06-01T07:01:00Z'),
          symbol: 'EUR-USD',
          side: 'long',
          quantity: lots,
          stopLoss: '1.098',
        });
      assert.equal(order('5').accepted, true);
      const six = order('6');
      assert.equal(!six.accepted && six.refusals[0]?.reason === 'rule' && six.refusals[0].violation.measured, '120000');
    },
  },
  {
    program: 'Topstep Trading Combine',
    source:
      'Topstep Help Center, "What is the Consistency Target?" — https://help.futures.topstep.com/hc/en-us/articles/4405772379155-What-is-the-Consistency-Target-',
    example: 'a $900 best day of $2,800 total is 32%, below the 40% target',
    run() {
      const pack = customPack({
        accountSizeMinor: '5000000',
        tradingDay: { timeZone: 'America/Chicago', resetTime: '17:00' },
        rules: [
          { type: 'profit-target', target: { kind: 'amount', amountMinor: '280000' } },
          { type: 'consistency', bestDayShareBelowBps: 4_000 },
        ],
      });
      const session = new Session(pack, '2026-06-01T13:00:00Z');
      ['900', '800', '600', '500'].forEach((pnl, index) => {
        const date = `2026-06-0${index + 1}`;
        session
          .open(`${date}T14:00:00Z`, `${date}-o`, 'long', '1', '10000')
          .close(`${date}T15:00:00Z`, `${date}-c`, `${date}-o`, '1', String(10000 + Number(pnl)));
      });
      const consistency = session.evaluation().objectives.find((objective) => objective.rule === 'consistency');
      assert.deepEqual([consistency?.current, consistency?.met], ['3215', true]);
      assert.equal(session.state.status, 'passed');
    },
  },
  {
    program: 'For Traders three-step account',
    source:
      'For Traders help, "How does the Consistency Score on our Three-Step Account work?" — https://help.fortraders.com/en/articles/11402218-how-does-the-consistency-score-on-our-three-step-account-work',
    example: 'a $500 best day needs more than $1,250 in total: at exactly $1,250 the share is 40% and not below it',
    run() {
      const pack = customPack({
        accountSizeMinor: '5000000',
        rules: [
          { type: 'profit-target', target: { kind: 'amount', amountMinor: '100000' } },
          { type: 'consistency', bestDayShareBelowBps: 4_000 },
        ],
      });
      const session = new Session(pack, '2026-06-01T06:00:00Z');
      ['500', '500', '250'].forEach((pnl, index) => {
        const date = `2026-06-0${index + 1}`;
        session
          .open(`${date}T07:00:00Z`, `${date}-o`, 'long', '1', '10000')
          .close(`${date}T08:00:00Z`, `${date}-c`, `${date}-o`, '1', String(10000 + Number(pnl)));
      });
      assert.equal(session.state.balanceMinor, '5125000');
      assert.equal(session.state.status, 'active');
      session.open('2026-06-04T07:00:00Z', 'last', 'long', '1', '10000').close('2026-06-04T08:00:00Z', 'last-c', 'last', '1', '10000.01');
      assert.equal(session.state.status, 'passed');
    },
  },
  {
    program: 'Topstep (daily loss limit, soft breach)',
    source:
      'PropFirmApp, "Topstep" — https://propfirmapp.com/prop-firms/topstep (DLL from the morning balance; a soft breach stops trading for the rest of the session)',
    example:
      'with a $53,500 morning balance and a $1,000 daily loss limit, the account must stay above $52,500; breaking it closes positions and pauses until the next day, without failing',
    run() {
      const pack = customPack({
        accountSizeMinor: '5350000',
        tradingDay: { timeZone: 'America/Chicago', resetTime: '17:00' },
        rules: [
          { type: 'daily-loss', limit: { kind: 'amount', amountMinor: '100000' }, basis: 'equity', reference: 'previous-close-balance', severity: 'soft' },
        ],
      });
      const session = new Session(pack, '2026-06-01T13:00:00Z').open('2026-06-01T14:00:00Z', 'a', 'long', '1', '10000').tick('2026-06-01T15:00:00Z', '8999');
      assert.equal(session.state.status, 'paused');
      assert.equal(session.state.positions.length, 0, 'the position is liquidated');
      assert.equal(session.violations()[0]?.threshold, '5250000');
      // 17:00 in Chicago is 22:00 UTC in June: the next session trades again.
      session.closeDay('2026-06-01T22:00:00Z');
      assert.equal(session.state.status, 'active');
    },
  },
];

describe('scenario table from public program rules', () => {
  for (const scenario of scenarios) {
    test(`${scenario.program}: ${scenario.example} [${scenario.source}]`, () => scenario.run());
  }
});
