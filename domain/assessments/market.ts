// Instruments and prices: the bid and ask around a quoted price, commissions, floating P/L at the
// executable side, the loss at a stop-loss, and which stop-loss or take-profit a price crosses.
import { ceilDiv, DECIMAL_SCALE, formatDecimal, parseDecimal, valueMinor } from './decimal';
import { AccountInputError, type Mark, type Position, type Side } from './account-state';
import { type Instrument, type RulePack } from './rule-pack';

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
  return ceilDiv(quantity * BigInt(instrument.commissionPerUnitMinor), DECIMAL_SCALE);
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
export function riskAtStopMinor(
  position: Pick<Position, 'side' | 'quantity' | 'entryPrice' | 'stopLoss'>,
  instrument: Instrument,
  currency: string,
): bigint | undefined {
  if (position.stopLoss === undefined) return undefined;
  const distance = parseDecimal(position.entryPrice) - parseDecimal(position.stopLoss);
  const adverse = position.side === 'long' ? distance : -distance;
  return -valueMinor(-adverse, parseDecimal(position.quantity), parseDecimal(instrument.contractSize), currency);
}

/** Whether the price crosses the position's stop-loss or take-profit, and the executable exit price. */
export function triggeredExit(position: Position, instrument: Instrument, price: string): { reason: 'stop-loss' | 'take-profit'; price: string } | undefined {
  const { bid, ask } = quote(instrument, price);
  const exit = position.side === 'long' ? bid : ask;
  const sign = position.side === 'long' ? 1n : -1n;
  // A gap through the level closes at the price that can be had, not at the level.
  if (position.stopLoss !== undefined && (exit - parseDecimal(position.stopLoss)) * sign <= 0n) return { reason: 'stop-loss', price: formatDecimal(exit) };
  if (position.takeProfit !== undefined && (exit - parseDecimal(position.takeProfit)) * sign >= 0n)
    return { reason: 'take-profit', price: formatDecimal(exit) };
  return undefined;
}
