// Accept and reject cases for every rule type, and the account mechanics the rules stand on: stop-loss
// and take-profit on ticks, commissions and swaps, partial closes, stale input, phase advance.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AccountInputError, advancePhase, applyFill, createAccount, failAccount, OPEN_POSITIONS_MAX, resumeAccount } from './account';
import { DecimalError } from './decimal';
import { evaluate } from './evaluate';
import { MoneyError } from '../core/money';
import { priceCloseOrder, priceMarketOrder } from './orders';
import { presetPack } from './presets';
import { at, customPack, Session } from '../../test/support/assessment-rules-kit';

const day1 = '2026-06-01';
const T = (time: string, date = day1) => `${date}T${time}Z`;

describe('profit target', () => {
  const pack = (requireFlat: boolean) =>
    customPack({ accountSizeMinor: '1000000', rules: [{ type: 'profit-target', target: { kind: 'amount', amountMinor: '50000' }, requireFlat }] });

  test('passes when the closed profit reaches the target, not a cent before', () => {
    const session = new Session(pack(true), T('06:00')).open(T('07:00'), 'a', 'long', '1', '100').close(T('08:00'), 'a-x', 'a', '1', '599.99');
    assert.equal(session.state.status, 'active');
    session.open(T('09:00'), 'b', 'long', '1', '100').close(T('10:00'), 'b-x', 'b', '1', '100.01');
    assert.equal(session.state.status, 'passed');
  });

  test('with requireFlat an open position holds the pass back; without it equity counts', () => {
    const flat = new Session(pack(true), T('06:00')).open(T('07:00'), 'a', 'long', '1', '100').tick(T('08:00'), '700');
    assert.equal(flat.state.status, 'active');
    const floating = new Session(pack(false), T('06:00')).open(T('07:00'), 'a', 'long', '1', '100').tick(T('08:00'), '700');
    assert.equal(floating.state.status, 'passed');
  });
});

describe('daily loss', () => {
  const pack = (basis: 'balance' | 'equity', severity: 'hard' | 'soft' = 'hard', toleranceMinor = '0') =>
    customPack({
      accountSizeMinor: '1000000',
      rules: [{ type: 'daily-loss', limit: { kind: 'amount', amountMinor: '50000' }, basis, reference: 'previous-close-balance', severity, toleranceMinor }],
    });

  test('on equity a floating loss breaches; on balance only a realised one does', () => {
    const equity = new Session(pack('equity'), T('06:00')).open(T('07:00'), 'a', 'long', '1', '1000').tick(T('08:00'), '499.99');
    assert.equal(equity.state.status, 'failed');
    const balance = new Session(pack('balance'), T('06:00')).open(T('07:00'), 'a', 'long', '1', '1000').tick(T('08:00'), '499.99');
    assert.equal(balance.state.status, 'active');
    balance.close(T('09:00'), 'a-x', 'a', '1', '499.99');
    assert.equal(balance.state.status, 'failed');
  });

  test('exactly at the floor is allowed; the tolerance widens it by its amount', () => {
    assert.equal(new Session(pack('equity'), T('06:00')).open(T('07:00'), 'a', 'long', '1', '1000').tick(T('08:00'), '500').state.status, 'active');
    const tolerant = new Session(pack('equity', 'hard', '100'), T('06:00')).open(T('07:00'), 'a', 'long', '1', '1000').tick(T('08:00'), '499');
    assert.equal(tolerant.state.status, 'active');
    tolerant.tick(T('08:01'), '498.99');
    assert.equal(tolerant.state.status, 'failed');
    assert.equal(tolerant.violations()[0]?.toleranceMinor, '100');
  });

  test('commissions and swaps count towards the loss', () => {
    const session = new Session(pack('balance'), T('06:00'))
      .open(T('07:00'), 'a', 'long', '1', '1000', { commissionMinor: '30000' })
      .charge(T('08:00'), 'swap-1', '19999');
    assert.equal(session.state.status, 'active');
    session.charge(T('08:01'), 'swap-2', '2');
    assert.equal(session.state.status, 'failed');
  });

  test('warns once at 80 % of the limit; a new day measures from its own reference', () => {
    const session = new Session(pack('equity'), T('06:00')).open(T('07:00'), 'a', 'long', '1', '1000').tick(T('08:00'), '601').tick(T('08:01'), '600');
    const warnings = () => session.outcomes.filter((outcome) => outcome.kind === 'warning');
    assert.equal(warnings().length, 1);
    assert.equal(session.evaluation().warnings[0]?.usedMinor, '40000');
    session.tick(T('08:02'), '590');
    assert.equal(warnings().length, 1);
    session.close(T('09:00'), 'a-x', 'a', '1', '590').closeDay(T('00:00', '2026-06-02'));
    assert.equal(evaluate(session.state, session.pack).warnings.length, 0, 'the loss is in the new reference');
    session.open(T('07:00', '2026-06-02'), 'b', 'long', '1', '1000').tick(T('08:00', '2026-06-02'), '600');
    assert.equal(warnings().length, 2);
  });

  test('a soft breach closes positions and pauses until the next trading day; orders are refused meanwhile', () => {
    const session = new Session(pack('equity', 'soft'), T('06:00')).open(T('07:00'), 'a', 'long', '1', '1000').tick(T('08:00'), '400');
    assert.equal(session.state.status, 'paused');
    assert.equal(session.state.pausedUntilDay, '2026-06-02');
    assert.equal(session.state.positions.length, 0);
    const refused = priceMarketOrder(session.state, session.pack, { orderId: 'o', atMs: at(T('09:00')), symbol: 'X', side: 'long', quantity: '1' });
    assert.deepEqual(refused, { accepted: false, refusals: [{ reason: 'account-not-trading', status: 'paused' }] });
    session.closeDay(T('00:00', '2026-06-02'));
    assert.equal(session.state.status, 'active');
  });
});

