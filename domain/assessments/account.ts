// The virtual account of one assessment phase as a small JSON-safe state (it crosses the Temporal wall),
// and the pure steps that move it: a fill, a price tick, a swap charge, a day close. Every step checks
// the pack's limits on the spot, so a breach by price alone is caught on the tick that causes it.
// Money is bigint minor units held as canonical decimal strings; prices and quantities are exact decimals.
import { assertNever } from '../pool-lifecycle';
import { ceilDiv, floorDiv, formatDecimal, parseDecimal, valueMinor } from './decimal';
import { limitMinor, ruleOf, type Instrument, type Phase, type RulePack, type RuleOf, type Severity, type RuleType } from './rule-pack';
import { addDays, dayStartMs, tradingDayOf, type DayKey } from './trading-day';

/** The most positions one account may hold open; a pack's max-open-positions rule may ask for fewer. */
export const OPEN_POSITIONS_MAX = 200;
/** How many closed trading days the state keeps for the equity curve; rules use running aggregates. */
export const DAY_HISTORY_MAX = 120;
/** How many violations the state keeps (a hard one ends the phase, so only soft ones accumulate). */
export const VIOLATIONS_MAX = 50;
/** How many finished phases the state remembers. */
const PHASE_HISTORY_MAX = 8;
const DAY_MS = 86_400_000;
const BPS = 10_000n;

export type AccountStatus = 'active' | 'paused' | 'passed' | 'failed';
export type Side = 'long' | 'short';

export interface Position {
  /** The id of the fill that opened it. */
  id: string;
  symbol: string;
  side: Side;
  quantity: string;
  entryPrice: string;
  openedAtMs: number;
  stopLoss?: string;
  takeProfit?: string;
  /** The part of the opening commission not yet attributed to a closed trade. */
  openCommissionMinor: string;
}

/** The last quoted (mid) price of a symbol. */
export interface Mark {
  price: string;
  atMs: number;
}

/** One trading day's figures: the running day in `today`, closed days in `days`. */
export interface DayRecord {
  day: DayKey;
  startBalanceMinor: string;
  startEquityMinor: string;
  balanceMinor: string;
  equityMinor: string;
  lowEquityMinor: string;
  highEquityMinor: string;
  fills: number;
  positionsOpened: number;
  /** The floors in force at the end of the day (or now, for today), for reports and the equity curve. */
  dailyFloorMinor?: string;
  maxLossFloorMinor?: string;
}

/** The numbers of one breach; explainViolation turns them into a sentence. */
export interface Violation {
  rule: RuleType;
  severity: Severity;
  consequence: 'phase-failed' | 'order-refused' | 'account-paused';
  atMs: number;
  day: DayKey;
  /** What was measured (equity, balance, risk, count, quantity), in `unit`. */
  measured: string;
  /** The threshold it crossed, in `unit` (a floor for losses, a maximum otherwise). */
  threshold: string;
  unit: 'minor' | 'count' | 'quantity' | 'days';
  basis?: 'balance' | 'equity';
  referenceMinor?: string;
  limitMinor?: string;
  toleranceMinor?: string;
  symbol?: string;
  positionId?: string;
}

export interface PhaseSummary {
  phaseIndex: number;
  result: 'passed' | 'failed';
  endedAtMs: number;
  balanceMinor: string;
}

export interface AccountState {
  /** Bumped when the shape changes, so a workflow continued-as-new can tell old state from new. */
  schema: 1;
  tierId: string;
  packVersion: number;
  phaseIndex: number;
  status: AccountStatus;
  /** While paused by a soft breach: the trading day trading resumes, or null until ops resume it. */
  pausedUntilDay: DayKey | null;
  phaseStartedAtMs: number;
  lastEventAtMs: number;
  initialBalanceMinor: string;
  balanceMinor: string;
  equityMinor: string;
  /** The highest equity seen in the phase (trailing intraday floors follow it). */
  equityHighMinor: string;
  /** The highest end-of-day balance in the phase, starting at the initial balance. */
  endOfDayHighMinor: string;
  positions: Position[];
  marks: Record<string, Mark>;
  today: DayRecord;
  days: DayRecord[];
  /** Running aggregates over every closed day of the phase (days[] keeps only the recent ones). */
  closedDays: { count: number; countedTradingDays: number; bestDayPnlMinor: string };
  violations: Violation[];
  /** Warning keys already raised ("daily-loss:2026-03-09", "max-loss"), so each is signalled once. */
  warningsRaised: string[];
  phaseHistory: PhaseSummary[];
}

/** A trade executed for the account: opening a position, or closing (part of) one. */
export type Fill =
  | {
      kind: 'open';
      fillId: string;
      atMs: number;
      symbol: string;
      side: Side;
      quantity: string;
      /** The executed price, spread included. */
      price: string;
      commissionMinor: string;
      stopLoss?: string;
      takeProfit?: string;
    }
  | { kind: 'close'; fillId: string; atMs: number; positionId: string; quantity: string; price: string; commissionMinor: string };

