// The equity curve of an account with its daily-loss and maximum-loss floors, as a self-contained SVG.
// Integer arithmetic only and a fixed layout, so the same figures always give the same bytes.
import { type AccountState } from './account';
import { formatAmount } from './explain';
import { type RulePack } from './rule-pack';
import { dayStartMs } from './trading-day';

/** The most points one curve draws; longer series keep their most recent points. */
export const CURVE_POINTS_MAX = 2_000;

export interface CurvePoint {
  atMs: number;
  equityMinor: string;
  /** The floors in force at that instant, when the phase has the rule. */
  dailyFloorMinor?: string;
  maxLossFloorMinor?: string;
}

/** A point to mark on the curve, such as the equity at which a loss limit was breached. */
export interface CurveMarker {
  atMs: number;
  valueMinor: string;
  label: string;
}

export interface CurveOptions {
  currency: string;
  width?: number;
  height?: number;
  title?: string;
  markers?: readonly CurveMarker[];
}

/** The breaches of loss limits in the account's record, as markers at the measured value. */
export function violationMarkers(state: AccountState): CurveMarker[] {
  return state.violations
    .filter((violation) => violation.rule === 'daily-loss' || violation.rule === 'max-loss')
    .map((violation) => ({ atMs: violation.atMs, valueMinor: violation.measured, label: `${violation.rule} breached` }));
}

/**
 * Two points per trading day from the account's day records: its start and its end (or the last event,
 * for today), each carrying that day's floors, so a floor that moves at a reset draws as a step.
 */
export function curveFromState(state: AccountState, pack: RulePack): CurvePoint[] {
  const records = [...state.days, state.today];
  const points: CurvePoint[] = [];
  records.forEach((record, index) => {
    const floors = {
      ...(record.dailyFloorMinor === undefined ? {} : { dailyFloorMinor: record.dailyFloorMinor }),
      ...(record.maxLossFloorMinor === undefined ? {} : { maxLossFloorMinor: record.maxLossFloorMinor }),
    };
    const next = records[index + 1];
    const start = Math.max(dayStartMs(pack.tradingDay, record.day), state.phaseStartedAtMs);
    const end = next === undefined ? Math.max(start, state.lastEventAtMs) : dayStartMs(pack.tradingDay, next.day);
    points.push({ atMs: start, equityMinor: record.startEquityMinor, ...floors }, { atMs: end, equityMinor: record.equityMinor, ...floors });
  });
  return points;
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** A coordinate with one decimal, from an exact fraction: offset + span * numerator / denominator. */
function coordinate(offset: number, span: number, numerator: bigint, denominator: bigint): string {
  const tenths = BigInt(offset * 10) + (denominator === 0n ? 0n : (BigInt(span * 10) * numerator) / denominator);
  return `${tenths / 10n}.${tenths % 10n}`;
}

export function equityCurveSvg(input: readonly CurvePoint[], options: CurveOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 320;
  const margin = { left: 110, right: 20, top: 30, bottom: 40 };
  const plot = { width: width - margin.left - margin.right, height: height - margin.top - margin.bottom };
  const points = input.slice(-CURVE_POINTS_MAX);
  if (points.some((point, index) => index > 0 && point.atMs < points[index - 1]!.atMs)) throw new RangeError('curve points must be in time order');
  const title = escapeXml(options.title ?? 'Equity and loss floors');
  const open = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}"><title>${title}</title>`;
  if (points.length === 0) return `${open}<text x="${width / 2}" y="${height / 2}" text-anchor="middle">No data yet</text></svg>`;

  const first = BigInt(points[0]!.atMs);
  const last = BigInt(points[points.length - 1]!.atMs);
  const markers = (options.markers ?? []).filter((marker) => BigInt(marker.atMs) >= first && BigInt(marker.atMs) <= last);
  const values = [
    ...points.flatMap((point) => [point.equityMinor, point.dailyFloorMinor, point.maxLossFloorMinor].filter((value): value is string => value !== undefined)),
    ...markers.map((marker) => marker.valueMinor),
  ].map(BigInt);
  const high = values.reduce((a, b) => (b > a ? b : a));
  const low = values.reduce((a, b) => (b < a ? b : a));
  const x = (atMs: number) => coordinate(margin.left, plot.width, BigInt(atMs) - first, last - first);
  const y = (value: string) => coordinate(margin.top, plot.height, high - BigInt(value), high - low);
  const line = (className: string, colour: string, pick: (point: CurvePoint) => string | undefined, dashed: boolean) => {
    const coordinates = points.flatMap((point) => {
      const value = pick(point);
      return value === undefined ? [] : [`${x(point.atMs)},${y(value)}`];
    });
    if (coordinates.length === 0) return '';
    return `<polyline class="${className}" fill="none" stroke="${colour}" stroke-width="2"${dashed ? ' stroke-dasharray="6 4"' : ''} points="${coordinates.join(' ')}"/>`;
  };
  const date = (atMs: number) => new Date(atMs).toISOString().slice(0, 10);
  const bottom = margin.top + plot.height;
  return [
    open,
    `<g class="axes" stroke="#888" stroke-width="1"><line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${bottom}"/><line x1="${margin.left}" y1="${bottom}" x2="${margin.left + plot.width}" y2="${bottom}"/></g>`,
    `<g class="labels" font-family="sans-serif" font-size="11" fill="#333">`,
    `<text x="${margin.left - 6}" y="${margin.top + 4}" text-anchor="end">${escapeXml(formatAmount(high, options.currency))}</text>`,
    `<text x="${margin.left - 6}" y="${bottom}" text-anchor="end">${escapeXml(formatAmount(low, options.currency))}</text>`,
    `<text x="${margin.left}" y="${bottom + 16}">${date(points[0]!.atMs)}</text>`,
    `<text x="${margin.left + plot.width}" y="${bottom + 16}" text-anchor="end">${date(points[points.length - 1]!.atMs)}</text>`,
    `</g>`,
    line('max-loss-floor', '#b00020', (point) => point.maxLossFloorMinor, true),
    line('daily-loss-floor', '#e07000', (point) => point.dailyFloorMinor, true),
    line('equity', '#1565c0', (point) => point.equityMinor, false),
    ...markers.map(
      (marker) =>
        `<circle class="violation" cx="${x(marker.atMs)}" cy="${y(marker.valueMinor)}" r="4" fill="#b00020"><title>${escapeXml(`${marker.label}: ${formatAmount(marker.valueMinor, options.currency)}`)}</title></circle>`,
    ),
    '</svg>',
  ].join('');
}
