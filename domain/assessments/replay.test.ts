// Property tests over random trading histories: replaying a history in one batch gives the same state,
// outcomes and verdict as taking it step by step with the state crossing a JSON wall after every step
// (as it does between workflow activations), or split anywhere; replays are deterministic; and the books
// always balance: the balance is the initial balance plus closed trades less open commissions and charges.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { assertNever } from '../pools/pool-lifecycle';
import { formatDecimal } from './decimal';
import { applyEvent, applyEvents, createAccount, type AccountEvent, type AccountState, type Outcome } from './account';
import { floatingPnlMinor } from './market';
import { evaluate } from './evaluate';
import { priceCloseOrder, priceMarketOrder } from './orders';
import { parseRulePack, type RulePack } from './rule-pack';

const pack: RulePack = parseRulePack({
  tierId: 'property',
  version: 1,
  name: 'Property pack',
  currency: 'usd',
  priceMinor: '10000',
  accountSizeMinor: '10000000',
  tradingDay: { timeZone: 'America/New_York', resetTime: '17:00' },
  instruments: [
    { symbol: 'X', contractSize: '1', halfSpread: '0.5', commissionPerUnitMinor: '100' },
    { symbol: 'Y', contractSize: '0.1', halfSpread: '0.01', commissionPerUnitMinor: '3' },
  ],
  phases: [
    {
      name: 'Challenge',
      kind: 'challenge',
      rules: [
        { type: 'profit-target', target: { kind: 'percent-of-initial', bps: 100 } },
        {
          type: 'daily-loss',
          limit: { kind: 'percent-of-initial', bps: 250 },
          basis: 'equity',
          reference: 'start-of-day-higher-of-balance-equity',
          severity: 'soft',
        },
        {
          type: 'max-loss',
          limit: { kind: 'percent-of-initial', bps: 300 },
          mode: 'trailing-intraday-equity',
          basis: 'equity',
          lockAtInitialBalance: true,
          severity: 'hard',
        },
        { type: 'min-trading-days', days: 3, countsWhen: { kind: 'any-fill' } },
        { type: 'consistency', bestDayShareBelowBps: 5_000 },
        { type: 'risk-per-trade', maxBps: 300, severity: 'soft' },
        { type: 'max-open-positions', count: 5, severity: 'soft' },
        { type: 'max-position-size', quantity: '3', severity: 'soft' },
      ],
    },
  ],
});

type Command =
  | { kind: 'tick'; symbol: 'X' | 'Y'; deltaCents: number }
  | { kind: 'open'; symbol: 'X' | 'Y'; side: 'long' | 'short'; hundredths: number; stopCents: number | null; takeCents: number | null; imported: boolean }
  | { kind: 'close'; pick: number; partial: boolean }
  | { kind: 'charge'; amountMinor: number }
  | { kind: 'day-close' };

const symbol = fc.constantFrom('X' as const, 'Y' as const);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('tick' as const), symbol, deltaCents: fc.integer({ min: -150_000, max: 150_000 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('open' as const),
      symbol,
      side: fc.constantFrom('long' as const, 'short' as const),
      hundredths: fc.integer({ min: 1, max: 320 }),
      stopCents: fc.option(fc.integer({ min: 1, max: 60_000 }), { freq: 8 }),
      takeCents: fc.option(fc.integer({ min: 1, max: 150_000 })),
      imported: fc.integer({ min: 0, max: 7 }).map((roll) => roll === 0),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('close' as const), pick: fc.nat(), partial: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('charge' as const), amountMinor: fc.integer({ min: -500, max: 5_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'day-close' as const }) },
);
// Gaps from a minute to three days, so histories cross resets, weekends and the March DST change.
const history = fc.array(fc.tuple(command, fc.integer({ min: 1, max: 4_320 })), { minLength: 1, maxLength: 80, size: 'large' });

const START_MS = Date.parse('2026-03-05T15:00:00Z');
const cents = (value: number) => formatDecimal(BigInt(value) * 1_000_000n);

/**
 * Turns commands into the concrete events a real assessment would record: orders priced against the
 * current state (refused ones leave no event), imported fills as they came, closes of open positions.
 */