export interface Tick {
  symbol: string;
  /** The quoted mid price; the pack's half spread gives the bid and ask around it. */
  price: string;
  atMs: number;
}

/** A swap (overnight financing) or other charge booked to the balance; negative amounts are credits. */
export interface Charge {
  chargeId: string;
  atMs: number;
  amountMinor: string;
  positionId?: string;
}

export type CloseReason = 'fill' | 'stop-loss' | 'take-profit' | 'liquidation';

export interface ClosedTrade {
  positionId: string;
  closeId: string;
  symbol: string;
  side: Side;
  quantity: string;
  entryPrice: string;
  exitPrice: string;
  openedAtMs: number;
  closedAtMs: number;
  grossPnlMinor: string;
  commissionMinor: string;
  netPnlMinor: string;
  reason: CloseReason;
}

export interface Warning {
  rule: 'daily-loss' | 'max-loss';
  atMs: number;
  day: DayKey;
  /** How much of the limit is used, and the limit, in minor units. */
  usedMinor: string;
  limitMinor: string;
}

/** What a step did, for the caller to record or signal: trades closed, breaches, warnings, day closes. */
export type Outcome =
  | { kind: 'trade-closed'; trade: ClosedTrade }
  | { kind: 'violation'; violation: Violation }
  | { kind: 'warning'; warning: Warning }
  | { kind: 'day-closed'; day: DayRecord }
  | { kind: 'status'; status: AccountStatus };

export interface AccountStep {
  state: AccountState;
  outcomes: Outcome[];
}

/** Thrown for a step the account cannot take: malformed or out-of-order input, an unknown position. */
export class AccountInputError extends Error {
  override name = 'AccountInputError';
}

// ---------------------------------------------------------------------------------------------------
// Creating and resetting

/** A fresh virtual account for phase `phaseIndex` of `pack`, starting at `atMs` with the account size. */
export function startPhase(pack: RulePack, phaseIndex: number, atMs: number, history: PhaseSummary[] = []): AccountState {
  if (phaseIndex < 0 || phaseIndex >= pack.phases.length) throw new AccountInputError(`pack ${pack.tierId} has no phase ${phaseIndex}`);
  const initial = pack.accountSizeMinor;
  return {
    schema: 1,
    tierId: pack.tierId,
    packVersion: pack.version,
    phaseIndex,
    status: 'active',
    pausedUntilDay: null,
    phaseStartedAtMs: atMs,
    lastEventAtMs: atMs,
    initialBalanceMinor: initial,
    balanceMinor: initial,
    equityMinor: initial,
    equityHighMinor: initial,
    endOfDayHighMinor: initial,
    positions: [],
    marks: {},
    today: newDay(tradingDayOf(pack.tradingDay, atMs), BigInt(initial), BigInt(initial)),
    days: [],
    closedDays: { count: 0, countedTradingDays: 0, bestDayPnlMinor: '0' },
    violations: [],
    warningsRaised: [],
    phaseHistory: history.slice(-PHASE_HISTORY_MAX),
  };
}

/** The account for the pack's first phase. */
export function createAccount(pack: RulePack, atMs: number): AccountState {
  return startPhase(pack, 0, atMs);
}

/**
 * Moves a passed account to the pack's next phase with a fresh virtual account (the initial balance, no
 * positions, no days). Throws when the phase has not passed or is the last one.
 */
export function advancePhase(state: AccountState, pack: RulePack, atMs: number): AccountState {
  if (state.status !== 'passed') throw new AccountInputError(`phase ${state.phaseIndex} is ${state.status}, not passed`);
  if (state.phaseIndex + 1 >= pack.phases.length) throw new AccountInputError(`phase ${state.phaseIndex} is the pack's last`);
  const summary: PhaseSummary = { phaseIndex: state.phaseIndex, result: 'passed', endedAtMs: atMs, balanceMinor: state.balanceMinor };
  return startPhase(pack, state.phaseIndex + 1, Math.max(atMs, state.lastEventAtMs), [...state.phaseHistory, summary]);
}

/** Ops lift a pause (a soft breach without an automatic end); the audit trail is the caller's. */
export function resumeAccount(state: AccountState): AccountState {
  if (state.status !== 'paused') throw new AccountInputError(`the account is ${state.status}, not paused`);
  return { ...state, status: 'active', pausedUntilDay: null };
}

/** Ops end the phase at once (override or emergency stop): open positions are closed at the last prices. */
export function failAccount(state: AccountState, pack: RulePack, atMs: number): AccountStep {
  const work = begin(state, pack, atMs);
  if (isClosed(work.state)) return work;
  liquidate(work, pack, atMs);
  setStatus(work, 'failed');
  return work;
}

// ---------------------------------------------------------------------------------------------------
// Steps

