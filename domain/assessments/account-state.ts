// The shape of an assessment's virtual account: a small JSON-safe state (it crosses the Temporal wall),
// the events that move it and what each step reports. Money is canonical decimal strings of minor units;
// prices and quantities are exact decimal strings; instants are epoch milliseconds.
import { type RuleType, type Severity } from './rule-pack';
import { type DayKey } from './trading-day';

/** The most positions one account may hold open; a pack's max-open-positions rule may ask for fewer. */
export const OPEN_POSITIONS_MAX = 200;

/** How many closed trading days the state keeps for the equity curve; rules use running aggregates. */
export const DAY_HISTORY_MAX = 120;

/** How many violations the state keeps (a hard one ends the phase, so only soft ones accumulate). */
export const VIOLATIONS_MAX = 50;

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

/** One event of an assessment's history, for replaying it in one batch. */
export type AccountEvent =
  ({ kind: 'fill' } & { fill: Fill }) | { kind: 'tick'; tick: Tick } | { kind: 'charge'; charge: Charge } | { kind: 'day-close'; atMs: number };

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

export function isClosed(state: AccountState): boolean {
  return state.status === 'passed' || state.status === 'failed';
}
