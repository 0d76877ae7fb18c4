// SVG charts of a finished batch, written by hand (no charting dependency): a fan chart of percentile
// bands over time and a histogram of one outcome. Plain SVG 1.1 that any browser or parser reads.
import type { SimulationResult } from '../../domain/simulations/result';
import { gridEdge } from '../../domain/simulations/statistics';

const WIDTH = 720;
const HEIGHT = 400;
const MARGIN = { top: 40, right: 24, bottom: 48, left: 88 };
/** A histogram is drawn with at most this many bars (adjacent bins are added up). */
export const HISTOGRAM_BARS_MAX = 80;
const TICKS = 5;

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const fmt = (value: number) =>
  Math.abs(value) >= 1e6
    ? `${(value / 1e6).toFixed(2)}M`
    : Math.abs(value) >= 1e3
      ? `${(value / 1e3).toFixed(1)}k`
      : value.toFixed(Number.isInteger(value) ? 0 : 2);
const r = (value: number) => Math.round(value * 100) / 100;

interface Scale {
  (value: number): number;
  ticks: number[];
}

function linear(domainLo: number, domainHi: number, rangeLo: number, rangeHi: number): Scale {
  const span = domainHi - domainLo || 1;
  const scale = ((value: number) => r(rangeLo + ((value - domainLo) / span) * (rangeHi - rangeLo))) as Scale;
  scale.ticks = Array.from({ length: TICKS + 1 }, (_, i) => domainLo + (i * span) / TICKS);
  return scale;
}

/** A logarithmic scale (0 < domainLo), for outcomes histogrammed on a log grid. */
function logarithmic(domainLo: number, domainHi: number, rangeLo: number, rangeHi: number): Scale {
  const inner = linear(Math.log(domainLo), Math.log(domainHi), rangeLo, rangeHi);
  const scale = ((value: number) => inner(Math.log(value))) as Scale;
  scale.ticks = inner.ticks.map(Math.exp);
  return scale;
}

function frame(title: string, x: Scale, y: Scale, xLabel: string, yLabel: string, body: string): string {
  const xAxis = x.ticks
    .map(
      (t) =>
        `<g class="tick"><line x1="${x(t)}" x2="${x(t)}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom + 5}" stroke="#555"/><text x="${x(t)}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle">${escapeXml(fmt(t))}</text></g>`,
    )
    .join('');
  const yAxis = y.ticks
    .map(
      (t) =>
        `<g class="tick"><line x1="${MARGIN.left - 5}" x2="${WIDTH - MARGIN.right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${MARGIN.left - 8}" y="${y(t) + 4}" text-anchor="end">${escapeXml(fmt(t))}</text></g>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<g class="y-axis">${yAxis}</g>`,
    body,
    `<g class="x-axis"><line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom}" stroke="#555"/>${xAxis}</g>`,
    `<text x="${WIDTH / 2}" y="${HEIGHT - 10}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(16 ${HEIGHT / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
    '</svg>',
  ].join('\n');
}

/** Percentile bands over the path's steps: 5-95 % and 25-75 % as areas, the median as a line. */
export function fanChartSvg(result: SimulationResult, title: string): string | null {
  const fan = result.fan;
  if (!fan || fan.points.length === 0) return null;
  const steps = fan.points.map((p) => p.step);
  const values = fan.points.flatMap((p) => p.values);
  const x = linear(Math.min(0, ...steps), Math.max(...steps), MARGIN.left, WIDTH - MARGIN.right);
  const y = linear(Math.min(...values), Math.max(...values), HEIGHT - MARGIN.bottom, MARGIN.top);
  const band = (lo: number, hi: number, fill: string, name: string) => {
    const upper = fan.points.map((p) => `${x(p.step)},${y(p.values[hi]!)}`);
    const lower = fan.points.map((p) => `${x(p.step)},${y(p.values[lo]!)}`).reverse();
    return `<polygon class="band" data-band="${name}" points="${[...upper, ...lower].join(' ')}" fill="${fill}" stroke="none"/>`;
  };
  const median = `<polyline class="median" points="${fan.points.map((p) => `${x(p.step)},${y(p.values[2]!)}`).join(' ')}" fill="none" stroke="#1f4e8c" stroke-width="2"/>`;
  const legend = `<g class="legend"><rect x="${MARGIN.left + 8}" y="${MARGIN.top}" width="12" height="8" fill="#c6dbef"/><text x="${MARGIN.left + 24}" y="${MARGIN.top + 8}">5-95 %</text><rect x="${MARGIN.left + 78}" y="${MARGIN.top}" width="12" height="8" fill="#6baed6"/><text x="${MARGIN.left + 94}" y="${MARGIN.top + 8}">25-75 %</text><line x1="${MARGIN.left + 152}" x2="${MARGIN.left + 166}" y1="${MARGIN.top + 4}" y2="${MARGIN.top + 4}" stroke="#1f4e8c" stroke-width="2"/><text x="${MARGIN.left + 170}" y="${MARGIN.top + 8}">median</text></g>`;
  const body = `<g class="fan">${band(0, 4, '#c6dbef', '5-95')}${band(1, 3, '#6baed6', '25-75')}${median}</g>${legend}`;
  return frame(title, x, y, 'step', 'value', body);
}

/** A histogram of one outcome's in-range bins, with the paths outside the grid noted. */
export function histogramSvg(result: SimulationResult, scalar: string, title: string): string | null {
  const histogram = result.histograms.find((h) => h.name === scalar);
  if (!histogram) return null;
  const { grid, counts } = histogram;
  let first = counts.findIndex((c) => c > 0);
  let last = counts.length - 1 - [...counts].reverse().findIndex((c) => c > 0);
  if (first < 0) [first, last] = [0, counts.length - 1];
  const group = Math.max(1, Math.ceil((last - first + 1) / HISTOGRAM_BARS_MAX));
  const bars: Array<{ lo: number; hi: number; count: number }> = [];
  for (let i = first; i <= last; i += group) {
    const end = Math.min(last + 1, i + group);
    bars.push({ lo: gridEdge(grid, i), hi: gridEdge(grid, end), count: counts.slice(i, end).reduce((s, c) => s + c, 0) });
  }
  const x = (grid.log ? logarithmic : linear)(bars[0]!.lo, bars.at(-1)!.hi, MARGIN.left, WIDTH - MARGIN.right);
  const y = linear(0, Math.max(1, ...bars.map((b) => b.count)), HEIGHT - MARGIN.bottom, MARGIN.top);
  const rects = bars
    .map(
      (b) =>
        `<rect class="bar" x="${x(b.lo)}" y="${y(b.count)}" width="${Math.max(0.5, r(x(b.hi) - x(b.lo) - 1))}" height="${r(y(0) - y(b.count))}" fill="#6baed6"><title>${escapeXml(`${fmt(b.lo)} to ${fmt(b.hi)}: ${b.count} paths`)}</title></rect>`,
    )
    .join('');
  const outside = `<text class="outside" x="${WIDTH - MARGIN.right}" y="${MARGIN.top}" text-anchor="end">${histogram.underflow} below, ${histogram.overflow} above the range</text>`;
  return frame(title, x, y, grid.log ? `${scalar} (log scale)` : scalar, 'paths', `<g class="histogram">${rects}</g>${outside}`);
}
