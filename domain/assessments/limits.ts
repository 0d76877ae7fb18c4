// The pack's limits read from an account: today's daily-loss floor, the maximum-loss floor (static or
// trailing, with its lock), what counts as a trading day, the phase deadline, and the pre-trade rules a
// new position would break. Pure reads; the steps in account.ts act on them.
import { assertNever } from '../pools/pool-lifecycle';
import { formatDecimal, parseDecimal } from './decimal';
import { AccountInputError, type AccountState, type DayRecord, type Position, type Violation } from './account-state';
import { instrumentOf, riskAtStopMinor } from './market';
import { limitMinor, ruleOf, type Phase, type RulePack, type RuleOf } from './rule-pack';

const DAY_MS = 86_400_000;
const BPS = 10_000n;

export function currentPhase(state: AccountState, pack: RulePack): Phase {
  const phase = pack.phases[state.phaseIndex];
  if (phase === undefined) throw new AccountInputError(`pack ${pack.tierId} v${pack.version} has no phase ${state.phaseIndex}`);
  return phase;
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

/**
 * The pre-trade rules `position` breaks when added to `state` (its positions already including it or
 * not: the count is taken with it). Used for fills already executed and for orders not yet placed.
 */
export function positionRuleBreaches(state: AccountState, pack: RulePack, position: Position, balanceMinor: bigint, atMs: number): Violation[] {
  const phase = currentPhase(state, pack);
  const instrument = instrumentOf(pack, position.symbol);
  const day = state.today.day;
  const breaches: Violation[] = [];
  const others = state.positions.filter((open) => open.id !== position.id);
  const risk = ruleOf(phase, 'risk-per-trade');
  if (risk !== undefined) {
    const allowed = (balanceMinor * BigInt(risk.maxBps)) / BPS;
    const counted = risk.scope === 'symbol' ? [position, ...others.filter((open) => open.symbol === position.symbol)] : [position];
    // Without a stop-loss on any counted position the risk is unbounded.
    const atStop = counted.reduce<bigint | undefined>((sum, open) => {
      const one = riskAtStopMinor(open, instrument, pack.currency);
      return sum === undefined || one === undefined ? undefined : sum + one;
    }, 0n);
    if (atStop === undefined || atStop > allowed + BigInt(risk.toleranceMinor)) {
      breaches.push({
        rule: 'risk-per-trade',
        severity: risk.severity,
        consequence: 'order-refused',
        atMs,
        day,
        unit: 'minor',
        measured: atStop === undefined ? 'no-stop-loss' : atStop.toString(),
        threshold: allowed.toString(),
        referenceMinor: balanceMinor.toString(),
        toleranceMinor: risk.toleranceMinor,
        symbol: position.symbol,
        positionId: position.id,
      });
    }
  }
  const maxOpen = ruleOf(phase, 'max-open-positions');
  if (maxOpen !== undefined && others.length + 1 > maxOpen.count) {
    breaches.push({
      rule: 'max-open-positions',
      severity: maxOpen.severity,
      consequence: 'order-refused',
      atMs,
      day,
      unit: 'count',
      measured: String(others.length + 1),
      threshold: String(maxOpen.count),
      symbol: position.symbol,
      positionId: position.id,
    });
  }
  const maxSize = ruleOf(phase, 'max-position-size');
  if (maxSize !== undefined) {
    const total = others
      .filter((open) => open.symbol === position.symbol)
      .reduce((sum, open) => sum + parseDecimal(open.quantity), parseDecimal(position.quantity));
    if (total > parseDecimal(maxSize.quantity)) {
      breaches.push({
        rule: 'max-position-size',
        severity: maxSize.severity,
        consequence: 'order-refused',
        atMs,
        day,
        unit: 'quantity',
        measured: formatDecimal(total),
        threshold: maxSize.quantity,
        symbol: position.symbol,
        positionId: position.id,
      });
    }
  }
  return breaches;
}
