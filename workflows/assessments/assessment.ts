// The assessment workflow (`assessment/{assessmentId}`): started by the webhook of the paid fee, it runs
// the trader's virtual account through every phase of the rule pack. Orders, imported fills, the risk
// monitor's breach and stop signals, day closes (a timer at each trading-day boundary) and the time limit
// all become account events applied by state.ts's pure rules; the workflow owns the verdict and records
// every change (event log, trades, violations, standing) through activities. Funded payouts run as a
// saga; ops override and stop with a reason, audited. Continues as new with its state when suggested.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { AssessmentActivities, AssessmentView } from '../../activities/assessments/assessments';
import type { AssessmentPayout, AssessmentPayoutActivities } from '../../activities/assessments/payouts';

import {
  AccountInputError,
  currentPhase,
  deadlineMs,
  evaluate,
  formatAmount,
  nextDayStartMs,
  priceCloseOrder,
  priceMarketOrder,
  resumeAccount,
  type AccountState,
  type Fill,
  type OrderRefusal,
  type Tick,
} from '../../domain/assessments/index';
import { DB_ACTIVITY, STRIPE_ACTIVITY, TRANSIENT_RETRY } from '../../temporal-config/policies';
import { AssessmentPhaseAttribute, AssessmentStatusAttribute, AssessmentTierAttribute } from '../../temporal-config/search-attributes';
import { ASSESSMENT_PAID_SIGNAL_NAME, type AssessmentPaidSignal } from './paid-signal';
import {
  fillBatchSchema,
  importedFillId,
  opsActionSchema,
  orderFillId,
  orderRequestSchema,
  type FillBatch,
  type OpsActionRequest,
  type OrderRequest,
} from './requests';
import {
  apply,
  endByOps,
  heldSymbols,
  initialState,
  noChanges,
  passByOps,
  payableSplit,
  settlePhase,
  wasApplied,
  type AssessmentState,
  type Changes,
} from './state';

const activities = proxyActivities<AssessmentActivities>(DB_ACTIVITY);
// An order waits for its price: a few quick attempts, then the trader is told there is no price.
const quotes = proxyActivities<AssessmentActivities>({
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '15s',
  retry: { ...TRANSIENT_RETRY, maximumAttempts: 3 },
});
const payouts = proxyActivities<AssessmentPayoutActivities>(STRIPE_ACTIVITY);
const ledger = proxyActivities<AssessmentPayoutActivities>(DB_ACTIVITY);

/** Risk-monitor signals queued at most; more arriving while the queue is full are dropped (the monitor repeats). */
export const RISK_SIGNALS_QUEUED_MAX = 100;
/** Ticks one risk signal may carry (the breaching price and the marks of the account's equity high). */
export const RISK_SIGNAL_TICKS_MAX = 64;
/** Attempts at one payout's Stripe transfer before it is left to operations. */
export const PAYOUT_ATTEMPTS_MAX = 3;

// ---------------------------------------------------------------------------------------------------
// Messages: the API, the webhook router and the risk monitor import these very objects.
// ---------------------------------------------------------------------------------------------------

/** What the risk monitor saw: the ticks to apply (oldest first) and the account version it evaluated. */
export interface RiskSignal {
  kind: 'breach' | 'warning' | 'stop';
  version: number;
  ticks: Tick[];
}

export interface OrderUpdateInput {
  /** The request's Idempotency-Key: the fill's and position's ID, and the update ID. */
  orderKey: string;
  order: z.input<typeof orderRequestSchema>;
}

export interface ImportUpdateInput {
  batchKey: string;
  batch: z.input<typeof fillBatchSchema>;
}

export interface OpsUpdateInput extends z.input<typeof opsActionSchema> {
  actionKey: string;
  actor: string;
}

export interface OrderResult {
  fill: Fill | null;
  duplicate: boolean;
  view: AssessmentView;
}