/** Books a fill: opens a position, or closes (part of) one; then checks every limit. */
export function applyFill(state: AccountState, pack: RulePack, fill: Fill): AccountStep {
  if (fill.atMs < state.lastEventAtMs) throw new AccountInputError(`fill ${fill.fillId} at ${fill.atMs} is older than the account's last event (${state.lastEventAtMs})`);
  const work = begin(state, pack, fill.atMs);
  if (isClosed(work.state)) throw new AccountInputError(`the phase is ${work.state.status}; it takes no more fills`);
  switch (fill.kind) {
    case 'open':
      openPosition(work, pack, fill);
      break;
    case 'close':
      closePosition(work, pack, fill.positionId, parseDecimal(fill.quantity), fill.price, BigInt(fill.commissionMinor), fill.atMs, fill.fillId, 'fill');
      break;
    default:
      assertNever(fill);
  }
  work.state.today.fills += 1;
  finish(work, pack, fill.atMs);
  return work;
}

/**
 * Takes a new price: stop-losses and take-profits it crosses close their positions at the executable
 * price, equity is marked, and every equity limit is checked. A tick older than the account's last event,
 * for a symbol the pack does not trade, or after the verdict leaves the account unchanged.
 */
export function applyTick(state: AccountState, pack: RulePack, tick: Tick): AccountStep {
  const instrument = pack.instruments.find((candidate) => candidate.symbol === tick.symbol);
  const previous = state.marks[tick.symbol];
  const stale = tick.atMs < state.lastEventAtMs || (previous !== undefined && tick.atMs < previous.atMs);
  if (instrument === undefined || stale || isClosed(state)) return { state, outcomes: [] };
  parseDecimal(tick.price);
  const work = begin(state, pack, tick.atMs);
  work.state.marks = { ...work.state.marks, [tick.symbol]: { price: tick.price, atMs: tick.atMs } };
  for (const position of work.state.positions.filter((candidate) => candidate.symbol === tick.symbol)) {
    const trigger = triggeredExit(position, instrument, tick.price);
    if (trigger === undefined) continue;
    const commission = commissionFor(instrument, parseDecimal(position.quantity));
    closePosition(work, pack, position.id, parseDecimal(position.quantity), trigger.price, commission, tick.atMs, `${position.id}:${trigger.reason}`, trigger.reason);
  }
  finish(work, pack, tick.atMs);
  return work;
}

/** Books a swap or other charge to the balance. */
export function applyCharge(state: AccountState, pack: RulePack, charge: Charge): AccountStep {
  if (charge.atMs < state.lastEventAtMs) throw new AccountInputError(`charge ${charge.chargeId} is older than the account's last event`);
  if (isClosed(state)) return { state, outcomes: [] };
  const work = begin(state, pack, charge.atMs);
  work.state.balanceMinor = (BigInt(work.state.balanceMinor) - BigInt(charge.amountMinor)).toString();
  finish(work, pack, charge.atMs);
  return work;
}

/**
 * Closes every trading day that ended by `atMs` (the workflow's day-close timer calls it; any other step
 * does the same first), and checks the time limit. Calling it again for the same instant changes nothing.
 */
export function closeDay(state: AccountState, pack: RulePack, atMs: number): AccountStep {
  if (atMs < state.lastEventAtMs || isClosed(state)) return { state, outcomes: [] };
  const work = begin(state, pack, atMs);
  finish(work, pack, atMs);
  return work;
}

/** One event of an assessment's history, for replaying it in one batch. */
export type AccountEvent = ({ kind: 'fill' } & { fill: Fill }) | { kind: 'tick'; tick: Tick } | { kind: 'charge'; charge: Charge } | { kind: 'day-close'; atMs: number };

export function applyEvent(state: AccountState, pack: RulePack, event: AccountEvent): AccountStep {
  switch (event.kind) {
    case 'fill':
      return applyFill(state, pack, event.fill);
    case 'tick':
      return applyTick(state, pack, event.tick);
    case 'charge':
      return applyCharge(state, pack, event.charge);
    case 'day-close':
      return closeDay(state, pack, event.atMs);
    default:
      return assertNever(event);
  }
}

/** Replays `events` in order from `state`: the same events always give the same state and outcomes. */
export function applyEvents(state: AccountState, pack: RulePack, events: readonly AccountEvent[]): AccountStep {
  const outcomes: Outcome[] = [];
  let current = state;
  for (const event of events) {
    const step = applyEvent(current, pack, event);
    current = step.state;
    outcomes.push(...step.outcomes);
  }
  return { state: current, outcomes };
}

// ---------------------------------------------------------------------------------------------------
// Figures the rules and the live view read

export function currentPhase(state: AccountState, pack: RulePack): Phase {
  const phase = pack.phases[state.phaseIndex];
  if (phase === undefined) throw new AccountInputError(`pack ${pack.tierId} v${pack.version} has no phase ${state.phaseIndex}`);
  return phase;
}

export function instrumentOf(pack: RulePack, symbol: string): Instrument {
  const instrument = pack.instruments.find((candidate) => candidate.symbol === symbol);
  if (instrument === undefined) throw new AccountInputError(`the pack does not trade ${symbol}`);
  return instrument;
}

