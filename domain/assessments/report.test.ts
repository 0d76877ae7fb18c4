// Reports: statistics against hand-computed figures, and the equity-curve SVG parsed as XML — well
// formed, with the equity line and both floors where the numbers put them — rather than compared as bytes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ClosedTrade } from './account';
import { curveFromState, equityCurveSvg } from './equity-curve';
import { buildReport } from './report';
import { maxDrawdown, tradeStatistics } from './statistics';
import { customPack, Session } from '../../test/support/assessment-rules-kit';

const utc = { timeZone: 'UTC', resetTime: '00:00' } as const;

function trade(net: number, opened: string, closed: string): ClosedTrade {
  return {
    positionId: `${opened}-${net}`,
    closeId: `${closed}-${net}`,
    symbol: 'X',
    side: 'long',
    quantity: '1',
    entryPrice: '1',
    exitPrice: '1',
    openedAtMs: Date.parse(opened),
    closedAtMs: Date.parse(closed),
    grossPnlMinor: String(net),
    commissionMinor: '0',
    netPnlMinor: String(net),
    reason: 'fill',
  };
}

describe('statistics', () => {
  test('win rate, profit factor, expectancy, averages, best day and trading days', () => {
    const trades = [
      trade(300, '2026-06-01T09:00:00Z', '2026-06-01T10:00:00Z'),
      trade(-100, '2026-06-01T11:00:00Z', '2026-06-02T10:00:00Z'),
      trade(200, '2026-06-02T11:00:00Z', '2026-06-02T12:00:00Z'),
      trade(-200, '2026-06-03T09:00:00Z', '2026-06-03T10:00:00Z'),
      trade(0, '2026-06-03T11:00:00Z', '2026-06-03T12:00:00Z'),
    ];
    const stats = tradeStatistics(trades, [], utc);
    assert.deepEqual(
      {
        trades: stats.trades,
        wins: stats.wins,
        losses: stats.losses,
        winRateBps: stats.winRateBps,
        net: stats.netProfitMinor,
        profitFactor: stats.profitFactor,
        expectancy: stats.expectancyMinor,
        averageWin: stats.averageWinMinor,
        averageLoss: stats.averageLossMinor,
        bestDay: stats.bestDayMinor,
        bestDayShare: stats.bestDayShareBps,
        days: stats.tradingDays,
      },
      // Days: 1 June +300, 2 June -100 + 200 = +100, 3 June -200. Best day +300 of +200 net is 150 %.
      {
        trades: 5,
        wins: 2,
        losses: 2,
        winRateBps: 4000,
        net: '200',
        profitFactor: '1.6666',
        expectancy: '40',
        averageWin: '250',
        averageLoss: '150',
        bestDay: '300',
        bestDayShare: 15000,
        days: 3,
      },
    );
  });

  test('undefined ratios are null rather than invented', () => {
    const none = tradeStatistics([], [], utc);
    assert.deepEqual(
      [none.winRateBps, none.profitFactor, none.expectancyMinor, none.averageWinMinor, none.bestDayShareBps, none.tradingDays],
      [null, null, null, null, null, 0],
    );
    const onlyWins = tradeStatistics([trade(50, '2026-06-01T09:00:00Z', '2026-06-01T10:00:00Z')], [], utc);
    assert.equal(onlyWins.profitFactor, null);
    assert.equal(onlyWins.averageLossMinor, null);
  });

  test('maximum drawdown is the largest fall from a running peak', () => {
    const series = [100, 120, 90, 130, 95, 129].map((equity, index) => ({ atMs: index, equityMinor: String(equity) }));
    assert.deepEqual(maxDrawdown(series), { amountMinor: 35n, bps: 2692 });
    assert.deepEqual(maxDrawdown([{ atMs: 0, equityMinor: '5' }]), { amountMinor: 0n, bps: 0 });
  });
});

/** A strict parser for the XML subset an SVG uses: elements, quoted attributes, text, the five entities. */
interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

