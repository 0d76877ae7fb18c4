// Reconciliation: compares what our database recorded for a pool — PaymentIntents, transfers, refunds,
// the ledger's entries for them, and webhook signals still owed — with what Stripe reports, object by
// object and by our metadata, and lists every mismatch. It changes nothing: deciding what a mismatch
// means is for people (or a later, deliberate repair step), never a silent overwrite.
import { ApplicationFailure } from '@temporalio/common';
import type Stripe from 'stripe';
import type { MovementIdentity } from '../../db/payments/movement-table';
import { type LedgerEntry, listLedgerEntriesByPrefix } from '../../db/payments/ledger-entries';
import { listPaymentIntentsByPool, type PaymentIntentRow } from '../../db/payments/payment-intents';
import { listRefundsByPool, type RefundRow } from '../../db/payments/refunds';
import { listTransfersByPool, type TransferRow } from '../../db/payments/transfers';
import { listUndeliveredEventsByPool } from '../../db/payments/webhook-events';
import type { Db } from '../../db/pool';
import { isStripeError, PaymentFailureType } from '../../payments/errors';
import { idempotencyKeys, type MoneyMovementKind, poolLedgerKeys, poolTransferGroup } from '../../domain/core/idempotency-keys';
import { ID_PART_PATTERN } from '../../temporal-config/workflow-ids';
import { parseMovementMetadata } from '../../payments/metadata';
import { stripeId, type StripeMovement } from '../../payments/records';
import { businessMetrics } from '../../observability/metrics';

/** The most Stripe objects (or ledger entries) of one kind a reconciliation reads for one pool. */
export const RECONCILE_OBJECTS_MAX = 10_000;

/** The ledger keys the pool workflows write (activities/pools/pool-ledger.ts), read back by prefix. */
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

type Check = [problem: MismatchProblem, ours: unknown, theirs: unknown];

/**
 * One kind of recorded Stripe money movement as reconciliation compares it: how Stripe's copy of a row
 * is fetched, what beyond amount, currency and business key must agree, and where Stripe lists the
 * pool's objects of that kind (so that one we never recorded is found too).
 */
interface ReconciledMovement<Row extends MovementIdentity, Obj extends StripeMovement> {
  kind: ReconciledKind;
  stripeIdOf(row: Row): string;
  retrieve(stripeId: string): Promise<Obj>;
  /** What our row says, shown when Stripe has no such object. */
  ours(row: Row): unknown;
  checks(row: Row, object: Obj): Check[];
  /** Stripe's lists of the pool's objects, opened one at a time. */
  listed(): Iterable<AsyncIterable<Obj>>;
  /** When set, a listed object counts only if our metadata names this movement kind in this pool. */
  createdAs: MoneyMovementKind | null;
  /** Stripe's side of an object we never recorded. */
  describe(object: Obj): string;
}

/** Our rows of one kind against Stripe's objects, then Stripe's lists against our rows; returns Stripe's view. */
async function reconcileMovements<Row extends MovementIdentity, Obj extends StripeMovement>(
  movement: ReconciledMovement<Row, Obj>,
  poolId: string,
  rows: Row[],
  f: Findings,
): Promise<Map<string, Obj>> {
  const { kind } = movement;
  const seen = new Map<string, Obj>();
  for (const row of rows) {
    const id = movement.stripeIdOf(row);
    const object = await retrieveOrNull(() => movement.retrieve(id));
    f.stripeObjects++;
    if (!object) {
      f.add(kind, 'missing_in_stripe', id, row.idempotencyKey, movement.ours(row), null);
      continue;
    }
    seen.set(object.id, object);
    const checks: Check[] = [
      ['amount', row.amountMinor, object.amount],
      ['currency', row.currency, object.currency],
      ...movement.checks(row, object),
      ['business_key', row.idempotencyKey, parseMovementMetadata(object.metadata)?.idempotencyKey ?? null],
    ];
    for (const [problem, ours, theirs] of checks) f.differ(kind, problem, object.id, row.idempotencyKey, ours, theirs);
  }
  for (const list of movement.listed()) {
    const listed = await collect(list);
    f.stripeObjects += listed.items.length;
    for (const object of listed.items) {
      const metadata = parseMovementMetadata(object.metadata);
      const ours = movement.createdAs === null || (metadata?.kind === movement.createdAs && metadata.poolId === poolId);
      if (!ours || seen.has(object.id)) continue;
      seen.set(object.id, object);
      f.add(kind, 'missing_in_db', object.id, metadata?.idempotencyKey ?? null, null, movement.describe(object));
    }
    if (listed.truncated) f.add(kind, 'too_many_objects', null, null, null, `more than ${RECONCILE_OBJECTS_MAX}`);
  }
  return seen;
}

export function createReconciliationActivities(deps: ReconciliationDeps) {
  const { stripe, db } = deps;

  const paymentIntents = (poolId: string): ReconciledMovement<PaymentIntentRow, Stripe.PaymentIntent> => ({
    kind: 'payment_intent',
    stripeIdOf: (row) => row.paymentIntentId,
    retrieve: (id) => stripe.paymentIntents.retrieve(id),
    ours: (row) => row.status,
    checks: (row, pi) => [['status', row.status, pi.status]],
    listed: () => [stripe.paymentIntents.search({ query: `metadata['pool_id']:'${poolId}'`, limit: 100 })],
    createdAs: 'contribution',
    describe: (pi) => `${pi.status} ${pi.amount} ${pi.currency}`,
  });

  const transfers = (poolId: string): ReconciledMovement<TransferRow, Stripe.Transfer> => ({
    kind: 'transfer',
    stripeIdOf: (row) => row.transferId,
    retrieve: (id) => stripe.transfers.retrieve(id),
    ours: (row) => row.amountMinor,
    checks: (row, transfer) => [
      ['amount_reversed', row.amountReversedMinor, transfer.amount_reversed],
      ['destination', row.destinationAccountId, stripeId(transfer.destination)],
    ],
    listed: () => [stripe.transfers.list({ transfer_group: poolTransferGroup(poolId), limit: 100 })],
    createdAs: 'payout',
    describe: (transfer) => `${transfer.amount} ${transfer.currency}`,
  });

  /** Every refund of the pool's charges: one made outside Poolflow (the Dashboard) still moved this pool's money. */
  const refunds = (paymentIntentIds: Iterable<string>): ReconciledMovement<RefundRow, Stripe.Refund> => ({
    kind: 'refund',
    stripeIdOf: (row) => row.refundId,
    retrieve: (id) => stripe.refunds.retrieve(id),
    ours: (row) => row.status,
    checks: (row, refund) => [['status', row.status, refund.status]],
    *listed() {
      for (const paymentIntentId of paymentIntentIds) yield stripe.refunds.list({ payment_intent: paymentIntentId, limit: 100 });
    },
    createdAs: null,
    describe: (refund) => `${refund.status} ${refund.amount} ${refund.currency}`,
  });

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

      const stripePaymentIntents = await reconcileMovements(paymentIntents(poolId), poolId, piRows, f);
      const stripeTransfers = await reconcileMovements(transfers(poolId), poolId, transferRows, f);
      const stripeRefunds = await reconcileMovements(refunds(stripePaymentIntents.keys()), poolId, refundRows, f);
      const ledgerEntries = await reconcileLedger(poolId, { paymentIntents: stripePaymentIntents, transfers: stripeTransfers, refunds: stripeRefunds }, f);

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
