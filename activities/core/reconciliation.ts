// Reconciliation: compares what our database recorded for a pool — PaymentIntents, transfers, refunds,
// the ledger's entries for them, and webhook signals still owed — with what Stripe reports, object by
// object and by our metadata, and lists every mismatch. It changes nothing: deciding what a mismatch
// means is for people (or a later, deliberate repair step), never a silent overwrite.
import { ApplicationFailure } from '@temporalio/common';
import type Stripe from 'stripe';
import { type LedgerEntry, listLedgerEntriesByPrefix } from '../../db/payments/ledger-entries';
import { listPaymentIntentsByPool, type PaymentIntentRow } from '../../db/payments/payment-intents';
import { listRefundsByPool, type RefundRow } from '../../db/payments/refunds';
import { listTransfersByPool, type TransferRow } from '../../db/payments/transfers';
import { listUndeliveredEventsByPool } from '../../db/payments/webhook-events';
import type { Db } from '../../db/pool';
import { isStripeError, PaymentFailureType } from '../../payments/errors';
import { idempotencyKeys, poolTransferGroup } from '../../payments/idempotency-keys';
import { ID_PART_PATTERN } from '../../temporal-config/workflow-ids';
import { parseMovementMetadata } from '../../payments/metadata';
import { poolLedgerKeys } from '../pools/pool-ledger';
import { stripeId } from '../../payments/records';
import { businessMetrics } from '../../observability/metrics';

/** The most Stripe objects (or ledger entries) of one kind a reconciliation reads for one pool. */
export const RECONCILE_OBJECTS_MAX = 10_000;

/** The ledger keys the pool workflows write: activities/pools/pool-ledger.ts builds them, this reads them back. */
const ledgerPrefix = (kind: 'contribution' | 'payout' | 'refund', poolId: string) => poolLedgerKeys.prefix(kind, poolId);

export type ReconciledKind = 'payment_intent' | 'transfer' | 'refund' | 'ledger' | 'webhook_event';

export type MismatchProblem =
  | 'missing_in_stripe'
  | 'missing_in_db'
  | 'missing_in_ledger'
  | 'amount'
  | 'currency'
  | 'status'
  | 'amount_reversed'
  | 'destination'
  | 'business_key'
  | 'undelivered_signal'
  | 'too_many_objects';

export interface Mismatch {
  kind: ReconciledKind;
  problem: MismatchProblem;
  /** The Stripe ID, ledger key or event ID the mismatch is about. */
  objectId: string | null;
  idempotencyKey: string | null;
  /** What our database (or ledger) says, as text (amounts in minor units). */
  ours: string | null;
  /** What Stripe says. */
  stripe: string | null;
}

export interface ReconciliationReport {
  poolId: string;
  checked: { paymentIntents: number; transfers: number; refunds: number; ledgerEntries: number; stripeObjects: number };
  mismatches: Mismatch[];
}

export interface ReconciliationDeps {
  stripe: Stripe;
  db: Db;
}

/** Retrieves an object, or null when Stripe says it does not exist; other errors propagate (retryable). */
async function retrieveOrNull<T>(retrieve: () => Promise<T>): Promise<T | null> {
  try {
    return await retrieve();
  } catch (error) {
    if (isStripeError(error) && error.code === 'resource_missing') return null;
    throw error;
  }
}

/** Reads an auto-paginated Stripe list up to RECONCILE_OBJECTS_MAX; `truncated` says whether it stopped early. */
async function collect<T>(list: AsyncIterable<T>): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  for await (const item of list) {
    if (items.length >= RECONCILE_OBJECTS_MAX) return { items, truncated: true };
    items.push(item);
  }
  return { items, truncated: false };
}

/** Collects mismatches; `differ` adds one only when the two sides' text forms differ. */
class Findings {
  readonly mismatches: Mismatch[] = [];
  stripeObjects = 0;

  add(kind: ReconciledKind, problem: MismatchProblem, objectId: string | null, key: string | null, ours: unknown, theirs: unknown): void {
    const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
    this.mismatches.push({ kind, problem, objectId, idempotencyKey: key, ours: text(ours), stripe: text(theirs) });
  }

  differ(kind: ReconciledKind, problem: MismatchProblem, objectId: string, key: string, ours: unknown, theirs: unknown): void {
    if (String(ours) !== String(theirs)) this.add(kind, problem, objectId, key, ours, theirs);
  }
}