function concreteHistory(commands: [Command, number][]): AccountEvent[] {
  const events: AccountEvent[] = [];
  const prices = { X: 1_000_000, Y: 5_000 };
  let state = createAccount(pack, START_MS);
  let atMs = START_MS;
  // Both symbols have a price from the start, so orders can be priced.
  const opening: [Command, number][] = [
    [{ kind: 'tick', symbol: 'X', deltaCents: 0 }, 1],
    [{ kind: 'tick', symbol: 'Y', deltaCents: 0 }, 1],
  ];
  for (const [index, [cmd, gapMinutes]] of [...opening, ...commands].entries()) {
    atMs += gapMinutes * 60_000;
    let event: AccountEvent | undefined;
    switch (cmd.kind) {
      case 'tick':
        prices[cmd.symbol] = Math.max(100, prices[cmd.symbol] + (cmd.symbol === 'X' ? cmd.deltaCents : Math.trunc(cmd.deltaCents / 100)));
        event = { kind: 'tick', tick: { symbol: cmd.symbol, price: cents(prices[cmd.symbol]), atMs } };
        break;
      case 'open': {
        if (state.status === 'passed' || state.status === 'failed' || state.marks[cmd.symbol] === undefined) break;
        const mid = prices[cmd.symbol];
        const direction = cmd.side === 'long' ? 1 : -1;
        const stopLoss = cmd.stopCents === null ? undefined : cents(Math.max(1, mid - direction * cmd.stopCents - direction * 100));
        const takeProfit = cmd.takeCents === null ? undefined : cents(mid + direction * cmd.takeCents + direction * 100);
        const order = {
          orderId: `f${index}`,
          atMs,
          symbol: cmd.symbol,
          side: cmd.side,
          quantity: formatDecimal(BigInt(cmd.hundredths) * 1_000_000n),
          ...(stopLoss === undefined ? {} : { stopLoss }),
          ...(takeProfit === undefined ? {} : { takeProfit }),
        };
        if (cmd.imported) {
          event = {
            kind: 'fill',
            fill: {
              kind: 'open',
              fillId: order.orderId,
              atMs,
              symbol: cmd.symbol,
              side: cmd.side,
              quantity: order.quantity,
              price: cents(mid),
              commissionMinor: '25',
              ...(stopLoss === undefined ? {} : { stopLoss }),
              ...(takeProfit === undefined ? {} : { takeProfit }),
            },
          };
        } else {
          const decision = priceMarketOrder(state, pack, order);
          if (decision.accepted) event = { kind: 'fill', fill: decision.fill };
        }
        break;
      }
      case 'close': {
        const position = state.positions[cmd.pick % Math.max(1, state.positions.length)];
        if (position === undefined || state.status === 'passed' || state.status === 'failed') break;
        const quantity = cmd.partial && position.quantity !== '0.01' ? '0.01' : undefined;
        const decision = priceCloseOrder(state, pack, { orderId: `f${index}`, atMs, positionId: position.id, ...(quantity === undefined ? {} : { quantity }) });
        if (decision.accepted) event = { kind: 'fill', fill: decision.fill };
        break;
      }
      case 'charge':
        event = { kind: 'charge', charge: { chargeId: `c${index}`, atMs, amountMinor: String(cmd.amountMinor) } };
        break;
      case 'day-close':
        event = { kind: 'day-close', atMs };
        break;
      default:
        assertNever(cmd);
    }
    if (event === undefined) continue;
    events.push(event);
    state = applyEvent(state, pack, event).state;
  }
  return events;
}

/** Freezes a JSON value all the way down, so a step that wrote to its input state would throw. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Step by step, with the state serialised and parsed after every step, as between workflow activations,
 * and frozen before each step: a step never changes the state it is given.
 */