export interface ImportResult {
  applied: number;
  duplicates: number;
  view: AssessmentView;
}

export interface PayoutResult {
  payoutNumber: number;
  status: 'paid' | 'failed';
  splitMinor: string;
  feeRefundMinor: string;
  transferId: string | null;
  view: AssessmentView;
}

export const assessmentPaidSignal = defineSignal<[AssessmentPaidSignal]>(ASSESSMENT_PAID_SIGNAL_NAME);
export const riskSignal = defineSignal<[RiskSignal]>('riskEvent');
export const placeOrderUpdate = defineUpdate<OrderResult, [OrderUpdateInput]>('placeOrder');
export const importFillsUpdate = defineUpdate<ImportResult, [ImportUpdateInput]>('importFills');
export const opsActionUpdate = defineUpdate<AssessmentView, [OpsUpdateInput]>('opsAction');
export const requestPayoutUpdate = defineUpdate<PayoutResult, [{ requestKey: string }]>('requestPayout');
export const assessmentViewQuery = defineQuery<AssessmentView | null>('assessmentView');
/** The running phase's account itself, for reports built on demand. */
export const assessmentAccountQuery = defineQuery<AccountState | null>('assessmentAccount');

/** The `type` of every failure an update answers with; the API maps each to its status. */
export const AssessmentRejection = {
  invalidRequest: 'AssessmentInvalidRequest',
  invalidState: 'AssessmentInvalidState',
  orderRefused: 'OrderRefused',
  noPrice: 'NoPrice',
} as const;

function reject(type: (typeof AssessmentRejection)[keyof typeof AssessmentRejection], message: string, details?: unknown): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true, ...(details === undefined ? {} : { details: [details] }) });
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  reject(AssessmentRejection.invalidRequest, result.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '));
}

function refusalText(refusal: OrderRefusal, currency: string): string {
  switch (refusal.reason) {
    case 'account-not-trading':
      return `the account is ${refusal.status}`;
    case 'no-price':
      return `no price for ${refusal.symbol}`;
    case 'invalid-order':
      return refusal.message;
    case 'rule':
      return refusal.violation.unit === 'minor'
        ? `${refusal.violation.rule}: ${formatAmount(refusal.violation.measured === 'no-stop-loss' ? '0' : refusal.violation.measured, currency)} over the limit of ${formatAmount(refusal.violation.threshold, currency)}${refusal.violation.measured === 'no-stop-loss' ? ' (a stop-loss is required)' : ''}`
        : `${refusal.violation.rule}: ${refusal.violation.measured} over the limit of ${refusal.violation.threshold}`;
  }
}

/** Imported fills in the domain's terms, skipping those already applied. */
function importedFills(s: AssessmentState, batch: FillBatch): Array<{ key: string; fill: Fill }> {
  return batch.fills
    .map((fill) => {
      const key = importedFillId(fill.externalId);
      const domainFill: Fill =
        fill.kind === 'open'
          ? {
              kind: 'open',
              fillId: key,
              atMs: fill.executedAtMs,
              symbol: fill.symbol,
              side: fill.side,
              quantity: fill.quantity,
              price: fill.price,
              commissionMinor: fill.commissionMinor,
              ...(fill.stopLoss === undefined ? {} : { stopLoss: fill.stopLoss }),
              ...(fill.takeProfit === undefined ? {} : { takeProfit: fill.takeProfit }),
            }
          : {
              kind: 'close',
              fillId: key,
              atMs: fill.executedAtMs,
              positionId: importedFillId(fill.openedBy),
              quantity: fill.quantity,
              price: fill.price,
              commissionMinor: fill.commissionMinor,
            };
      return { key, fill: domainFill };
    })
    .filter(({ key }) => !wasApplied(s, key));
}

// ---------------------------------------------------------------------------------------------------
// The workflow
// ---------------------------------------------------------------------------------------------------

