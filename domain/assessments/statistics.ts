// Trading statistics for an assessment report, computed exactly from its closed trades and equity
// series: win rate, profit factor, expectancy, average win and loss, maximum drawdown, the best day's
// share of the profit and the number of trading days. Ratios are decimal strings, never floats.
import { floorDiv, formatDecimal } from './decimal';
import { type ClosedTrade } from './account';
import { tradingDayOf, type DayBoundary } from './trading-day';

/** The most trades one report reads; older ones are summarised by the database, not here. */
export const REPORT_TRADES_MAX = 50_000;
const BPS = 10_000n;
const RATIO_PLACES = 10n ** 4n;

export interface TradeStatistics {
  trades: number;
  wins: number;
  losses: number;
  /** Share of trades with a positive net result, in basis points; null without trades. */
  winRateBps: number | null;
  netProfitMinor: string;
  grossProfitMinor: string;
  /** The sum of losing trades as a positive amount. */
  grossLossMinor: string;
  /** Gross profit / gross loss, to four places ("1.8333"); null when nothing was lost. */
  profitFactor: string | null;
  /** Net result per trade, rounded down to a minor unit; null without trades. */
  expectancyMinor: string | null;
  averageWinMinor: string | null;
  /** The average losing trade as a positive amount. */
  averageLossMinor: string | null;
  /** The largest fall of equity from a running peak, and that fall as a share of the peak. */
  maxDrawdownMinor: string;
  maxDrawdownBps: number;
  /** The best trading day's net result as a share of the net profit; null unless there is a profit. */
  bestDayShareBps: number | null;
  bestDayMinor: string | null;
  /** Days on which a position was opened or closed. */
  tradingDays: number;
}

export interface EquityPoint {
  atMs: number;
  equityMinor: string;
}

/** Floor division of two non-negative amounts into a four-place decimal string. */
function ratio(numerator: bigint, denominator: bigint): string {
  return formatDecimal(floorDiv(numerator * RATIO_PLACES, denominator) * (10n ** 8n / RATIO_PLACES));
}

/** The largest peak-to-trough fall over the series, in time order as given. */
export function maxDrawdown(series: readonly EquityPoint[]): { amountMinor: bigint; bps: number } {
  let peak: bigint | undefined;
  let worst = 0n;
  let worstPeak = 0n;
  for (const point of series) {
    const equity = BigInt(point.equityMinor);
    if (peak === undefined || equity > peak) peak = equity;
    if (peak - equity > worst) {
      worst = peak - equity;
      worstPeak = peak;
    }
  }
  return { amountMinor: worst, bps: worstPeak > 0n ? Number(floorDiv(worst * BPS, worstPeak)) : 0 };
}

export function tradeStatistics(trades: readonly ClosedTrade[], series: readonly EquityPoint[], tradingDay: DayBoundary): TradeStatistics {
  if (trades.length > REPORT_TRADES_MAX) throw new RangeError(`a report reads at most ${REPORT_TRADES_MAX} trades`);
  let grossProfit = 0n;
  let grossLoss = 0n;
  let wins = 0;
  let losses = 0;
  const byDay = new Map<string, bigint>();
  const activeDays = new Set<string>();
  for (const trade of trades) {
    const net = BigInt(trade.netPnlMinor);
    if (net > 0n) {
      wins += 1;
      grossProfit += net;
    } else if (net < 0n) {
      losses += 1;
      grossLoss -= net;
    }
    const closeDay = tradingDayOf(tradingDay, trade.closedAtMs);
    byDay.set(closeDay, (byDay.get(closeDay) ?? 0n) + net);
    activeDays.add(closeDay).add(tradingDayOf(tradingDay, trade.openedAtMs));
  }
  const net = grossProfit - grossLoss;
  const count = BigInt(trades.length);
  const bestDay = [...byDay.values()].reduce<bigint | undefined>((best, value) => (best === undefined || value > best ? value : best), undefined);
  const drawdown = maxDrawdown(series);
  return {
    trades: trades.length,
    wins,
    losses,
    winRateBps: trades.length === 0 ? null : Number((BigInt(wins) * BPS) / count),
    netProfitMinor: net.toString(),
    grossProfitMinor: grossProfit.toString(),
    grossLossMinor: grossLoss.toString(),
    profitFactor: grossLoss === 0n ? null : ratio(grossProfit, grossLoss),
    expectancyMinor: trades.length === 0 ? null : floorDiv(net, count).toString(),
    averageWinMinor: wins === 0 ? null : floorDiv(grossProfit, BigInt(wins)).toString(),
    averageLossMinor: losses === 0 ? null : floorDiv(grossLoss, BigInt(losses)).toString(),
    maxDrawdownMinor: drawdown.amountMinor.toString(),
    maxDrawdownBps: drawdown.bps,
    bestDayShareBps: net > 0n && bestDay !== undefined ? Number(floorDiv(bestDay * BPS, net)) : null,
    bestDayMinor: bestDay === undefined ? null : bestDay.toString(),
    tradingDays: activeDays.size,
  };
}