describe('maximum loss', () => {
  const pack = (severity: 'hard' | 'soft') =>
    customPack({
      accountSizeMinor: '1000000',
      rules: [{ type: 'max-loss', limit: { kind: 'percent-of-initial', bps: 1_000 }, mode: 'static', basis: 'equity', severity }],
    });

  test('a hard breach fails the phase, closes the positions and takes no more fills', () => {
    const session = new Session(pack('hard'), T('06:00')).open(T('07:00'), 'a', 'short', '1', '1000').tick(T('08:00'), '2000');
    assert.equal(session.state.status, 'active', 'equity exactly at the floor');
    session.tick(T('08:01'), '2000.01');
    assert.equal(session.state.status, 'failed');
    assert.equal(session.state.positions.length, 0);
    assert.throws(() => session.open(T('09:00'), 'b', 'long', '1', '1000'), AccountInputError);
    const before = session.state;
    session.tick(T('10:00'), '10');
    assert.equal(session.state, before, 'ticks after the verdict change nothing');
  });

  test('a soft breach pauses without an end until ops resume the account', () => {
    const session = new Session(pack('soft'), T('06:00')).open(T('07:00'), 'a', 'long', '2', '1000').tick(T('08:00'), '400');
    assert.equal(session.state.status, 'paused');
    assert.equal(session.state.pausedUntilDay, null);
    session.closeDay(T('00:00', '2026-06-02'));
    assert.equal(session.state.status, 'paused');
    session.state = resumeAccount(session.state);
    assert.equal(session.state.status, 'active');
    assert.equal(session.violations().length, 1, 'the same breach is not recorded again');
  });
});

describe('minimum trading days counted by profit', () => {
  test('only days with at least the given profit count', () => {
    const pack = customPack({
      accountSizeMinor: '1000000',
      rules: [
        { type: 'profit-target', target: { kind: 'amount', amountMinor: '100' } },
        { type: 'min-trading-days', days: 2, countsWhen: { kind: 'min-profit', amountMinor: '15000' } },
      ],
    });
    const session = new Session(pack, T('06:00'));
    const tradeDay = (date: string, exit: string) =>
      session.open(T('07:00', date), `${date}-o`, 'long', '1', '1000').close(T('08:00', date), `${date}-c`, `${date}-o`, '1', exit);
    tradeDay('2026-06-01', '1149.99');
    tradeDay('2026-06-02', '1150');
    assert.equal(session.evaluation().objectives.find((o) => o.rule === 'min-trading-days')?.current, '1');
    assert.equal(session.state.status, 'active');
    tradeDay('2026-06-03', '1200');
    assert.equal(session.state.status, 'passed');
  });
});