export function createReconciliationActivities(deps: ReconciliationDeps) {
  const { stripe, db } = deps;

  /** Our PaymentIntents against Stripe's, then Stripe's (by pool metadata) against ours; returns Stripe's view. */
  async function reconcilePaymentIntents(poolId: string, rows: PaymentIntentRow[], f: Findings): Promise<Map<string, Stripe.PaymentIntent>> {
    const seen = new Map<string, Stripe.PaymentIntent>();
    for (const row of rows) {
      const pi = await retrieveOrNull(() => stripe.paymentIntents.retrieve(row.paymentIntentId));
      f.stripeObjects++;
      if (!pi) {
        f.add('payment_intent', 'missing_in_stripe', row.paymentIntentId, row.idempotencyKey, row.status, null);
        continue;
      }
      seen.set(pi.id, pi);
      f.differ('payment_intent', 'amount', pi.id, row.idempotencyKey, row.amountMinor, pi.amount);
      f.differ('payment_intent', 'currency', pi.id, row.idempotencyKey, row.currency, pi.currency);
      f.differ('payment_intent', 'status', pi.id, row.idempotencyKey, row.status, pi.status);
      f.differ('payment_intent', 'business_key', pi.id, row.idempotencyKey, row.idempotencyKey, parseMovementMetadata(pi.metadata)?.idempotencyKey ?? null);
    }
    const searched = await collect(stripe.paymentIntents.search({ query: `metadata['pool_id']:'${poolId}'`, limit: 100 }));
    f.stripeObjects += searched.items.length;
    for (const pi of searched.items) {
      const movement = parseMovementMetadata(pi.metadata);
      if (movement?.kind !== 'contribution' || movement.poolId !== poolId || seen.has(pi.id)) continue;
      seen.set(pi.id, pi);
      f.add('payment_intent', 'missing_in_db', pi.id, movement.idempotencyKey, null, `${pi.status} ${pi.amount} ${pi.currency}`);
    }
    if (searched.truncated) f.add('payment_intent', 'too_many_objects', null, null, null, `more than ${RECONCILE_OBJECTS_MAX}`);
    return seen;
  }

  /** Our transfers against Stripe's, then the pool's transfer group against ours; returns Stripe's view. */
  async function reconcileTransfers(poolId: string, rows: TransferRow[], f: Findings): Promise<Map<string, Stripe.Transfer>> {
    const seen = new Map<string, Stripe.Transfer>();
    for (const row of rows) {
      const transfer = await retrieveOrNull(() => stripe.transfers.retrieve(row.transferId));
      f.stripeObjects++;
      if (!transfer) {
        f.add('transfer', 'missing_in_stripe', row.transferId, row.idempotencyKey, row.amountMinor, null);
        continue;
      }
      seen.set(transfer.id, transfer);
      f.differ('transfer', 'amount', transfer.id, row.idempotencyKey, row.amountMinor, transfer.amount);
      f.differ('transfer', 'currency', transfer.id, row.idempotencyKey, row.currency, transfer.currency);
      f.differ('transfer', 'amount_reversed', transfer.id, row.idempotencyKey, row.amountReversedMinor, transfer.amount_reversed);
      f.differ('transfer', 'destination', transfer.id, row.idempotencyKey, row.destinationAccountId, stripeId(transfer.destination));
      f.differ(
        'transfer',
        'business_key',
        transfer.id,
        row.idempotencyKey,
        row.idempotencyKey,
        parseMovementMetadata(transfer.metadata)?.idempotencyKey ?? null,
      );
    }
    const grouped = await collect(stripe.transfers.list({ transfer_group: poolTransferGroup(poolId), limit: 100 }));
    f.stripeObjects += grouped.items.length;
    for (const transfer of grouped.items) {
      const movement = parseMovementMetadata(transfer.metadata);
      if (movement?.kind !== 'payout' || movement.poolId !== poolId || seen.has(transfer.id)) continue;
      seen.set(transfer.id, transfer);
      f.add('transfer', 'missing_in_db', transfer.id, movement.idempotencyKey, null, `${transfer.amount} ${transfer.currency}`);
    }
    if (grouped.truncated) f.add('transfer', 'too_many_objects', null, null, null, `more than ${RECONCILE_OBJECTS_MAX}`);
    return seen;
  }

  /** Our refunds against Stripe's, then every refund of the pool's charges against ours; returns Stripe's view. */
  async function reconcileRefunds(rows: RefundRow[], paymentIntentIds: Iterable<string>, f: Findings): Promise<Map<string, Stripe.Refund>> {
    const seen = new Map<string, Stripe.Refund>();
    for (const row of rows) {
      const refund = await retrieveOrNull(() => stripe.refunds.retrieve(row.refundId));
      f.stripeObjects++;
      if (!refund) {
        f.add('refund', 'missing_in_stripe', row.refundId, row.idempotencyKey, row.status, null);
        continue;
      }
      seen.set(refund.id, refund);
      f.differ('refund', 'amount', refund.id, row.idempotencyKey, row.amountMinor, refund.amount);
      f.differ('refund', 'currency', refund.id, row.idempotencyKey, row.currency, refund.currency);
      f.differ('refund', 'status', refund.id, row.idempotencyKey, row.status, refund.status);
      f.differ('refund', 'business_key', refund.id, row.idempotencyKey, row.idempotencyKey, parseMovementMetadata(refund.metadata)?.idempotencyKey ?? null);
    }
    for (const paymentIntentId of paymentIntentIds) {
      const listed = await collect(stripe.refunds.list({ payment_intent: paymentIntentId, limit: 100 }));
      f.stripeObjects += listed.items.length;
      for (const refund of listed.items) {
        if (seen.has(refund.id)) continue;
        seen.set(refund.id, refund);
        // A refund made outside Poolflow (the Dashboard) still moved this pool's money: list it too.
        f.add(
          'refund',
          'missing_in_db',
          refund.id,
          parseMovementMetadata(refund.metadata)?.idempotencyKey ?? null,
          null,
          `${refund.status} ${refund.amount} ${refund.currency}`,
        );
      }
    }
    return seen;
  }

  /**
   * The ledger against Stripe (Stripe's amounts and states, not our copies, which are checked above):
   * every succeeded charge, transfer and live refund has its ledger entry, and every ledger entry has
   * its Stripe object, for the same amount.
   */
  async function reconcileLedger(
    poolId: string,
    stripeView: { paymentIntents: Map<string, Stripe.PaymentIntent>; transfers: Map<string, Stripe.Transfer>; refunds: Map<string, Stripe.Refund> },
    f: Findings,
  ): Promise<number> {
    const read = (kind: 'contribution' | 'payout' | 'refund') => listLedgerEntriesByPrefix(db, ledgerPrefix(kind, poolId), RECONCILE_OBJECTS_MAX);
    const [contributions, payouts, refunds] = [await read('contribution'), await read('payout'), await read('refund')];
    const amountOf = (entry: LedgerEntry) => `${entry.amountMinor} ${entry.currency}`;

    const chargesInLedger = new Set<string>();
    for (const entry of contributions) {
      const piId = typeof entry.metadata.paymentIntentId === 'string' ? entry.metadata.paymentIntentId : null;
      const pi = piId ? stripeView.paymentIntents.get(piId) : undefined;
      if (piId) chargesInLedger.add(piId);
      if (!pi || pi.status !== 'succeeded') {
        f.add('ledger', 'missing_in_stripe', entry.idempotencyKey, null, amountOf(entry), pi ? `${pi.id} ${pi.status}` : piId);
        continue;
      }
      f.differ(
        'ledger',
        'amount',
        entry.idempotencyKey,
        parseMovementMetadata(pi.metadata)?.idempotencyKey ?? '',
        amountOf(entry),
        `${pi.amount} ${pi.currency}`,
      );
    }
    for (const pi of stripeView.paymentIntents.values()) {
      if (pi.status === 'succeeded' && !chargesInLedger.has(pi.id)) {
        f.add('ledger', 'missing_in_ledger', pi.id, parseMovementMetadata(pi.metadata)?.idempotencyKey ?? null, null, `${pi.amount} ${pi.currency}`);
      }
    }

    const transfersByKey = new Map([...stripeView.transfers.values()].map((t) => [parseMovementMetadata(t.metadata)?.idempotencyKey, t]));
    const transfersInLedger = new Set<string>();
    for (const entry of payouts) {
      const [, , , round, memberId, purpose] = entry.idempotencyKey.split(':');
      let transfer: Stripe.Transfer | undefined;
      try {
        transfer = transfersByKey.get(idempotencyKeys.payout({ poolId, round: Number(round), memberId: memberId ?? '', purpose: purpose ?? '' }));
      } catch {
        transfer = undefined;
      }
      if (transfer) transfersInLedger.add(transfer.id);
      const final = entry.state === 'posted' || entry.state === 'posted_from_pending';
      if (!transfer) {
        if (entry.state !== 'voided') f.add('ledger', 'missing_in_stripe', entry.idempotencyKey, null, `${entry.state} ${amountOf(entry)}`, null);
        continue;
      }
      // A transfer exists, so the money left: the ledger must say so, for the amount that stayed sent.
      if (!final) f.add('ledger', 'status', entry.idempotencyKey, transfer.metadata.idempotency_key ?? null, entry.state, `transferred ${transfer.id}`);
      f.differ(
        'ledger',
        'amount',
        entry.idempotencyKey,
        transfer.metadata.idempotency_key ?? '',
        amountOf(entry),
        `${transfer.amount - transfer.amount_reversed} ${transfer.currency}`,
      );
    }
    for (const transfer of stripeView.transfers.values()) {
      if (!transfersInLedger.has(transfer.id)) {
        f.add('ledger', 'missing_in_ledger', transfer.id, transfer.metadata.idempotency_key ?? null, null, `${transfer.amount} ${transfer.currency}`);
      }
    }

    const refundsInLedger = new Set<string>();
    for (const entry of refunds) {
      const refundId = typeof entry.metadata.refundId === 'string' ? entry.metadata.refundId : null;
      const refund = refundId ? stripeView.refunds.get(refundId) : undefined;
      if (refundId) refundsInLedger.add(refundId);
      if (!refund || refund.status === 'failed' || refund.status === 'canceled') {
        f.add('ledger', 'missing_in_stripe', entry.idempotencyKey, null, amountOf(entry), refund ? `${refund.id} ${refund.status}` : refundId);
        continue;
      }
      f.differ('ledger', 'amount', entry.idempotencyKey, refund.metadata?.idempotency_key ?? '', amountOf(entry), `${refund.amount} ${refund.currency}`);
    }
    for (const refund of stripeView.refunds.values()) {
      if (refund.status !== 'failed' && refund.status !== 'canceled' && !refundsInLedger.has(refund.id)) {
        f.add('ledger', 'missing_in_ledger', refund.id, refund.metadata?.idempotency_key ?? null, null, `${refund.amount} ${refund.currency}`);
      }
    }
    return contributions.length + payouts.length + refunds.length;
  }

  return {
    /** Lists every difference between our records of a pool's money movements, the ledger and Stripe. */
    async reconcilePool(input: { poolId: string }): Promise<ReconciliationReport> {
      const { poolId } = input;
      // A pool id that could not key our objects would also break the search query.
      if (!ID_PART_PATTERN.test(poolId))
        throw ApplicationFailure.nonRetryable(`pool id ${JSON.stringify(poolId)} is malformed`, PaymentFailureType.invalidInput);
      const f = new Findings();
      const [piRows, transferRows, refundRows] = [
        await listPaymentIntentsByPool(db, poolId),
        await listTransfersByPool(db, poolId),
        await listRefundsByPool(db, poolId),
      ];

      const paymentIntents = await reconcilePaymentIntents(poolId, piRows, f);
      const transfers = await reconcileTransfers(poolId, transferRows, f);
      const refunds = await reconcileRefunds(refundRows, paymentIntents.keys(), f);
      const ledgerEntries = await reconcileLedger(poolId, { paymentIntents, transfers, refunds }, f);

      // Signals a workflow never received: the money may be fine, but the pool does not know it.
      for (const event of await listUndeliveredEventsByPool(db, poolId)) {
        f.add('webhook_event', 'undelivered_signal', event.eventId, null, `${event.eventType} → ${event.signalWorkflowId}`, event.lastRouteError);
      }

      businessMetrics.reconciliationRuns.inc();
      businessMetrics.reconciliationMismatches.inc(f.mismatches.length);
      return {
        poolId,
        checked: { paymentIntents: piRows.length, transfers: transferRows.length, refunds: refundRows.length, ledgerEntries, stripeObjects: f.stripeObjects },
        mismatches: f.mismatches,
      };
    },
  };
}