/** Bid and ask around a quoted mid price. */
export function quote(instrument: Instrument, price: string): { bid: bigint; ask: bigint } {
  const mid = parseDecimal(price);
  const half = parseDecimal(instrument.halfSpread);
  return { bid: mid - half, ask: mid + half };
}

/** Commission for one fill of `quantity` (scaled), rounded up to a whole minor unit. */
export function commissionFor(instrument: Instrument, quantity: bigint): bigint {
  return ceilDiv(quantity * BigInt(instrument.commissionPerUnitMinor), parseDecimal('1'));
}

/** A position's floating P/L at the executable side of its symbol's last price (0 before any price). */
export function floatingPnlMinor(position: Position, pack: RulePack, marks: Record<string, Mark>, currency: string): bigint {
  const mark = marks[position.symbol];
  if (mark === undefined) return 0n;
  const instrument = instrumentOf(pack, position.symbol);
  const { bid, ask } = quote(instrument, mark.price);
  const entry = parseDecimal(position.entryPrice);
  const delta = position.side === 'long' ? bid - entry : entry - ask;
  return valueMinor(delta, parseDecimal(position.quantity), parseDecimal(instrument.contractSize), currency);
}

/** The value of `basis` now. */
export function basisValueMinor(state: AccountState, basis: 'balance' | 'equity'): bigint {
  return BigInt(basis === 'balance' ? state.balanceMinor : state.equityMinor);
}

/** Today's daily-loss reference, limit and floor under `rule`. */
export function dailyLossFigures(state: AccountState, rule: RuleOf<'daily-loss'>): { referenceMinor: bigint; limitMinor: bigint; floorMinor: bigint } {
  const startBalance = BigInt(state.today.startBalanceMinor);
  const startEquity = BigInt(state.today.startEquityMinor);
  const referenceMinor = rule.reference === 'previous-close-balance' ? startBalance : startBalance > startEquity ? startBalance : startEquity;
  const limit = limitMinor(rule.limit, BigInt(state.initialBalanceMinor), startBalance);
  return { referenceMinor, limitMinor: limit, floorMinor: referenceMinor - limit };
}

/** The maximum-loss reference (initial balance or the high it trails), limit and floor under `rule`. */
export function maxLossFigures(state: AccountState, rule: RuleOf<'max-loss'>): { referenceMinor: bigint; limitMinor: bigint; floorMinor: bigint } {
  const initial = BigInt(state.initialBalanceMinor);
  let referenceMinor: bigint;
  switch (rule.mode) {
    case 'static':
      referenceMinor = initial;
      break;
    case 'trailing-end-of-day':
      referenceMinor = BigInt(state.endOfDayHighMinor);
      break;
    case 'trailing-intraday-equity':
      referenceMinor = BigInt(state.equityHighMinor);
      break;
    default:
      return assertNever(rule.mode);
  }
  const limit = limitMinor(rule.limit, initial);
  let floorMinor = referenceMinor - limit;
  const lock = initial + BigInt(rule.lockOffsetMinor);
  if (rule.mode !== 'static' && rule.lockAtInitialBalance && floorMinor > lock) floorMinor = lock;
  return { referenceMinor, limitMinor: limit, floorMinor };
}

/** Whether a day with these figures counts towards the minimum trading days. */
export function countsAsTradingDay(day: DayRecord, rule: RuleOf<'min-trading-days'>): boolean {
  switch (rule.countsWhen.kind) {
    case 'any-fill':
      return day.fills > 0;
    case 'position-opened':
      return day.positionsOpened > 0;
    case 'min-profit':
      return BigInt(day.balanceMinor) - BigInt(day.startBalanceMinor) >= BigInt(rule.countsWhen.amountMinor);
    default:
      return assertNever(rule.countsWhen);
  }
}

/** The instant the phase's time limit ends, if it has one. */
export function deadlineMs(state: AccountState, pack: RulePack): number | undefined {
  const rule = ruleOf(currentPhase(state, pack), 'time-limit');
  return rule === undefined ? undefined : state.phaseStartedAtMs + rule.days * DAY_MS;
}

export function isClosed(state: AccountState): boolean {
  return state.status === 'passed' || state.status === 'failed';
}

// ---------------------------------------------------------------------------------------------------
// Internals: a step copies the state once, then mutates only its own copy.

function begin(state: AccountState, pack: RulePack, atMs: number): AccountStep {
  if (state.tierId !== pack.tierId || state.packVersion !== pack.version) {
    throw new AccountInputError(`the account belongs to ${state.tierId} v${state.packVersion}, not ${pack.tierId} v${pack.version}`);
  }
  const work: AccountStep = { state: { ...state, today: { ...state.today }, closedDays: { ...state.closedDays } }, outcomes: [] };
  if (!isClosed(state)) rollDays(work, pack, atMs);
  work.state.lastEventAtMs = Math.max(state.lastEventAtMs, atMs);
  return work;
}

function newDay(day: DayKey, balance: bigint, equity: bigint): DayRecord {
  const b = balance.toString();
  const e = equity.toString();
  return { day, startBalanceMinor: b, startEquityMinor: e, balanceMinor: b, equityMinor: e, lowEquityMinor: e, highEquityMinor: e, fills: 0, positionsOpened: 0 };
}