describe('time limit', () => {
  const pack = customPack({
    accountSizeMinor: '1000000',
    rules: [
      { type: 'profit-target', target: { kind: 'amount', amountMinor: '10000' } },
      { type: 'time-limit', days: 2 },
    ],
  });

  test('the phase fails when the days run out with an objective unmet', () => {
    const session = new Session(pack, T('06:00')).closeDay(T('05:59', '2026-06-03'));
    assert.equal(session.state.status, 'active');
    assert.equal(session.evaluation().live.deadlineMs, at(T('06:00', '2026-06-03')));
    session.closeDay(T('06:00', '2026-06-03'));
    assert.equal(session.state.status, 'failed');
    assert.equal(session.violations()[0]?.rule, 'time-limit');
  });

  test('a phase passed in time is not failed later', () => {
    const session = new Session(pack, T('06:00')).open(T('07:00'), 'a', 'long', '1', '100').close(T('08:00'), 'a-x', 'a', '1', '200');
    assert.equal(session.state.status, 'passed');
    session.closeDay(T('07:00', '2026-06-05'));
    assert.equal(session.state.status, 'passed');
  });
});

describe('pre-trade rules', () => {
  const pack = (severity: 'hard' | 'soft') =>
    customPack({
      accountSizeMinor: '1000000',
      rules: [
        { type: 'risk-per-trade', maxBps: 10, severity },
        { type: 'max-open-positions', count: 2, severity },
        { type: 'max-position-size', quantity: '3', severity },
      ],
    });
  const order = (session: Session, id: string, quantity: string, stopLoss = '99') =>
    priceMarketOrder(session.state, session.pack, { orderId: id, atMs: at(T('07:00')), symbol: 'X', side: 'long', quantity, stopLoss });

  test('orders within every limit are accepted and priced at the ask with the commission', () => {
    const session = new Session(pack('soft'), T('06:00')).tick(T('06:30'), '100');
    const decision = order(session, 'o1', '3', '97');
    assert.equal(decision.accepted, true);
    assert.deepEqual(decision.accepted && [decision.fill.price, decision.fill.commissionMinor], ['100', '0']);
  });

  test('orders breaking a limit are refused with the numbers, whatever the severity', () => {
    for (const severity of ['hard', 'soft'] as const) {
      const session = new Session(pack(severity), T('06:00')).tick(T('06:30'), '100');
      const risky = order(session, 'r', '1', '89.99');
      assert.deepEqual(
        !risky.accepted &&
          risky.refusals.map((refusal) => refusal.reason === 'rule' && [refusal.violation.rule, refusal.violation.measured, refusal.violation.threshold]),
        [['risk-per-trade', '1001', '1000']],
      );
      const large = order(session, 'l', '3.00000001', '99.9');
      assert.deepEqual(!large.accepted && large.refusals.map((refusal) => refusal.reason === 'rule' && refusal.violation.rule), ['max-position-size']);
      session.open(T('06:40'), 'p1', 'long', '1', '100', { stopLoss: '99' }).open(T('06:41'), 'p2', 'long', '1', '100', { stopLoss: '99' });
      const third = order(session, 'p3', '1');
      assert.deepEqual(!third.accepted && third.refusals.map((refusal) => refusal.reason === 'rule' && refusal.violation.rule), ['max-open-positions']);
      assert.equal(session.state.status, 'active');
    }
  });

  test('an imported fill breaking a hard pre-trade rule fails the phase', () => {
    const session = new Session(pack('hard'), T('06:00')).open(T('07:00'), 'big', 'long', '4', '100', { stopLoss: '99.9' });
    assert.equal(session.state.status, 'failed');
    assert.equal(session.violations()[0]?.rule, 'max-position-size');
  });

  test('invalid orders are refused, not thrown', () => {
    const session = new Session(pack('soft'), T('06:00')).tick(T('06:30'), '100');
    const wrongStop = order(session, 'w', '1', '101');
    assert.equal(!wrongStop.accepted && wrongStop.refusals[0]?.reason, 'invalid-order');
    assert.equal(!order(session, 'z', '0').accepted, true);
    const unknown = priceMarketOrder(session.state, session.pack, { orderId: 'u', atMs: at(T('07:00')), symbol: 'NOPE', side: 'long', quantity: '1' });
    assert.equal(!unknown.accepted && unknown.refusals[0]?.reason, 'invalid-order');
    const noPrice = priceMarketOrder(new Session(pack('soft'), T('06:00')).state, session.pack, {
      orderId: 'n',
      atMs: at(T('07:00')),
      symbol: 'X',
      side: 'long',
      quantity: '1',
    });
    assert.deepEqual(noPrice, { accepted: false, refusals: [{ reason: 'no-price', symbol: 'X' }] });
  });
});