function parseXml(source: string): XmlElement {
  const token = /<\/?([A-Za-z][\w:-]*)((?:\s+[A-Za-z][\w:-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let position = 0;
  const checkEntities = (text: string) => {
    for (const match of text.matchAll(/&([^;]*);?/g)) assert.match(match[0], /^&(amp|lt|gt|quot|apos|#\d+);$/, `bad entity ${match[0]}`);
    return text;
  };
  while (position < source.length) {
    token.lastIndex = position;
    const match = token.exec(source);
    assert.ok(match, `not well-formed at ${position}: ${source.slice(position, position + 40)}`);
    position = token.lastIndex;
    if (match[4] !== undefined) {
      assert.ok(stack.length > 0, 'text outside the root element');
      stack[stack.length - 1]!.text += checkEntities(match[4]);
      continue;
    }
    const [whole, name, rawAttributes, selfClosing] = match;
    if (whole.startsWith('</')) {
      const open = stack.pop();
      assert.equal(open?.name, name, `</${name}> closes <${open?.name}>`);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key, value] of rawAttributes!.matchAll(/([A-Za-z][\w:-]*)="([^"]*)"/g)) {
      assert.ok(!(key! in attributes), `attribute ${key} repeated`);
      attributes[key!] = checkEntities(value!);
    }
    const element: XmlElement = { name: name!, attributes, children: [], text: '' };
    if (stack.length === 0) {
      assert.equal(root, undefined, 'more than one root element');
      root = element;
    } else stack[stack.length - 1]!.children.push(element);
    if (selfClosing !== '/') stack.push(element);
  }
  assert.equal(stack.length, 0, 'unclosed elements');
  assert.ok(root);
  return root;
}

const descendants = (element: XmlElement): XmlElement[] => element.children.flatMap((child) => [child, ...descendants(child)]);
const polyline = (svg: XmlElement, className: string) => {
  const found = descendants(svg).find((element) => element.name === 'polyline' && element.attributes.class === className);
  assert.ok(found, `no polyline ${className}`);
  return found.attributes.points!.split(' ').map((pair) => pair.split(',').map(Number) as [number, number]);
};

describe('equity curve SVG', () => {
  const pack = customPack({
    accountSizeMinor: '1000000',
    rules: [
      { type: 'daily-loss', limit: { kind: 'amount', amountMinor: '50000' }, basis: 'equity', reference: 'previous-close-balance', severity: 'hard' },
      { type: 'max-loss', limit: { kind: 'amount', amountMinor: '100000' }, mode: 'trailing-end-of-day', basis: 'equity', severity: 'hard' },
    ],
  });
  pack.name = 'Tier <A> & "B"';
  const session = new Session(pack, '2026-06-01T06:00:00Z')
    .open('2026-06-01T07:00:00Z', 'a', 'long', '1', '1000')
    .close('2026-06-01T08:00:00Z', 'a-x', 'a', '1', '1200')
    .open('2026-06-02T07:00:00Z', 'b', 'long', '1', '1000')
    .tick('2026-06-02T09:00:00Z', '700')
    .close('2026-06-02T10:00:00Z', 'b-x', 'b', '1', '800')
    .tick('2026-06-03T09:00:00Z', '800');

  test('draws the equity and both floors as polylines, the floors stepping at the resets', () => {
    const report = buildReport(session.state, pack, []);
    const svg = parseXml(report.equityCurveSvg);
    assert.equal(svg.name, 'svg');
    assert.equal(svg.attributes.xmlns, 'http://www.w3.org/2000/svg');
    assert.match(svg.children.find((child) => child.name === 'title')?.text ?? '', /^Tier &lt;A&gt; &amp; &quot;B&quot;/);
    const equity = polyline(svg, 'equity');
    const daily = polyline(svg, 'daily-loss-floor');
    const maximum = polyline(svg, 'max-loss-floor');
    assert.equal(equity.length, 6, 'three days, a start and an end each');
    assert.equal(daily.length, 6);
    // Day 1 floor 9,500.00, day 2 9,700.00 (after the +200.00 close), day 3 9,500.00 (after a -200.00 day): a step at each reset.
    assert.equal(daily[1]![0], daily[2]![0]);
    assert.ok(daily[2]![1] < daily[1]![1], 'a higher floor is drawn higher up');
    // The trailing maximum-loss floor rises after the first profitable day and never falls.
    const heights = maximum.map(([, y]) => y);
    assert.ok(heights.every((height, index) => index === 0 || height <= heights[index - 1]!));
    for (const [x, y] of [...equity, ...daily, ...maximum]) {
      assert.ok(x >= 110 && x <= 700 && y >= 30 && y <= 280, `(${x}, ${y}) is inside the plot`);
    }
    // The highest value (equity 10,200.00 at the end of day 1) sits on the top edge.
    assert.equal(equity[1]![1], 30);
  });

  test('a breach is marked where the equity crossed the floor', () => {
    const failing = new Session(pack, '2026-06-01T06:00:00Z').open('2026-06-01T07:00:00Z', 'a', 'long', '1', '1000').tick('2026-06-01T09:00:00Z', '400');
    assert.equal(failing.state.status, 'failed');
    const svg = parseXml(buildReport(failing.state, pack, []).equityCurveSvg);
    const circles = descendants(svg).filter((element) => element.name === 'circle' && element.attributes.class === 'violation');
    assert.equal(circles.length, 1);
    assert.match(circles[0]!.children[0]!.text, /^daily-loss breached: 9,400\.00 USD$/);
    // Drawn between 10,000.00 (top, y 30) and the 9,000.00 maximum-loss floor (bottom, y 280): 9,400.00 is at y 180.
    assert.equal(circles[0]!.attributes.cy, '180.0');
    assert.equal(circles[0]!.attributes.cx, '700.0');
  });

  test('the same figures always give the same bytes; an empty curve says so', () => {
    const points = curveFromState(session.state, pack);
    assert.equal(equityCurveSvg(points, { currency: 'usd' }), equityCurveSvg(structuredClone(points), { currency: 'usd' }));
    const empty = parseXml(equityCurveSvg([], { currency: 'usd' }));
    assert.equal(descendants(empty).find((element) => element.name === 'text')?.text, 'No data yet');
    assert.throws(() => equityCurveSvg([...points].reverse(), { currency: 'usd' }), RangeError);
  });

  test('the parser used here rejects malformed XML', () => {
    for (const bad of ['<svg><g></svg>', '<svg a="1" a="2"/>', '<svg>&nbsp;</svg>', '<svg/><svg/>', '<svg x=1/>']) assert.throws(() => parseXml(bad), bad);
  });
});