/** Closes today, and any empty days after it, until the trading day containing `atMs`. */
function rollDays(work: AccountStep, pack: RulePack, atMs: number): void {
  const target = tradingDayOf(pack.tradingDay, atMs);
  const state = work.state;
  if (target <= state.today.day) return;
  const phase = currentPhase(state, pack);
  const closed = withFloors(state, phase, { ...state.today });
  const dayPnl = BigInt(closed.balanceMinor) - BigInt(closed.startBalanceMinor);
  const minDays = ruleOf(phase, 'min-trading-days');
  state.closedDays = {
    count: state.closedDays.count + 1,
    countedTradingDays: state.closedDays.countedTradingDays + (minDays !== undefined && countsAsTradingDay(closed, minDays) ? 1 : 0),
    bestDayPnlMinor: (dayPnl > BigInt(state.closedDays.bestDayPnlMinor) ? dayPnl : BigInt(state.closedDays.bestDayPnlMinor)).toString(),
  };
  state.days = [...state.days, closed].slice(-DAY_HISTORY_MAX);
  if (BigInt(state.balanceMinor) > BigInt(state.endOfDayHighMinor)) state.endOfDayHighMinor = state.balanceMinor;
  work.outcomes.push({ kind: 'day-closed', day: closed });
  // Days with no event in between start and end at the same figures; only the new current day matters.
  state.today = newDay(target, BigInt(state.balanceMinor), BigInt(state.equityMinor));
  state.warningsRaised = state.warningsRaised.filter((key) => !key.startsWith('daily-loss:'));
  if (state.status === 'paused' && state.pausedUntilDay !== null && state.pausedUntilDay <= target) {
    setStatus(work, 'active');
    state.pausedUntilDay = null;
  }
}

function withFloors(state: AccountState, phase: Phase, day: DayRecord): DayRecord {
  const daily = ruleOf(phase, 'daily-loss');
  const max = ruleOf(phase, 'max-loss');
  if (daily !== undefined) day.dailyFloorMinor = dailyLossFigures(state, daily).floorMinor.toString();
  if (max !== undefined) day.maxLossFloorMinor = maxLossFigures(state, max).floorMinor.toString();
  return day;
}

function openPosition(work: AccountStep, pack: RulePack, fill: Extract<Fill, { kind: 'open' }>): void {
  const state = work.state;
  const instrument = instrumentOf(pack, fill.symbol);
  const quantity = parseDecimal(fill.quantity);
  const price = parseDecimal(fill.price);
  if (quantity <= 0n) throw new AccountInputError(`fill ${fill.fillId} has a quantity of ${fill.quantity}`);
  if (price < 0n) throw new AccountInputError(`fill ${fill.fillId} has a negative price`);
  if (state.positions.some((position) => position.id === fill.fillId)) throw new AccountInputError(`position ${fill.fillId} is already open`);
  if (state.positions.length >= OPEN_POSITIONS_MAX) throw new AccountInputError(`an account holds at most ${OPEN_POSITIONS_MAX} open positions`);
  checkStops(fill.side, price, fill.stopLoss, fill.takeProfit, fill.fillId);
  const commission = BigInt(fill.commissionMinor);
  const position: Position = {
    id: fill.fillId,
    symbol: instrument.symbol,
    side: fill.side,
    quantity: fill.quantity,
    entryPrice: fill.price,
    openedAtMs: fill.atMs,
    openCommissionMinor: commission.toString(),
    ...(fill.stopLoss === undefined ? {} : { stopLoss: fill.stopLoss }),
    ...(fill.takeProfit === undefined ? {} : { takeProfit: fill.takeProfit }),
  };
  const balanceBefore = BigInt(state.balanceMinor);
  state.positions = [...state.positions, position];
  state.balanceMinor = (balanceBefore - commission).toString();
  state.today.positionsOpened += 1;
  checkPositionRules(work, pack, position, balanceBefore);
}

/** A stop-loss must sit on the losing side of the entry and a take-profit on the winning side. */
export function checkStops(side: Side, entry: bigint, stopLoss: string | undefined, takeProfit: string | undefined, id: string): void {
  const direction = side === 'long' ? 1n : -1n;
  if (stopLoss !== undefined && (parseDecimal(stopLoss) - entry) * direction >= 0n) {
    throw new AccountInputError(`position ${id}: a ${side} stop-loss must be ${side === 'long' ? 'below' : 'above'} the entry price`);
  }
  if (takeProfit !== undefined && (parseDecimal(takeProfit) - entry) * direction <= 0n) {
    throw new AccountInputError(`position ${id}: a ${side} take-profit must be ${side === 'long' ? 'above' : 'below'} the entry price`);
  }
}