describe('positions on ticks', () => {
  const pack = customPack({
    accountSizeMinor: '1000000',
    instruments: [{ symbol: 'X', contractSize: '2', halfSpread: '0.5', commissionPerUnitMinor: '150' }],
    rules: [],
  });

  test('a long stop-loss closes at the bid when it is crossed, gaps included', () => {
    const session = new Session(pack, T('06:00'))
      .open(T('07:00'), 'a', 'long', '1', '100.5', { stopLoss: '95', commissionMinor: '150' })
      .tick(T('08:00'), '95.6');
    assert.equal(session.state.positions.length, 1, 'the bid 95.1 is above the stop');
    session.tick(T('08:01'), '90');
    const trade = session.outcomes.find((outcome) => outcome.kind === 'trade-closed');
    assert.ok(trade?.kind === 'trade-closed');
    assert.deepEqual(
      [trade.trade.reason, trade.trade.exitPrice, trade.trade.grossPnlMinor, trade.trade.commissionMinor, trade.trade.netPnlMinor],
      ['stop-loss', '89.5', '-2200', '300', '-2500'],
    );
    assert.equal(session.state.balanceMinor, '997500');
  });

  test('a short take-profit closes at the ask', () => {
    const session = new Session(pack, T('06:00')).open(T('07:00'), 'a', 'short', '1', '99.5', { takeProfit: '90' }).tick(T('08:00'), '89.5');
    const trade = session.outcomes.find((outcome) => outcome.kind === 'trade-closed');
    assert.ok(trade?.kind === 'trade-closed');
    assert.deepEqual([trade.trade.reason, trade.trade.exitPrice, trade.trade.grossPnlMinor], ['take-profit', '90', '1900']);
  });

  test('equity is marked at the executable side; stale ticks and unknown symbols change nothing', () => {
    const session = new Session(pack, T('06:00')).open(T('07:00'), 'a', 'long', '0.5', '100.5').tick(T('08:00'), '110');
    assert.equal(session.state.equityMinor, String(1_000_000 + 900));
    const before = session.state;
    session.tick(T('07:59'), '50').tick(T('08:30'), '50', 'OTHER');
    assert.equal(session.state, before);
  });

  test('a partial close keeps the rest open and shares the opening commission', () => {
    const session = new Session(pack, T('06:00'))
      .open(T('07:00'), 'a', 'long', '3', '100', { commissionMinor: '450' })
      .close(T('08:00'), 'a-1', 'a', '1', '101', '150');
    assert.equal(session.state.positions[0]?.quantity, '2');
    assert.equal(session.state.positions[0]?.openCommissionMinor, '300');
    const trade = session.outcomes.find((outcome) => outcome.kind === 'trade-closed');
    assert.ok(trade?.kind === 'trade-closed');
    assert.deepEqual([trade.trade.grossPnlMinor, trade.trade.commissionMinor, trade.trade.netPnlMinor], ['200', '300', '-100']);
    assert.throws(() => session.close(T('09:00'), 'a-2', 'a', '2.5', '101'), AccountInputError);
  });

  test('an account holds at most OPEN_POSITIONS_MAX positions, whatever the pack allows', () => {
    const session = new Session(pack, T('06:00'));
    for (let index = 0; index < OPEN_POSITIONS_MAX; index += 1) session.open(T('07:00'), `p${index}`, 'long', '0.01', '100');
    assert.throws(() => session.open(T('07:00'), 'one-too-many', 'long', '0.01', '100'), AccountInputError);
    assert.equal(session.state.positions.length, OPEN_POSITIONS_MAX);
  });

  test('a close order is priced at the bid for a long', () => {
    const session = new Session(pack, T('06:00')).open(T('07:00'), 'a', 'long', '1', '100.5').tick(T('08:00'), '104');
    const decision = priceCloseOrder(session.state, pack, { orderId: 'c', atMs: at(T('08:01')), positionId: 'a' });
    assert.deepEqual(decision.accepted && [decision.fill.price, decision.fill.quantity, decision.fill.commissionMinor], ['103.5', '1', '150']);
  });

  test('fills older than the last event, duplicates and unknown positions are refused', () => {
    const session = new Session(pack, T('06:00')).open(T('07:00'), 'a', 'long', '1', '100');
    assert.throws(() => session.open(T('06:59'), 'b', 'long', '1', '100'), AccountInputError);
    assert.throws(() => session.open(T('07:00'), 'a', 'long', '1', '100'), AccountInputError);
    assert.throws(() => session.close(T('07:01'), 'x', 'nope', '1', '100'), AccountInputError);
    assert.throws(() => session.open(T('07:02'), 'c', 'long', '1', '100', { stopLoss: '100' }), AccountInputError);
    assert.throws(() => session.open(T('07:03'), 'd', 'long', '1', '100', { commissionMinor: '1.5' }), MoneyError);
    assert.throws(() => session.open(T('07:04'), 'e', 'long', '1e3', '100'), DecimalError);
    assert.throws(() => session.charge(T('07:05'), 'swap', '0x10'), MoneyError);
    assert.equal(session.state.positions.length, 1, 'nothing was booked by the refused input');
  });
});