function incrementally(events: AccountEvent[]): { state: AccountState; outcomes: Outcome[] } {
  let state = createAccount(pack, START_MS);
  const outcomes: Outcome[] = [];
  for (const event of events) {
    const step = applyEvent(deepFreeze(state), pack, JSON.parse(JSON.stringify(event)) as AccountEvent);
    outcomes.push(...(JSON.parse(JSON.stringify(step.outcomes)) as Outcome[]));
    state = JSON.parse(JSON.stringify(step.state)) as AccountState;
  }
  return { state, outcomes };
}

function assertBooksBalance(state: AccountState, outcomes: Outcome[], events: AccountEvent[]): void {
  const closed = outcomes.reduce((sum, outcome) => sum + (outcome.kind === 'trade-closed' ? BigInt(outcome.trade.netPnlMinor) : 0n), 0n);
  const openCommissions = state.positions.reduce((sum, position) => sum + BigInt(position.openCommissionMinor), 0n);
  // Charges are booked while the phase is open; a closed account takes none.
  let charges = 0n;
  let replay = createAccount(pack, START_MS);
  for (const event of events) {
    if (event.kind === 'charge' && replay.status !== 'passed' && replay.status !== 'failed') charges += BigInt(event.charge.amountMinor);
    replay = applyEvent(replay, pack, event).state;
  }
  assert.equal(BigInt(state.balanceMinor), BigInt(state.initialBalanceMinor) + closed - openCommissions - charges);
  const floating = state.positions.reduce((sum, position) => sum + floatingPnlMinor(position, pack, state.marks, pack.currency), 0n);
  assert.equal(BigInt(state.equityMinor), BigInt(state.balanceMinor) + floating);
}

describe('replaying random trading histories', () => {
  test('incremental (through JSON) and batch replays agree on state, outcomes and verdict', () => {
    fc.assert(
      fc.property(history, (commands) => {
        const events = concreteHistory(commands);
        const batch = applyEvents(createAccount(pack, START_MS), pack, events);
        const stepwise = incrementally(events);
        assert.deepEqual(stepwise.state, batch.state);
        assert.deepEqual(stepwise.outcomes, batch.outcomes);
        assert.deepEqual(evaluate(deepFreeze(stepwise.state), pack), evaluate(batch.state, pack));
        // A day close repeated at the same instant changes nothing.
        const last = events.at(-1);
        const atMs =
          last === undefined
            ? START_MS
            : last.kind === 'fill'
              ? last.fill.atMs
              : last.kind === 'tick'
                ? last.tick.atMs
                : last.kind === 'charge'
                  ? last.charge.atMs
                  : last.atMs;
        const closedOnce = applyEvent(batch.state, pack, { kind: 'day-close', atMs }).state;
        assert.deepEqual(applyEvent(closedOnce, pack, { kind: 'day-close', atMs }), { state: closedOnce, outcomes: [] });
      }),
      { numRuns: 150 },
    );
  });

  test('a history split anywhere, with the state crossing JSON at the split, ends in the same place', () => {
    fc.assert(
      fc.property(history, fc.nat(), (commands, cut) => {
        const events = concreteHistory(commands);
        const at = cut % (events.length + 1);
        const first = applyEvents(createAccount(pack, START_MS), pack, events.slice(0, at));
        const resumed = applyEvents(JSON.parse(JSON.stringify(first.state)) as AccountState, pack, events.slice(at));
        const whole = applyEvents(createAccount(pack, START_MS), pack, events);
        assert.deepEqual(resumed.state, whole.state);
        assert.deepEqual([...first.outcomes, ...resumed.outcomes], whole.outcomes);
      }),
      { numRuns: 150 },
    );
  });

  test('the same history always gives the same verdict, and the books balance', () => {
    fc.assert(
      fc.property(history, (commands) => {
        const events = concreteHistory(commands);
        const once = applyEvents(createAccount(pack, START_MS), pack, events);
        const again = applyEvents(createAccount(pack, START_MS), pack, structuredClone(events));
        assert.deepEqual(again, once);
        assert.deepEqual(evaluate(again.state, pack), evaluate(once.state, pack));
        assertBooksBalance(once.state, once.outcomes, events);
        assert.ok(JSON.stringify(once.state).length < 64_000, 'the state stays small');
      }),
      { numRuns: 150 },
    );
  });
});