export interface AssessmentWorkflowInput {
  assessmentId: string;
  /** Off only on a test server without the custom search attributes. */
  searchAttributes?: boolean;
  /** Carried over by continue-as-new. */
  carried?: Carried;
}

interface Carried {
  state: AssessmentState;
  displayName: string;
  priceMinor: string;
  currency: string;
  pendingRisk: RiskSignal[];
  payoutAttempt: number;
}

export async function assessmentWorkflow(input: AssessmentWorkflowInput): Promise<{ status: string; reason: string | null }> {
  const { assessmentId } = input;
  let paid = input.carried !== undefined;
  let s: AssessmentState | null = input.carried?.state ?? null;
  let meta = input.carried ? { displayName: input.carried.displayName, priceMinor: input.carried.priceMinor, currency: input.carried.currency } : null;
  const pendingRisk: RiskSignal[] = [...(input.carried?.pendingRisk ?? [])];
  let payoutAttempt = input.carried?.payoutAttempt ?? 0;
  let busy = false;
  const indexed = input.searchAttributes !== false;

  /** Runs one change at a time: orders, imports, risk signals, timers and ops never interleave. */
  async function exclusive<T>(fn: (state: AssessmentState) => Promise<T>): Promise<T> {
    await condition(() => !busy);
    busy = true;
    try {
      return await fn(s!);
    } finally {
      busy = false;
    }
  }

  const view = (state: AssessmentState): AssessmentView => ({
    assessmentId,
    tier: state.tier,
    packId: state.packId,
    status: state.status,
    version: state.version,
    endedReason: state.endedReason,
    payoutsMade: state.payoutsMade,
    initialBalanceMinor: state.account.initialBalanceMinor,
    evaluation: evaluate(state.account, state.pack),
  });

  /** Records a change: bumps the version, refreshes search attributes and details, writes and publishes. */
  async function commit(state: AssessmentState, changes: Changes): Promise<AssessmentView> {
    state.version++;
    const current = view(state);
    if (indexed) {
      upsertSearchAttributes([
        { key: AssessmentStatusAttribute, value: state.status },
        { key: AssessmentPhaseAttribute, value: current.evaluation.phase.kind },
        { key: AssessmentTierAttribute, value: state.tier },
      ]);
    }
    setCurrentDetails(describe(state, current));
    await activities.recordChanges({
      assessmentId,
      displayName: meta!.displayName,
      changes,
      view: current,
      monitored: state.status === 'active' ? { assessmentId, packId: state.packId, version: state.version, account: state.account } : null,
    });
    return current;
  }

  /** Runs `step` on a copy; on an input error the state is left exactly as it was and the update fails. */
  function attempt<T>(state: AssessmentState, step: (copy: AssessmentState) => T): { copy: AssessmentState; result: T } {
    const copy = JSON.parse(JSON.stringify(state)) as AssessmentState;
    try {
      return { copy, result: step(copy) };
    } catch (error) {
      if (error instanceof AccountInputError) reject(AssessmentRejection.invalidRequest, error.message);
      throw error;
    }
  }

  const requireRunning = () => {
    if (s === null) reject(AssessmentRejection.invalidState, 'the assessment has not begun');
    if (s.status !== 'active') reject(AssessmentRejection.invalidState, `the assessment has ${s.status === 'stopped' ? 'been stopped' : s.status}`);
    return s;
  };

  setHandler(assessmentPaidSignal, () => {
    paid = true;
  });
  setHandler(riskSignal, (signal) => {
    if (pendingRisk.length < RISK_SIGNALS_QUEUED_MAX && Array.isArray(signal?.ticks) && signal.ticks.length <= RISK_SIGNAL_TICKS_MAX) pendingRisk.push(signal);
  });
  setHandler(assessmentViewQuery, () => (s ? view(s) : null));
  setHandler(assessmentAccountQuery, () => s?.account ?? null);

  setHandler(
    placeOrderUpdate,
    (request) =>
      exclusive(async (state) => {
        const order: OrderRequest = parse(orderRequestSchema, request.order);
        const fillId = orderFillId(request.orderKey);
        if (wasApplied(state, fillId)) return { fill: null, duplicate: true, view: view(state) };
        requireRunning();
        const symbol = order.action === 'open' ? order.symbol : state.account.positions.find((p) => p.id === order.positionId)?.symbol;
        if (symbol === undefined)
          reject(AssessmentRejection.invalidRequest, `positionId: no open position ${order.action === 'close' ? order.positionId : ''}`);
        let quoted: Tick;
        try {
          quoted = await quotes.currentPrice({ symbol });
        } catch {
          reject(AssessmentRejection.noPrice, `no current price for ${symbol}; try again shortly`);
        }
        // The latest price is the price now: it may predate the account's last event by moments.
        const tick: Tick = { ...quoted, atMs: Math.max(quoted.atMs, state.account.lastEventAtMs) };
        const changes = noChanges();
        const { copy, result: decision } = attempt(state, (next) => {
          apply(next, changes, `tick:${next.eventSeq}`, 'order', { kind: 'tick', tick });
          if (settlePhase(next, changes, tick.atMs)) return null;
          const priced =
            order.action === 'open'
              ? priceMarketOrder(next.account, next.pack, {
                  orderId: fillId,
                  atMs: tick.atMs,
                  symbol: order.symbol,
                  side: order.side,
                  quantity: order.quantity,
                  ...(order.stopLoss ? { stopLoss: order.stopLoss } : {}),
                  ...(order.takeProfit ? { takeProfit: order.takeProfit } : {}),
                })
              : priceCloseOrder(next.account, next.pack, {
                  orderId: fillId,
                  atMs: tick.atMs,
                  positionId: order.positionId,
                  ...(order.quantity ? { quantity: order.quantity } : {}),
                });
          if (!priced.accepted) return priced;
          apply(next, changes, fillId, 'order', { kind: 'fill', fill: priced.fill });
          settlePhase(next, changes, tick.atMs);
          return priced;
        });
        // A refused order changes nothing: the trader learns why, and the account stays as it was.
        if (decision !== null && !decision.accepted) {
          reject(AssessmentRejection.orderRefused, decision.refusals.map((refusal) => refusalText(refusal, state.pack.currency)).join('; '), decision.refusals);
        }
        s = copy;
        const current = await commit(copy, changes);
        return { fill: decision?.accepted ? decision.fill : null, duplicate: false, view: current };
      }),
    {
      validator: (request) => {
        parse(orderRequestSchema, request?.order);
        if (typeof request.orderKey !== 'string' || request.orderKey.length === 0) reject(AssessmentRejection.invalidRequest, 'orderKey is required');
        if (s && wasApplied(s, orderFillId(request.orderKey))) return;
        requireRunning();
      },
    },
  );

  setHandler(
    importFillsUpdate,
    (request) =>
      exclusive(async (state) => {
        const batch = parse(fillBatchSchema, request.batch);
        requireRunning();
        const fills = importedFills(state, batch);
        const changes = noChanges();
        const { copy } = attempt(state, (next) => {
          for (const { key, fill } of fills) {
            apply(next, changes, key, 'import', { kind: 'fill', fill });
            if (settlePhase(next, changes, fill.atMs)) break;
          }
        });
        if (fills.length === 0) return { applied: 0, duplicates: batch.fills.length, view: view(state) };
        s = copy;
        return { applied: fills.length, duplicates: batch.fills.length - fills.length, view: await commit(copy, changes) };
      }),
    {
      // The whole batch is tried on a copy first: one bad fill refuses the batch and nothing is applied.
      validator: (request) => {
        const batch = parse(fillBatchSchema, request?.batch);
        const state = requireRunning();
        attempt(state, (next) => {
          const changes = noChanges();
          for (const { key, fill } of importedFills(state, batch)) {
            apply(next, changes, key, 'import', { kind: 'fill', fill });
            if (settlePhase(next, changes, fill.atMs)) break;
          }
        });
      },
    },
  );

  setHandler(
    opsActionUpdate,
    (request) =>
      exclusive(async (state) => {
        const action: OpsActionRequest = parse(opsActionSchema, { action: request.action, reason: request.reason });
        if (state.status !== 'active') return view(state);
        await activities.recordOpsAction({ assessmentId, actionKey: request.actionKey, action: action.action, actor: request.actor, reason: action.reason });
        const changes = noChanges();
        const atMs = Date.now();
        switch (action.action) {
          case 'override-pass':
            passByOps(state, changes, action.reason, atMs);
            break;
          case 'override-fail':
            endByOps(state, changes, 'fail', action.reason, atMs);
            break;
          case 'emergency-stop':
            endByOps(state, changes, 'stop', action.reason, atMs);
            break;
          case 'resume':
            state.account = resumeAccount(state.account);
            break;
        }
        return commit(state, changes);
      }),
    {
      validator: (request) => {
        const action = parse(opsActionSchema, { action: request?.action, reason: request?.reason });
        const state = requireRunning();
        if (action.action === 'resume' && state.account.status !== 'paused')
          reject(AssessmentRejection.invalidState, `the account is ${state.account.status}, not paused`);
      },
    },
  );

  setHandler(
    requestPayoutUpdate,
    (_request) =>
      exclusive(async (state) => {
        requireRunning();
        const { profitMinor, splitMinor, feeRefundMinor } = payableSplit(state, BigInt(meta!.priceMinor));
        const payoutNumber = state.payoutsMade + 1;
        let transferId: string | null = null;
        let payout: AssessmentPayout | null = null;
        for (payoutAttempt = payoutAttempt + 1; payoutAttempt <= PAYOUT_ATTEMPTS_MAX && transferId === null; payoutAttempt++) {
          payout = {
            assessmentId,
            traderId: state.traderId,
            payoutNumber,
            attempt: payoutAttempt,
            splitMinor: splitMinor.toString(),
            feeRefundMinor: feeRefundMinor.toString(),
            currency: meta!.currency,
          };
          await ledger.reserveAssessmentPayout(payout);
          try {
            transferId = (await payouts.transferAssessmentPayout(payout)).transferId;
            await ledger.postAssessmentPayout({ payout, transferId });
          } catch (error) {
            // Stripe refused this attempt for good: release the reservation; the next attempt has its own keys.
            if (!(error instanceof ApplicationFailure) && !(error instanceof Error && (error.cause as ApplicationFailure | undefined)?.nonRetryable))
              throw error;
            await ledger.voidAssessmentPayout(payout);
          }
        }
        const changes = noChanges();
        if (transferId === null) {
          await ledger.failAssessmentPayout(payout!);
          payoutAttempt = 0;
          return {
            payoutNumber,
            status: 'failed' as const,
            splitMinor: splitMinor.toString(),
            feeRefundMinor: feeRefundMinor.toString(),
            transferId,
            view: view(state),
          };
        }
        payoutAttempt = 0;
        state.payoutsMade = payoutNumber;
        state.profitSplitPaidMinor = (BigInt(state.profitSplitPaidMinor) + profitMinor).toString();
        const current = await commit(state, changes);
        return {
          payoutNumber,
          status: 'paid' as const,
          splitMinor: splitMinor.toString(),
          feeRefundMinor: feeRefundMinor.toString(),
          transferId,
          view: current,
        };
      }),
    {
      validator: (_request) => {
        const state = requireRunning();
        if (currentPhase(state.account, state.pack).kind !== 'funded') reject(AssessmentRejection.invalidState, 'payouts are made in the funded phase only');
        if (payableSplit(state, 0n).splitMinor <= 0n) reject(AssessmentRejection.invalidState, 'there is no profit to split since the last payout');
      },
    },
  );

  // Begin: the paid signal comes with the start; the activity claims the purchase (a refund may have won).
  if (s === null) {
    await condition(() => paid);
    const begun = await activities.beginAssessment({ assessmentId });
    if (!begun.began) return { status: `not-started (${begun.status})`, reason: 'the purchase was refunded before the assessment began' };
    meta = { displayName: begun.displayName, priceMinor: begun.priceMinor, currency: begun.currency };
    const start = initialState({ assessmentId, traderId: begun.traderId, tier: begun.tier, packId: begun.packId, pack: begun.pack, startedAtMs: Date.now() });
    s = start.state;
    await commit(s, start.changes);
  }

  while (s.status === 'active') {
    const state: AssessmentState = s;
    const now = Date.now();
    const wakeAtMs = Math.min(
      nextDayStartMs(state.pack.tradingDay, Math.max(now, state.account.lastEventAtMs)),
      deadlineMs(state.account, state.pack) ?? Number.MAX_SAFE_INTEGER,
    );
    const woke = await condition(() => pendingRisk.length > 0 || s!.status !== 'active' || workflowInfo().continueAsNewSuggested, Math.max(wakeAtMs - now, 1));
    if (s.status !== 'active') break;

    // The risk monitor saw a breach, a warning or a stop crossing: the workflow re-checks with the same prices.
    while (pendingRisk.length > 0 && s.status === 'active') {
      const signal = pendingRisk.shift()!;
      await exclusive(async (current) => {
        const changes = noChanges();
        for (const tick of signal.ticks) {
          apply(current, changes, `tick:${current.eventSeq}`, 'risk-monitor', { kind: 'tick', tick });
          if (settlePhase(current, changes, tick.atMs)) break;
        }
        if (changes.trades.length + changes.violations.length + changes.warnings.length + changes.phasesEnded.length > 0 || signal.kind === 'breach')
          await commit(current, changes);
      });
    }

    // A trading day ended or the time limit came: mark the held positions at the latest prices, close the day.
    if (!woke && s.status === 'active') {
      await exclusive(async (current) => {
        const changes = noChanges();
        const ticks = await activities.currentPrices({ symbols: heldSymbols(current) });
        const atMs = Date.now();
        for (const tick of ticks)
          apply(current, changes, `tick:${current.eventSeq}`, 'timer', {
            kind: 'tick',
            tick: { ...tick, atMs: Math.max(tick.atMs, current.account.lastEventAtMs) },
          });
        if (!settlePhase(current, changes, atMs)) {
          apply(current, changes, `day-close:${current.eventSeq}`, 'timer', { kind: 'day-close', atMs });
          settlePhase(current, changes, atMs);
        }
        await commit(current, changes);
      });
    }

    if (workflowInfo().continueAsNewSuggested && s.status === 'active') {
      await condition(allHandlersFinished);
      await continueAsNew<typeof assessmentWorkflow>({
        assessmentId,
        ...(input.searchAttributes === undefined ? {} : { searchAttributes: input.searchAttributes }),
        carried: { state: s, displayName: meta!.displayName, priceMinor: meta!.priceMinor, currency: meta!.currency, pendingRisk, payoutAttempt },
      });
    }
  }
  await condition(allHandlersFinished);
  return { status: s.status, reason: s.endedReason };
}

function describe(state: AssessmentState, current: AssessmentView): string {
  const { phase, live } = current.evaluation;
  const money = (minor: string | undefined) => (minor === undefined ? 'n/a' : formatAmount(minor, state.pack.currency));
  const standing = `equity ${money(live.equityMinor)}, may lose ${money(live.todayPermittedLossMinor)} more today and ${money(live.maximumPermittedLossMinor)} in all`;
  return `**${state.tier}** — ${state.status}, phase ${phase.index + 1} (${phase.name}), ${standing}${state.endedReason ? `. ${state.endedReason}` : ''}`;
}
