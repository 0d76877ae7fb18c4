// The pure steps that move the virtual account of one assessment phase: a fill, a price tick, a swap
// charge, a day close; and creating, advancing, resuming and stopping it. Every step checks the pack's
// limits on the spot, so a breach by price alone is caught on the tick that causes it.
import { parseMinor } from '../core/money';
import { assertNever } from '../pools/pool-lifecycle';
import { floorDiv, formatDecimal, parseDecimal, valueMinor } from './decimal';
import {
  AccountInputError,
  isClosed,
  OPEN_POSITIONS_MAX,
  DAY_HISTORY_MAX,
  VIOLATIONS_MAX,
  type AccountEvent,
  type AccountState,
  type AccountStatus,
  type AccountStep,
  type Charge,
  type CloseReason,
  type ClosedTrade,
  type DayRecord,
  type Fill,
  type Outcome,
  type PhaseSummary,
  type Position,
  type Tick,
  type Violation,
} from './account-state';
import { basisValueMinor, countsAsTradingDay, currentPhase, dailyLossFigures, deadlineMs, maxLossFigures, positionRuleBreaches } from './limits';
import { commissionFor, checkStops, floatingPnlMinor, instrumentOf, quote, triggeredExit } from './market';
import { objectivesMet } from './objectives';
import { ruleOf, type Phase, type RulePack, type RuleOf } from './rule-pack';
import { addDays, dayEndMs, tradingDayOf, type DayKey } from './trading-day';

// The state's shape lives in account-state.ts; it is re-exported so callers import an account from one place.
export * from './account-state';

/** How many finished phases the state remembers. */
const PHASE_HISTORY_MAX = 8;

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
  if (fill.atMs < state.lastEventAtMs)
    throw new AccountInputError(`fill ${fill.fillId} at ${fill.atMs} is older than the account's last event (${state.lastEventAtMs})`);
  const work = begin(state, pack, fill.atMs);
  if (isClosed(work.state)) throw new AccountInputError(`the phase is ${work.state.status}; it takes no more fills`);
  switch (fill.kind) {
    case 'open':
      openPosition(work, pack, fill);
      break;
    case 'close':
      closePosition(work, pack, fill.positionId, parseDecimal(fill.quantity), fill.price, parseMinor(fill.commissionMinor), fill.atMs, fill.fillId, 'fill');
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
    closePosition(
      work,
      pack,
      position.id,
      parseDecimal(position.quantity),
      trigger.price,
      commission,
      tick.atMs,
      `${position.id}:${trigger.reason}`,
      trigger.reason,
    );
  }
  finish(work, pack, tick.atMs);
  return work;
}

/** Books a swap or other charge to the balance. */
export function applyCharge(state: AccountState, pack: RulePack, charge: Charge): AccountStep {
  if (charge.atMs < state.lastEventAtMs) throw new AccountInputError(`charge ${charge.chargeId} is older than the account's last event`);
  if (isClosed(state)) return { state, outcomes: [] };
  const work = begin(state, pack, charge.atMs);
  work.state.balanceMinor = (BigInt(work.state.balanceMinor) - parseMinor(charge.amountMinor)).toString();
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
  return {
    day,
    startBalanceMinor: b,
    startEquityMinor: e,
    balanceMinor: b,
    equityMinor: e,
    lowEquityMinor: e,
    highEquityMinor: e,
    fills: 0,
    positionsOpened: 0,
  };
}