/** The loss in minor units if the position is closed at its stop-loss (rounded up), or undefined without one. */
export function riskAtStopMinor(position: Pick<Position, 'side' | 'quantity' | 'entryPrice' | 'stopLoss'>, instrument: Instrument, currency: string): bigint | undefined {
  if (position.stopLoss === undefined) return undefined;
  const distance = parseDecimal(position.entryPrice) - parseDecimal(position.stopLoss);
  const adverse = position.side === 'long' ? distance : -distance;
  return -valueMinor(-adverse, parseDecimal(position.quantity), parseDecimal(instrument.contractSize), currency);
}

/** Risk per trade, open positions and position size, for a position just opened by an executed fill. */
function checkPositionRules(work: AccountStep, pack: RulePack, position: Position, balanceBefore: bigint): void {
  for (const violation of positionRuleBreaches(work.state, pack, position, balanceBefore, position.openedAtMs)) {
    record(work, pack, violation.severity === 'hard' ? { ...violation, consequence: 'phase-failed' } : { ...violation, consequence: 'account-paused' });
  }
}

/**
 * The pre-trade rules `position` breaks when added to `state` (its positions already including it or
 * not: the count is taken with it). Used for fills already executed and for orders not yet placed.
 */
export function positionRuleBreaches(state: AccountState, pack: RulePack, position: Position, balanceMinor: bigint, atMs: number): Violation[] {
  const phase = currentPhase(state, pack);
  const instrument = instrumentOf(pack, position.symbol);
  const day = state.today.day;
  const breaches: Violation[] = [];
  const risk = ruleOf(phase, 'risk-per-trade');
  if (risk !== undefined) {
    const allowed = (balanceMinor * BigInt(risk.maxBps)) / BPS;
    const atStop = riskAtStopMinor(position, instrument, pack.currency);
    if (atStop === undefined || atStop > allowed + BigInt(risk.toleranceMinor)) {
      breaches.push({
        rule: 'risk-per-trade', severity: risk.severity, consequence: 'order-refused', atMs, day, unit: 'minor',
        measured: atStop === undefined ? 'no-stop-loss' : atStop.toString(), threshold: allowed.toString(),
        referenceMinor: balanceMinor.toString(), toleranceMinor: risk.toleranceMinor, symbol: position.symbol, positionId: position.id,
      });
    }
  }
  const others = state.positions.filter((open) => open.id !== position.id);
  const maxOpen = ruleOf(phase, 'max-open-positions');
  if (maxOpen !== undefined && others.length + 1 > maxOpen.count) {
    breaches.push({ rule: 'max-open-positions', severity: maxOpen.severity, consequence: 'order-refused', atMs, day, unit: 'count', measured: String(others.length + 1), threshold: String(maxOpen.count), symbol: position.symbol, positionId: position.id });
  }
  const maxSize = ruleOf(phase, 'max-position-size');
  if (maxSize !== undefined) {
    const total = others.filter((open) => open.symbol === position.symbol).reduce((sum, open) => sum + parseDecimal(open.quantity), parseDecimal(position.quantity));
    if (total > parseDecimal(maxSize.quantity)) {
      breaches.push({ rule: 'max-position-size', severity: maxSize.severity, consequence: 'order-refused', atMs, day, unit: 'quantity', measured: formatDecimal(total), threshold: maxSize.quantity, symbol: position.symbol, positionId: position.id });
    }
  }
  return breaches;
}

function closePosition(work: AccountStep, pack: RulePack, positionId: string, quantity: bigint, price: string, commission: bigint, atMs: number, closeId: string, reason: CloseReason): void {
  const state = work.state;
  const position = state.positions.find((candidate) => candidate.id === positionId);
  if (position === undefined) throw new AccountInputError(`no open position ${positionId}`);
  const held = parseDecimal(position.quantity);
  if (quantity <= 0n || quantity > held) throw new AccountInputError(`cannot close ${formatDecimal(quantity)} of position ${positionId}, which holds ${position.quantity}`);
  const exit = parseDecimal(price);
  const instrument = instrumentOf(pack, position.symbol);
  const entry = parseDecimal(position.entryPrice);
  const gross = valueMinor(position.side === 'long' ? exit - entry : entry - exit, quantity, parseDecimal(instrument.contractSize), pack.currency);
  // The opening commission is attributed to closed trades in proportion to the quantity closed.
  const openCommission = BigInt(position.openCommissionMinor);
  const openShare = quantity === held ? openCommission : floorDiv(openCommission * quantity, held);
  state.balanceMinor = (BigInt(state.balanceMinor) + gross - commission).toString();
  state.positions = quantity === held
    ? state.positions.filter((candidate) => candidate.id !== positionId)
    : state.positions.map((candidate) => candidate.id === positionId ? { ...candidate, quantity: formatDecimal(held - quantity), openCommissionMinor: (openCommission - openShare).toString() } : candidate);
  const trade: ClosedTrade = {
    positionId, closeId, symbol: position.symbol, side: position.side, quantity: formatDecimal(quantity), entryPrice: position.entryPrice,
    exitPrice: formatDecimal(exit), openedAtMs: position.openedAtMs, closedAtMs: atMs, grossPnlMinor: gross.toString(),
    commissionMinor: (openShare + commission).toString(), netPnlMinor: (gross - openShare - commission).toString(), reason,
  };
  work.outcomes.push({ kind: 'trade-closed', trade });
}

