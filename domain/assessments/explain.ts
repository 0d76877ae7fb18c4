// Plain-language sentences for violations and warnings, built only from the numbers they carry, so a
// trader reads exactly which figure crossed which line, measured how and when.
import { assertNever } from '../pools/pool-lifecycle';
import { minorPerMajor } from './decimal';
import { type Violation, type Warning } from './account';

/** 1234567n usd -> "12,345.67 USD"; exact, without Intl, so the text never changes with the host. */
export function formatAmount(amountMinor: bigint | string, currency: string): string {
  const amount = BigInt(amountMinor);
  const perMajor = minorPerMajor(currency);
  const magnitude = amount < 0n ? -amount : amount;
  const whole = (magnitude / perMajor).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const digits = perMajor.toString().length - 1;
  const fraction = digits === 0 ? '' : `.${(magnitude % perMajor).toString().padStart(digits, '0')}`;
  return `${amount < 0n ? '-' : ''}${whole}${fraction} ${currency.toUpperCase()}`;
}

function consequenceText(violation: Violation): string {
  switch (violation.consequence) {
    case 'phase-failed':
      return 'This is a hard rule: the phase has failed.';
    case 'account-paused':
      if (violation.rule === 'daily-loss') return 'This is a soft rule: open positions were closed and trading is paused until the next trading day.';
      if (violation.rule === 'max-loss') return 'This is a soft rule: open positions were closed and trading is paused until it is reviewed.';
      return 'This is a soft rule: trading is paused until the next trading day.';
    case 'order-refused':
      return 'The order was refused.';
    default:
      return assertNever(violation.consequence);
  }
}

function toleranceText(violation: Violation, currency: string): string {
  return violation.toleranceMinor !== undefined && violation.toleranceMinor !== '0'
    ? ` (beyond the tolerance of ${formatAmount(violation.toleranceMinor, currency)})`
    : '';
}

/** One or two sentences naming the rule, the measured figure, the line it crossed and what follows. */
export function explainViolation(violation: Violation, currency: string): string {
  const money = (value: string | undefined) => formatAmount(value ?? '0', currency);
  const at = `on trading day ${violation.day}`;
  let what: string;
  switch (violation.rule) {
    case 'daily-loss':
      what =
        `Maximum daily loss: ${violation.basis} fell to ${money(violation.measured)} ${at}, below today's floor of ${money(violation.threshold)}${toleranceText(violation, currency)}. ` +
        `The floor is today's reference of ${money(violation.referenceMinor)} less the daily limit of ${money(violation.limitMinor)}.`;
      break;
    case 'max-loss':
      what =
        `Maximum loss: ${violation.basis} fell to ${money(violation.measured)} ${at}, below the floor of ${money(violation.threshold)}${toleranceText(violation, currency)}. ` +
        `The floor is ${money(violation.referenceMinor)} (the balance it is measured from) less the limit of ${money(violation.limitMinor)}.`;
      break;
    case 'risk-per-trade':
      what =
        violation.measured === 'no-stop-loss'
          ? `Risk per trade: position ${violation.positionId ?? ''} in ${violation.symbol ?? ''} was opened ${at} without the required stop-loss.`
          : `Risk per trade: position ${violation.positionId ?? ''} in ${violation.symbol ?? ''} risked ${money(violation.measured)} at its stop-loss ${at} (with the symbol's open positions where the pack counts them together), ` +
            `more than the ${money(violation.threshold)} allowed on a balance of ${money(violation.referenceMinor)}${toleranceText(violation, currency)}.`;
      break;
    case 'max-open-positions':
      what = `Maximum open positions: ${violation.measured} positions would be open ${at}; at most ${violation.threshold} are allowed.`;
      break;
    case 'max-position-size':
      what = `Maximum position size: ${violation.measured} of ${violation.symbol ?? ''} would be open ${at}; at most ${violation.threshold} are allowed.`;
      break;
    case 'time-limit':
      what = `Time limit: the ${violation.threshold} days of the phase ended ${at} before every objective was met.`;
      break;
    case 'profit-target':
    case 'min-trading-days':
    case 'consistency':
      what = `Objective ${violation.rule} was not met: ${violation.measured} of ${violation.threshold} ${violation.unit}.`;
      break;
    default:
      return assertNever(violation.rule);
  }
  return `${what} ${consequenceText(violation)}`;
}

export function explainWarning(warning: Warning, currency: string): string {
  const name = warning.rule === 'daily-loss' ? "today's loss limit" : 'the maximum loss limit';
  return `Warning: ${formatAmount(warning.usedMinor, currency)} of ${name} of ${formatAmount(warning.limitMinor, currency)} is used (80 % or more) on trading day ${warning.day}.`;
}
