// A seeded synthetic price feed: each symbol walks randomly in basis-point steps with occasional jumps,
// so the same seed always gives the same sequence of prices. A prediction-market contract walks in
// probability space and stays inside (0, 1). Used in development, demos, tests and benchmarks.
import { formatDecimal, parseDecimal } from '../../../domain/assessments/decimal';
import { createRng, type Rng } from '../../../domain/pools/random';
import { pause, type PriceSource, type Tick } from './source';

export interface SyntheticSymbol {
  symbol: string;
  /** Starting price, decimal string. */
  start: string;
  /** Largest ordinary step, in basis points of the price. */
  stepBpsMax: number;
  /** Chance of a jump on a tick, in parts per million. */
  jumpPpm: number;
  /** Size of a jump, in basis points of the price (up or down with equal chance). */
  jumpBps: number;
  /** A contract priced as a probability: clamped to [0.01, 0.99] and moved in absolute steps. */
  probability?: boolean;
}

export const DEFAULT_SYMBOLS: readonly SyntheticSymbol[] = [
  { symbol: 'BTC-USD', start: '64000', stepBpsMax: 8, jumpPpm: 2_000, jumpBps: 150 },
  { symbol: 'ETH-USD', start: '3200', stepBpsMax: 10, jumpPpm: 2_000, jumpBps: 200 },
  { symbol: 'SOL-USD', start: '150', stepBpsMax: 15, jumpPpm: 3_000, jumpBps: 300 },
  { symbol: 'PRED-YES', start: '0.5', stepBpsMax: 50, jumpPpm: 5_000, jumpBps: 800, probability: true },
];

/** Symbols one feed may walk. */
export const SYNTHETIC_SYMBOLS_MAX = 100;
const PROBABILITY_MIN = parseDecimal('0.01');
const PROBABILITY_MAX = parseDecimal('0.99');
const BPS = 10_000n;

/** Price precision kept by the walk: cents for prices, 1/10,000 for probabilities. */
function roundTo(value: bigint, probability: boolean): bigint {
  const unit = probability ? parseDecimal('0.0001') : parseDecimal('0.01');
  const rounded = (value / unit) * unit;
  return rounded > 0n ? rounded : unit;
}

function signedDraw(rng: Rng, magnitudeMax: number): bigint {
  return BigInt(rng.nextInt(2 * magnitudeMax + 1) - magnitudeMax);
}

/** The walk itself, free of time: each call to `next()` moves every symbol once. */
export function createSyntheticWalk(seed: string, symbols: readonly SyntheticSymbol[] = DEFAULT_SYMBOLS) {
  if (symbols.length === 0 || symbols.length > SYNTHETIC_SYMBOLS_MAX) throw new RangeError(`a synthetic feed walks 1-${SYNTHETIC_SYMBOLS_MAX} symbols`);
  const state = symbols.map((spec) => ({ spec, rng: createRng(`${seed}/${spec.symbol}`), price: parseDecimal(spec.start) }));
  return {
    /** The next price of every symbol, as decimal strings, in the configured order. */
    next(): Array<{ symbol: string; price: string }> {
      return state.map((s) => {
        const { spec, rng } = s;
        let bps = signedDraw(rng, spec.stepBpsMax);
        if (rng.nextInt(1_000_000) < spec.jumpPpm) bps += rng.nextInt(2) === 0 ? BigInt(spec.jumpBps) : -BigInt(spec.jumpBps);
        if (spec.probability) {
          const moved = s.price + (bps * parseDecimal('1')) / BPS;
          s.price = roundTo(moved < PROBABILITY_MIN ? PROBABILITY_MIN : moved > PROBABILITY_MAX ? PROBABILITY_MAX : moved, true);
        } else {
          s.price = roundTo(s.price + (s.price * bps) / BPS, false);
        }
        return { symbol: spec.symbol, price: formatDecimal(s.price) };
      });
    },
  };
}

export interface SyntheticFeedOptions {
  seed: string;
  symbols?: readonly SyntheticSymbol[];
  /** Pause between rounds of ticks (one tick per symbol per round). */
  intervalMs: number;
  /** Stop after this many rounds (unbounded when omitted: a feed runs as long as its process). */
  roundsMax?: number;
  /** The clock stamped on ticks; tests pass a fixed one. */
  nowMs?: () => number;
}

export function createSyntheticFeed(options: SyntheticFeedOptions): PriceSource {
  const nowMs = options.nowMs ?? Date.now;
  return {
    name: `synthetic(seed=${options.seed})`,
    async *ticks(signal: AbortSignal): AsyncIterable<Tick> {
      const walk = createSyntheticWalk(options.seed, options.symbols);
      for (let round = 0; !signal.aborted && (options.roundsMax === undefined || round < options.roundsMax); round++) {
        const atMs = nowMs();
        for (const { symbol, price } of walk.next()) yield { symbol, price, atMs };
        await pause(options.intervalMs, signal);
      }
    },
  };
}
