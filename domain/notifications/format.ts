// Amounts and dates as a reader expects them in their language: an amount in minor units becomes the
// currency's own number of decimals (none for JPY, three for KWD), formatted exactly from the integer
// — never through a floating-point number, so no amount is ever rounded.
import type { Language } from './catalogue';

const LOCALES: Record<Language, string> = { en: 'en-US', es: 'es-ES' };

/** The decimals of a currency's major unit, by ISO 4217 (as Intl knows them). */
export function currencyDecimals(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** The decimal string of an amount in minor units: ('123456', 'kwd') -> '123.456', ('500', 'jpy') -> '500'. */
export function majorDecimal(amountMinor: string, currency: string): string {
  const negative = amountMinor.startsWith('-');
  const digits = negative ? amountMinor.slice(1) : amountMinor;
  const decimals = currencyDecimals(currency);
  if (decimals === 0) return amountMinor;
  const padded = digits.padStart(decimals + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -decimals)}.${padded.slice(-decimals)}`;
}

/** An amount in minor units formatted for `language`, e.g. $1,234.56 or 1234,56 €. */
export function formatAmount(amountMinor: string, currency: string, language: Language): string {
  const format = new Intl.NumberFormat(LOCALES[language], { style: 'currency', currency: currency.toUpperCase() });
  // Intl formats a decimal string exactly (no conversion to a double), whatever its size.
  return format.format(majorDecimal(amountMinor, currency) as unknown as number);
}

/** A date and time in UTC for `language`, e.g. "Monday, March 2, 2026 at 09:00 UTC". */
export function formatDateTime(iso: string, language: Language): string {
  return (
    new Intl.DateTimeFormat(LOCALES[language], { dateStyle: 'full', timeStyle: 'short', timeZone: 'UTC', hourCycle: 'h23' }).format(new Date(iso)) + ' UTC'
  );
}
