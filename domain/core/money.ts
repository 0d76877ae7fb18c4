// Money as integer minor units (bigint) with an ISO-4217 currency, its canonical decimal-string form
// for crossing the Temporal wall, and exact splits whose parts always add up to the whole.
// Pure and deterministic: imported by workflows and activities alike.

/** An ISO-4217 code in lower case (Stripe's spelling), checked against CURRENCIES. */
export type Currency = string & { readonly __brand: 'Currency' };

export interface Money {
  amountMinor: bigint;
  currency: Currency;
}

/** The range of an INT8 column, where every amount and balance is stored. */
export const MINOR_MAX = 2n ** 63n - 1n;
export const MINOR_MIN = -(2n ** 63n);

/** The most parts one split may produce; bounds the work of a single call. */
export const SPLIT_PARTS_MAX = 100_000;

/** Thrown for a malformed amount or currency, or for a split that cannot be made. */
export class MoneyError extends Error {
  override name = 'MoneyError';
}

// ISO 4217 circulating currencies (list one, as of 2025). Withdrawn codes (HRK, CUC) and
// non-currency units (XDR, XSU, precious metals, test and fund codes) are left out on purpose.
export const CURRENCIES: ReadonlySet<string> = new Set(
  (
    'aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd btn bwp byn bzd ' +
    'cad cdf chf clp cny cop crc cup cve czk djf dkk dop dzd egp ern etb eur fjd fkp gbp gel ghs gip gmd ' +
    'gnf gtq gyd hkd hnl htg huf idr ils inr iqd irr isk jmd jod jpy kes kgs khr kmf kpw krw kwd kyd kzt ' +
    'lak lbp lkr lrd lsl lyd mad mdl mga mkd mmk mnt mop mru mur mvr mwk mxn myr mzn nad ngn nio nok npr ' +
    'nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sdg sek sgd shp sle sll sos srd ' +
    'ssp stn svc syp szl thb tjs tmt tnd top try ttd twd tzs uah ugx usd uyu uzs ves vnd vuv wst xaf xcd ' +
    'xcg xof xpf yer zar zmw zwg zwl'
  ).split(' '),
);

export function isCurrency(value: string): value is Currency {
  return CURRENCIES.has(value);
}

/** Accepts only a known ISO-4217 code written in lower case ('usd', not 'USD' or ' usd'). */
export function parseCurrency(value: string): Currency {
  if (!isCurrency(value)) throw new MoneyError(`"${value}" is not a lower-case ISO-4217 currency code`);
  return value;
}

// The one canonical spelling of an integer: optional '-', no leading zeros, no '+', no '-0'.
const MINOR_PATTERN = /^(0|-?[1-9][0-9]*)$/;
const MINOR_DIGITS_MAX = 19;

/**
 * Parses the canonical decimal form of an amount in minor units ('1234' -> 1234n). Fractions,
 * exponents, '+', leading zeros, whitespace and values outside INT8 are refused, so that one amount
 * has exactly one spelling and formatMinor(parseMinor(s)) === s.
 */
export function parseMinor(text: string): bigint {
  const digits = text.startsWith('-') ? text.length - 1 : text.length;
  if (!MINOR_PATTERN.test(text) || digits > MINOR_DIGITS_MAX) {
    throw new MoneyError(`"${text}" is not an integer amount in minor units`);
  }
  return checkRange(BigInt(text));
}

export function formatMinor(amountMinor: bigint): string {
  return checkRange(amountMinor).toString();
}

function checkRange(amountMinor: bigint): bigint {
  if (amountMinor > MINOR_MAX || amountMinor < MINOR_MIN) throw new MoneyError(`${amountMinor} is outside the INT8 range`);
  return amountMinor;
}

/** A validated Money: the amount within INT8, the currency a known lower-case ISO-4217 code. */
export function money(amountMinor: bigint, currency: string): Money {
  return { amountMinor: checkRange(amountMinor), currency: parseCurrency(currency) };
}

/**
 * Splits `totalMinor` into `count` parts that differ by at most one unit; the first
 * `totalMinor % count` parts get the extra unit (the largest-remainder rule with equal weights).
 */
export function splitEvenly(totalMinor: bigint, count: number): bigint[] {
  if (!Number.isSafeInteger(count) || count < 1) throw new MoneyError(`cannot split into ${count} parts`);
  return splitProRata(
    totalMinor,
    Array.from({ length: count }, () => 1n),
  );
}

/**
 * Splits `totalMinor` (>= 0) in proportion to `weights` using the largest-remainder method:
 *   1. each part starts at floor(total * weight / sum of weights);
 *   2. the units left over (fewer than the number of parts) go one each to the parts with the
 *      largest remainders of that division, and among equal remainders to the lower index.
 * So the parts add up exactly to the total, each is within one unit of its exact share, and the result
 * depends only on the inputs. Weights must be >= 0 with a positive sum; a zero weight always gets a
 * zero part. A negative total is refused: split the amount, then reverse its direction.
 */
export function splitProRata(totalMinor: bigint, weights: readonly bigint[]): bigint[] {
  if (totalMinor < 0n) throw new MoneyError(`cannot split a negative total (${totalMinor})`);
  if (weights.length === 0 || weights.length > SPLIT_PARTS_MAX) {
    throw new MoneyError(`a split needs between 1 and ${SPLIT_PARTS_MAX} weights, got ${weights.length}`);
  }
  let weightSum = 0n;
  for (const [index, weight] of weights.entries()) {
    if (weight < 0n) throw new MoneyError(`weight ${index} is negative (${weight})`);
    weightSum += weight;
  }
  if (weightSum === 0n) throw new MoneyError('cannot split in proportion to weights that are all zero');

  const parts = weights.map((weight) => (totalMinor * weight) / weightSum);
  const remainders = weights.map((weight) => (totalMinor * weight) % weightSum);
  let leftover = totalMinor - parts.reduce((sum, part) => sum + part, 0n);
  // Largest remainder first, lower index first among equals; the sum of remainders is
  // leftover * weightSum, so more than `leftover` parts have a positive remainder.
  const order = weights.map((_, index) => index);
  order.sort((a, b) => (remainders[a]! === remainders[b]! ? a - b : remainders[a]! > remainders[b]! ? -1 : 1));
  for (const index of order) {
    if (leftover === 0n) break;
    parts[index]! += 1n;
    leftover -= 1n;
  }
  return parts;
}