describe('phases', () => {
  test('advancing a passed phase resets the virtual account; a phase not passed cannot advance', () => {
    const pack = presetPack('two-step-100k');
    let state = createAccount(pack, at(T('06:00')));
    assert.throws(() => advancePhase(state, pack, at(T('07:00'))), AccountInputError);
    state = { ...state, status: 'passed', balanceMinor: '11000000' };
    const next = advancePhase(state, pack, at(T('07:00')));
    assert.deepEqual([next.phaseIndex, next.status, next.balanceMinor, next.positions.length, next.days.length], [1, 'active', '10000000', 0, 0]);
    assert.deepEqual(next.phaseHistory, [{ phaseIndex: 0, result: 'passed', endedAtMs: at(T('07:00')), balanceMinor: '11000000' }]);
    assert.equal(evaluate(next, pack).phase.name, 'Verification');
  });

  test('an ops stop fails the phase and closes positions at the last price', () => {
    const pack = customPack({ accountSizeMinor: '1000000', rules: [] });
    const session = new Session(pack, T('06:00')).open(T('07:00'), 'a', 'long', '1', '100').tick(T('07:30'), '90');
    const step = failAccount(session.state, pack, at(T('08:00')));
    assert.deepEqual([step.state.status, step.state.positions.length, step.state.balanceMinor], ['failed', 0, '999000']);
  });

  test('a state from another pack version is refused', () => {
    const pack = presetPack('two-step-100k');
    const state = createAccount(pack, at(T('06:00')));
    assert.throws(
      () =>
        applyFill(
          state,
          { ...pack, version: 2 },
          { kind: 'open', fillId: 'a', atMs: at(T('07:00')), symbol: 'BTC-USD', side: 'long', quantity: '1', price: '1', commissionMinor: '0' },
        ),
      AccountInputError,
    );
  });
});
