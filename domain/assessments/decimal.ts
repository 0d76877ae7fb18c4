// Exact decimals for prices and quantities: written as decimal strings ("64250.5", "0.57") wherever they
// cross a wall, held as bigints scaled by 10^8 while computing. Never floats, so every P/L is exact.
import { MoneyError } from '../core/money';

/** Prices, quantities and contract sizes carry at most this many fractional digits. */
export const DECIMAL_PLACES = 8;
export const DECIMAL_SCALE = 10n ** BigInt(DECIMAL_PLACES);
/** At most this many integer digits: keeps every product of three decimals far inside bigint comfort. */
const INTEGER_DIGITS_MAX = 12;

const DECIMAL_PATTERN = new RegExp(`^-?(0|[1-9][0-9]{0,${INTEGER_DIGITS_MAX - 1}})(\\.[0-9]{1,${DECIMAL_PLACES}})?$`);

/** Thrown for a price, quantity or contract size that is not a plain decimal within range. */
export class DecimalError extends MoneyError {
  override name = 'DecimalError';
}

export function isDecimal(text: string): boolean {
  return DECIMAL_PATTERN.test(text);
}

// The same few strings (contract sizes, spreads, quantities, recent prices) are parsed on every tick of
// every account, so parsed values are remembered; the memo holds at most this many and then starts over.
// Parsing is a pure function of the string, so the memo can never change a result.
const PARSED_MEMO_MAX = 4_096;
const parsedMemo = new Map<string, bigint>();

/** "64250.5" -> 6425050000000n (scaled by 10^8). Exponents, '+', spaces and excess digits are refused. */
export function parseDecimal(text: string): bigint {
  const known = parsedMemo.get(text);
  if (known !== undefined) return known;
  if (!DECIMAL_PATTERN.test(text)) throw new DecimalError(`"${text}" is not a decimal with at most ${DECIMAL_PLACES} fractional digits`);
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const scaled = BigInt(whole) * DECIMAL_SCALE + BigInt(fraction.padEnd(DECIMAL_PLACES, '0'));
  const value = negative ? -scaled : scaled;
  if (parsedMemo.size >= PARSED_MEMO_MAX) parsedMemo.clear();
  parsedMemo.set(text, value);
  return value;
}

/** The shortest decimal string for a scaled value: 6425050000000n -> "64250.5", 0n -> "0". */
export function formatDecimal(scaled: bigint): string {
  const negative = scaled < 0n;
  const magnitude = negative ? -scaled : scaled;
  const whole = magnitude / DECIMAL_SCALE;
  const fraction = (magnitude % DECIMAL_SCALE).toString().padStart(DECIMAL_PLACES, '0').replace(/0+$/, '');
  const text = fraction === '' ? whole.toString() : `${whole}.${fraction}`;
  return negative && magnitude !== 0n ? `-${text}` : text;
}

/** Division rounding toward negative infinity (bigint division truncates toward zero). */
export function floorDiv(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  return numerator % denominator !== 0n && numerator < 0n !== denominator < 0n ? quotient - 1n : quotient;
}

/** Division rounding toward positive infinity. */
export function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return -floorDiv(-numerator, denominator);
}

// ISO 4217 minor-unit exponents that differ from 2; every other currency has two decimals.
const ZERO_DECIMAL = new Set('bif clp djf gnf isk jpy kmf krw pyg rwf ugx vnd vuv xaf xof xpf'.split(' '));
const THREE_DECIMAL = new Set('bhd iqd jod kwd lyd omr tnd'.split(' '));

/** How many minor units make one major unit of `currency` (100 for usd, 1 for jpy, 1000 for kwd). */
export function minorPerMajor(currency: string): bigint {
  if (ZERO_DECIMAL.has(currency)) return 1n;
  if (THREE_DECIMAL.has(currency)) return 1000n;
  return 100n;
}

/**
 * The value in minor units of `priceDelta` × `quantity` × `contractSize` (all scaled by 10^8), rounded
 * down: a fraction of a minor unit never favours the trader, and the same inputs give the same amount.
 */
export function valueMinor(priceDelta: bigint, quantity: bigint, contractSize: bigint, currency: string): bigint {
  return floorDiv(priceDelta * quantity * contractSize * minorPerMajor(currency), DECIMAL_SCALE ** 3n);
}
