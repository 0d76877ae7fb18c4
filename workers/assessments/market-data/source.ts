// The source interface every price feed implements (the synthetic feed, the replay of a recorded file,
// and any real exchange adapter): an async stream of ticks that ends when the feed ends or is aborted.
import { isDecimal } from '../../../domain/assessments/decimal';

/** One observed price: the symbol, the price as an exact decimal string, and when it was observed. */
export interface Tick {
  symbol: string;
  price: string;
  atMs: number;
}

export interface PriceSource {
  /** Shown in logs: `synthetic(seed=…)`, `replay(file)`, `binance-ws`, … */
  readonly name: string;
  /** The ticks, in order; the stream ends on `signal` abort or when the source has no more. */
  ticks(signal: AbortSignal): AsyncIterable<Tick>;
}

/** Symbols are upper-case letters, digits and `. _ -` (`BTC-USD`, `PRED-YES`), as rule packs name them. */
export const SYMBOL_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,31}$/;

/** Thrown for a tick a source produced that no consumer may see (bad symbol, price or time). */
export class InvalidTickError extends Error {}

/** Checks a tick at the boundary, so a faulty adapter can never publish a price the evaluator cannot read. */
export function checkTick(tick: Tick): Tick {
  if (!SYMBOL_PATTERN.test(tick.symbol)) throw new InvalidTickError(`symbol ${JSON.stringify(tick.symbol)} is not a market symbol`);
  if (!isDecimal(tick.price) || tick.price.startsWith('-') || /^0(\.0+)?$/.test(tick.price)) {
    throw new InvalidTickError(`price ${JSON.stringify(tick.price)} of ${tick.symbol} is not a positive decimal`);
  }
  if (!Number.isSafeInteger(tick.atMs) || tick.atMs <= 0) throw new InvalidTickError(`time ${tick.atMs} of ${tick.symbol} is not a positive epoch millisecond`);
  return tick;
}

/** Waits `ms`, or less when `signal` aborts first. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