/** Closes today, and any empty days after it, until the trading day containing `atMs`. */
function rollDays(work: AccountStep, pack: RulePack, atMs: number): void {
  const state = work.state;
  if (atMs < dayEndMs(pack.tradingDay, state.today.day)) return;
  const target = tradingDayOf(pack.tradingDay, atMs);
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
  const commission = parseMinor(fill.commissionMinor);
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

/** Risk per trade, open positions and position size, for a position just opened by an executed fill. */
function checkPositionRules(work: AccountStep, pack: RulePack, position: Position, balanceBefore: bigint): void {
  for (const violation of positionRuleBreaches(work.state, pack, position, balanceBefore, position.openedAtMs)) {
    record(work, pack, violation.severity === 'hard' ? { ...violation, consequence: 'phase-failed' } : { ...violation, consequence: 'account-paused' });
  }
}

function closePosition(
  work: AccountStep,
  pack: RulePack,
  positionId: string,
  quantity: bigint,
  price: string,
  commission: bigint,
  atMs: number,
  closeId: string,
  reason: CloseReason,
): void {
  const state = work.state;
  const position = state.positions.find((candidate) => candidate.id === positionId);
  if (position === undefined) throw new AccountInputError(`no open position ${positionId}`);
  const held = parseDecimal(position.quantity);
  if (quantity <= 0n || quantity > held)
    throw new AccountInputError(`cannot close ${formatDecimal(quantity)} of position ${positionId}, which holds ${position.quantity}`);
  const exit = parseDecimal(price);
  const instrument = instrumentOf(pack, position.symbol);
  const entry = parseDecimal(position.entryPrice);
  const gross = valueMinor(position.side === 'long' ? exit - entry : entry - exit, quantity, parseDecimal(instrument.contractSize), pack.currency);
  // The opening commission is attributed to closed trades in proportion to the quantity closed.
  const openCommission = BigInt(position.openCommissionMinor);
  const openShare = quantity === held ? openCommission : floorDiv(openCommission * quantity, held);
  state.balanceMinor = (BigInt(state.balanceMinor) + gross - commission).toString();
  state.positions =
    quantity === held
      ? state.positions.filter((candidate) => candidate.id !== positionId)
      : state.positions.map((candidate) =>
          candidate.id === positionId
            ? { ...candidate, quantity: formatDecimal(held - quantity), openCommissionMinor: (openCommission - openShare).toString() }
            : candidate,
        );
  const trade: ClosedTrade = {
    positionId,
    closeId,
    symbol: position.symbol,
    side: position.side,
    quantity: formatDecimal(quantity),
    entryPrice: position.entryPrice,
    exitPrice: formatDecimal(exit),
    openedAtMs: position.openedAtMs,
    closedAtMs: atMs,
    grossPnlMinor: gross.toString(),
    commissionMinor: (openShare + commission).toString(),
    netPnlMinor: (gross - openShare - commission).toString(),
    reason,
  };
  work.outcomes.push({ kind: 'trade-closed', trade });
}

/** Closes every open position at its executable price (a breach's consequence or an ops stop). */
function liquidate(work: AccountStep, pack: RulePack, atMs: number): void {
  for (const position of work.state.positions) {
    const mark = work.state.marks[position.symbol];
    if (mark === undefined) continue;
    const instrument = instrumentOf(pack, position.symbol);
    const { bid, ask } = quote(instrument, mark.price);
    const quantity = parseDecimal(position.quantity);
    closePosition(
      work,
      pack,
      position.id,
      quantity,
      formatDecimal(position.side === 'long' ? bid : ask),
      commissionFor(instrument, quantity),
      atMs,
      `${position.id}:liquidation`,
      'liquidation',
    );
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
        rule: rule.type,
        severity: rule.severity,
        consequence: rule.severity === 'hard' ? 'phase-failed' : 'account-paused',
        atMs,
        day,
        unit: 'minor',
        measured: value.toString(),
        threshold: figures.floorMinor.toString(),
        basis: rule.basis,
        referenceMinor: figures.referenceMinor.toString(),
        limitMinor: figures.limitMinor.toString(),
        toleranceMinor: rule.toleranceMinor,
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
  record(work, pack, {
    rule: 'time-limit',
    severity: 'hard',
    consequence: 'phase-failed',
    atMs,
    day: work.state.today.day,
    unit: 'days',
    measured: String(rule.days),
    threshold: String(rule.days),
  });
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