/** Whether the price crosses the position's stop-loss or take-profit, and the executable exit price. */
function triggeredExit(position: Position, instrument: Instrument, price: string): { reason: 'stop-loss' | 'take-profit'; price: string } | undefined {
  const { bid, ask } = quote(instrument, price);
  const exit = position.side === 'long' ? bid : ask;
  const sign = position.side === 'long' ? 1n : -1n;
  // A gap through the level closes at the price that can be had, not at the level.
  if (position.stopLoss !== undefined && (exit - parseDecimal(position.stopLoss)) * sign <= 0n) return { reason: 'stop-loss', price: formatDecimal(exit) };
  if (position.takeProfit !== undefined && (exit - parseDecimal(position.takeProfit)) * sign >= 0n) return { reason: 'take-profit', price: formatDecimal(exit) };
  return undefined;
}

/** Closes every open position at its executable price (a breach's consequence or an ops stop). */
function liquidate(work: AccountStep, pack: RulePack, atMs: number): void {
  for (const position of work.state.positions) {
    const mark = work.state.marks[position.symbol];
    if (mark === undefined) continue;
    const instrument = instrumentOf(pack, position.symbol);
    const { bid, ask } = quote(instrument, mark.price);
    const quantity = parseDecimal(position.quantity);
    closePosition(work, pack, position.id, quantity, formatDecimal(position.side === 'long' ? bid : ask), commissionFor(instrument, quantity), atMs, `${position.id}:liquidation`, 'liquidation');
  }
  markEquity(work.state, pack);
}

function markEquity(state: AccountState, pack: RulePack): void {
  const floating = state.positions.reduce((sum, position) => sum + floatingPnlMinor(position, pack, state.marks, pack.currency), 0n);
  const equity = BigInt(state.balanceMinor) + floating;
  state.equityMinor = equity.toString();
  if (equity > BigInt(state.equityHighMinor)) state.equityHighMinor = state.equityMinor;
  const today = state.today;
  today.balanceMinor = state.balanceMinor;
  today.equityMinor = state.equityMinor;
  if (equity < BigInt(today.lowEquityMinor)) today.lowEquityMinor = state.equityMinor;
  if (equity > BigInt(today.highEquityMinor)) today.highEquityMinor = state.equityMinor;
}

/** After a step's own change: mark equity, check the loss limits and the time limit, then the objectives. */
function finish(work: AccountStep, pack: RulePack, atMs: number): void {
  markEquity(work.state, pack);
  checkLossLimits(work, pack, atMs);
  checkTimeLimit(work, pack, atMs);
  if (work.state.status === 'active' && objectivesMet(work.state, pack)) setStatus(work, 'passed');
  work.state.today = withFloors(work.state, currentPhase(work.state, pack), work.state.today);
}

function checkLossLimits(work: AccountStep, pack: RulePack, atMs: number): void {
  const state = work.state;
  if (isClosed(state)) return;
  const phase = currentPhase(state, pack);
  const day = state.today.day;
  const daily = ruleOf(phase, 'daily-loss');
  const max = ruleOf(phase, 'max-loss');
  const checks: { rule: RuleOf<'daily-loss'> | RuleOf<'max-loss'>; figures: ReturnType<typeof dailyLossFigures>; warningKey: string }[] = [];
  if (max !== undefined) checks.push({ rule: max, figures: maxLossFigures(state, max), warningKey: 'max-loss' });
  // A paused account has already answered for today's daily loss.
  if (daily !== undefined && state.status === 'active') checks.push({ rule: daily, figures: dailyLossFigures(state, daily), warningKey: `daily-loss:${day}` });
  for (const { rule, figures, warningKey } of checks) {
    // A paused account has answered for its soft breach; only a hard limit can still end the phase.
    if (state.status === 'paused' && rule.severity === 'soft') continue;
    const value = basisValueMinor(state, rule.basis);
    if (value < figures.floorMinor - BigInt(rule.toleranceMinor)) {
      record(work, pack, {
        rule: rule.type, severity: rule.severity, consequence: rule.severity === 'hard' ? 'phase-failed' : 'account-paused', atMs, day, unit: 'minor',
        measured: value.toString(), threshold: figures.floorMinor.toString(), basis: rule.basis, referenceMinor: figures.referenceMinor.toString(),
        limitMinor: figures.limitMinor.toString(), toleranceMinor: rule.toleranceMinor,
      });
      if (isClosed(state)) return;
      continue;
    }
    // Warn once when 80 % of the room between the reference and the floor is used.
    const used = figures.referenceMinor - value;
    if (used * 10n >= figures.limitMinor * 8n && !state.warningsRaised.includes(warningKey)) {
      state.warningsRaised = [...state.warningsRaised, warningKey];
      work.outcomes.push({ kind: 'warning', warning: { rule: rule.type, atMs, day, usedMinor: used.toString(), limitMinor: figures.limitMinor.toString() } });
    }
  }
}

