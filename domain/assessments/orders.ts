// Market orders placed through Poolflow: priced at the current quote with the pack's spread and
// commission, and checked against the pre-trade rules before they become fills. An order that would
// break a rule is refused whether the rule is hard or soft: hard and soft decide what an executed breach
// (an imported fill) does, and a platform that can see the breach coming does not execute it.
import { formatDecimal, parseDecimal } from './decimal';
import { AccountInputError, type AccountState, type Fill, type Position, type Side, type Violation } from './account-state';
import { positionRuleBreaches } from './limits';
import { checkStops, commissionFor, instrumentOf, quote } from './market';
import { type RulePack } from './rule-pack';

export interface MarketOrder {
  /** The id the fill and, for an opening order, the position will carry. */
  orderId: string;
  atMs: number;
  symbol: string;
  side: Side;
  quantity: string;
  stopLoss?: string;
  takeProfit?: string;
}

export interface CloseOrder {
  orderId: string;
  atMs: number;
  positionId: string;
  /** Defaults to the whole position. */
  quantity?: string;
}

export type OrderRefusal =
  | { reason: 'account-not-trading'; status: AccountState['status'] }
  | { reason: 'no-price'; symbol: string }
  | { reason: 'invalid-order'; message: string }
  | { reason: 'rule'; violation: Violation };

export type OrderDecision = { accepted: true; fill: Fill } | { accepted: false; refusals: OrderRefusal[] };

/** Prices an opening market order and checks it; an accepted order's fill goes to applyFill. */
export function priceMarketOrder(state: AccountState, pack: RulePack, order: MarketOrder): OrderDecision {
  if (state.status !== 'active') return { accepted: false, refusals: [{ reason: 'account-not-trading', status: state.status }] };
  let fill: Extract<Fill, { kind: 'open' }>;
  try {
    const instrument = instrumentOf(pack, order.symbol);
    const mark = state.marks[order.symbol];
    if (mark === undefined) return { accepted: false, refusals: [{ reason: 'no-price', symbol: order.symbol }] };
    const quantity = parseDecimal(order.quantity);
    if (quantity <= 0n) throw new AccountInputError('the quantity must be greater than zero');
    const { bid, ask } = quote(instrument, mark.price);
    const price = order.side === 'long' ? ask : bid;
    checkStops(order.side, price, order.stopLoss, order.takeProfit, order.orderId);
    fill = {
      kind: 'open',
      fillId: order.orderId,
      atMs: Math.max(order.atMs, state.lastEventAtMs),
      symbol: order.symbol,
      side: order.side,
      quantity: order.quantity,
      price: formatDecimal(price),
      commissionMinor: commissionFor(instrument, quantity).toString(),
      ...(order.stopLoss === undefined ? {} : { stopLoss: order.stopLoss }),
      ...(order.takeProfit === undefined ? {} : { takeProfit: order.takeProfit }),
    };
  } catch (error) {
    return { accepted: false, refusals: [{ reason: 'invalid-order', message: error instanceof Error ? error.message : String(error) }] };
  }
  const position: Position = {
    id: fill.fillId,
    symbol: fill.symbol,
    side: fill.side,
    quantity: fill.quantity,
    entryPrice: fill.price,
    openedAtMs: fill.atMs,
    openCommissionMinor: fill.commissionMinor,
    ...(fill.stopLoss === undefined ? {} : { stopLoss: fill.stopLoss }),
  };
  const breaches = positionRuleBreaches(state, pack, position, BigInt(state.balanceMinor), fill.atMs);
  if (breaches.length > 0) return { accepted: false, refusals: breaches.map((violation) => ({ reason: 'rule', violation })) };
  return { accepted: true, fill };
}

/** Prices an order closing (part of) a position at the executable side of the current quote. */
export function priceCloseOrder(state: AccountState, pack: RulePack, order: CloseOrder): OrderDecision {
  if (state.status === 'passed' || state.status === 'failed') return { accepted: false, refusals: [{ reason: 'account-not-trading', status: state.status }] };
  const position = state.positions.find((candidate) => candidate.id === order.positionId);
  if (position === undefined) return { accepted: false, refusals: [{ reason: 'invalid-order', message: `no open position ${order.positionId}` }] };
  const mark = state.marks[position.symbol];
  if (mark === undefined) return { accepted: false, refusals: [{ reason: 'no-price', symbol: position.symbol }] };
  const instrument = instrumentOf(pack, position.symbol);
  let quantity: bigint;
  try {
    quantity = parseDecimal(order.quantity ?? position.quantity);
  } catch (error) {
    return { accepted: false, refusals: [{ reason: 'invalid-order', message: error instanceof Error ? error.message : String(error) }] };
  }
  if (quantity <= 0n || quantity > parseDecimal(position.quantity)) {
    return { accepted: false, refusals: [{ reason: 'invalid-order', message: `position ${position.id} holds ${position.quantity}` }] };
  }
  const { bid, ask } = quote(instrument, mark.price);
  return {
    accepted: true,
    fill: {
      kind: 'close',
      fillId: order.orderId,
      atMs: Math.max(order.atMs, state.lastEventAtMs),
      positionId: position.id,
      quantity: formatDecimal(quantity),
      price: formatDecimal(position.side === 'long' ? bid : ask),
      commissionMinor: commissionFor(instrument, quantity).toString(),
    },
  };
}