function checkTimeLimit(work: AccountStep, pack: RulePack, atMs: number): void {
  const deadline = deadlineMs(work.state, pack);
  if (deadline === undefined || isClosed(work.state) || atMs < deadline || objectivesMet(work.state, pack)) return;
  const rule = ruleOf(currentPhase(work.state, pack), 'time-limit')!;
  record(work, pack, { rule: 'time-limit', severity: 'hard', consequence: 'phase-failed', atMs, day: work.state.today.day, unit: 'days', measured: String(rule.days), threshold: String(rule.days) });
}

/** Records a breach and applies its consequence: a hard one fails the phase, a soft one pauses trading. */
function record(work: AccountStep, pack: RulePack, violation: Violation): void {
  const state = work.state;
  state.violations = [...state.violations, violation].slice(-VIOLATIONS_MAX);
  work.outcomes.push({ kind: 'violation', violation });
  switch (violation.consequence) {
    case 'phase-failed':
      liquidate(work, pack, violation.atMs);
      setStatus(work, 'failed');
      break;
    case 'account-paused':
      // A soft equity breach closes the positions. Trading resumes the next trading day, except after a
      // soft maximum-loss breach: the account is below its floor for good, so ops decide.
      if (violation.rule === 'daily-loss' || violation.rule === 'max-loss') liquidate(work, pack, violation.atMs);
      state.pausedUntilDay = violation.rule === 'max-loss' ? null : addDays(state.today.day, 1);
      if (state.status !== 'paused') setStatus(work, 'paused');
      break;
    case 'order-refused':
      break;
    default:
      assertNever(violation.consequence);
  }
}

function setStatus(work: AccountStep, status: AccountStatus): void {
  work.state.status = status;
  work.outcomes.push({ kind: 'status', status });
}

// ---------------------------------------------------------------------------------------------------
// Objectives

export interface ObjectiveProgress {
  rule: 'profit-target' | 'min-trading-days' | 'consistency';
  met: boolean;
  /** Where the account stands and what is required, in `unit`. */
  current: string;
  required: string;
  unit: 'minor' | 'days' | 'bps';
}

/** Trading days counted so far in the phase, today included when it already qualifies. */
export function countedTradingDays(state: AccountState, rule: RuleOf<'min-trading-days'>): number {
  return state.closedDays.countedTradingDays + (countsAsTradingDay(state.today, rule) ? 1 : 0);
}

/** The best single day's profit in the phase, today included. */
export function bestDayPnlMinor(state: AccountState): bigint {
  const today = BigInt(state.today.balanceMinor) - BigInt(state.today.startBalanceMinor);
  const best = BigInt(state.closedDays.bestDayPnlMinor);
  return today > best ? today : best;
}

export function objectiveProgress(state: AccountState, pack: RulePack): ObjectiveProgress[] {
  const phase = currentPhase(state, pack);
  const progress: ObjectiveProgress[] = [];
  const initial = BigInt(state.initialBalanceMinor);
  const profit = BigInt(state.balanceMinor) - initial;
  const target = ruleOf(phase, 'profit-target');
  if (target !== undefined) {
    const required = limitMinor(target.target, initial);
    const measured = target.requireFlat ? profit : BigInt(state.equityMinor) - initial;
    const flatEnough = !target.requireFlat || state.positions.length === 0;
    progress.push({ rule: 'profit-target', met: measured >= required && flatEnough, current: measured.toString(), required: required.toString(), unit: 'minor' });
  }
  const minDays = ruleOf(phase, 'min-trading-days');
  if (minDays !== undefined) {
    const counted = countedTradingDays(state, minDays);
    progress.push({ rule: 'min-trading-days', met: counted >= minDays.days, current: String(counted), required: String(minDays.days), unit: 'days' });
  }
  const consistency = ruleOf(phase, 'consistency');
  if (consistency !== undefined) {
    // The best day's share of total profit, in basis points; no profit yet means not met.
    const best = bestDayPnlMinor(state);
    const shareBps = profit > 0n ? ceilDiv(best * BPS, profit) : BPS;
    progress.push({ rule: 'consistency', met: profit > 0n && best * BPS < profit * BigInt(consistency.bestDayShareBelowBps), current: shareBps.toString(), required: String(consistency.bestDayShareBelowBps), unit: 'bps' });
  }
  return progress;
}

/** Whether the phase is passed: a phase with objectives, every one met. A funded phase never passes. */
export function objectivesMet(state: AccountState, pack: RulePack): boolean {
  if (currentPhase(state, pack).kind === 'funded') return false;
  return objectiveProgress(state, pack).every((objective) => objective.met);
}

/** The first day of the phase, for counting calendar days. */
export function phaseStartDay(state: AccountState, pack: RulePack): DayKey {
  return tradingDayOf(pack.tradingDay, state.phaseStartedAtMs);
}

/** When the current trading day began. */
export function todayStartedAtMs(state: AccountState, pack: RulePack): number {
  return dayStartMs(pack.tradingDay, state.today.day);
}
