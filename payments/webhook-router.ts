// Turns verified Stripe webhook events into stored facts and signals. One SERIALIZABLE transaction
// stores the event once by its id, records the object's new state monotonically, and decides whether a
// workflow must hear of it; the signal is delivered after commit, and an event whose signal was not
// delivered keeps routed_at NULL so that redeliverPending() (or a repeated delivery by Stripe) sends it
// again. Receivers de-duplicate by business key, so a signal sent twice is harmless.
// An event only says that something happened: the object it names is fetched from Stripe first, and
// Stripe's copy is what gets recorded and signalled, so a forged or stale event moves no money.
import type { Client } from '@temporalio/client';
import type Stripe from 'stripe';
import {
  findPendingSignal,
  insertWebhookEvent,
  listPendingSignals,
  markSignalDelivered,
  markSignalFailed,
  markSignalMoot,
  purgeHandledWebhookEvents,
  type PendingSignal,
  recordWebhookOutcome,
  type WebhookDecision,
  type WebhookOutcome,
} from '../db/payments/webhook-events';
import type { MovementIdentity } from '../db/payments/movement-table';
import type { PaymentIntentRow } from '../db/payments/payment-intents';
import type { RefundRow } from '../db/payments/refunds';
import type { TransferRow } from '../db/payments/transfers';
import type { Db, Queryable } from '../db/pool';
import { transaction } from '../db/transaction';
import type { Logger } from '../observability/log';
import { errorMessage } from '../observability/log';
import { workflowIds } from '../temporal-config/workflow-ids';
import {
  type MovementSignalBase,
  PAYMENT_SIGNAL_NAMES,
  type PaymentIntentSignal,
  type RefundSignal,
  type TransferSignal,
} from '../workflows/core/payment-signals';
import { assessmentIdOfOwner } from '../activities/assessments/money';
import { deliverAssessmentPaid, isAssessmentFee, projectAssessmentFee, ASSESSMENT_PAID_SIGNAL_NAME } from '../activities/assessments/purchase-webhooks';
import { type MovementMetadata, parseMovementMetadata } from './metadata';
import {
  type MovementRecords,
  type ObservationSource,
  paymentIntentRecords,
  type RecordVerdict,
  refundRecords,
  type StripeMovement,
  transferRecords,
} from './records';
import { businessMetrics } from '../observability/metrics';

/** Delivering the signal a stored event calls for. */
export const SIGNAL_DELIVERY = {
  /** How long delivering one signal may take before the event is left for re-delivery. */
  timeoutMs: 5_000,
  /** Delivery attempts per event before redeliverPending() stops trying (reconciliation still lists it). */
  attemptsMax: 50,
  /** Events one redeliverPending() call handles. */
  batchMax: 100,
} as const;

/** Keeping handled events. */
export const WEBHOOK_EVENT_RETENTION = {
  /** How long a handled event is kept: long enough to answer a dispute or an audit question about it. */
  days: 90,
  /** Events one purgeExpired() call deletes, so a backlog never turns into one long transaction. */
  purgeBatchMax: 1_000,
} as const;

export interface WebhookRouterDeps {
  db: Db;
  temporal: Client;
  log: Logger;
  /** Where each event's object is fetched from before anything is recorded. */
  stripe: Stripe;
  signalTimeoutMs?: number;
  /** Where assessment workflows run (their fee's webhook starts them); tests use their own queue. */
  assessmentsTaskQueue?: string;
}

export interface IngestResult {
  eventId: string;
  /** The event id was stored before: nothing was recorded or decided again. */
  duplicate: boolean;
  outcome: WebhookOutcome | null;
  /** Whether a signal owed by this event was delivered now; null when none was owed. */
  delivered: boolean | null;
}

type Decided = WebhookDecision & { signal: NonNullable<WebhookDecision['signal']> | null };

const ignored: Decided = { outcome: 'ignored', poolId: null, signal: null };

function outcomeOf(verdict: RecordVerdict): WebhookOutcome {
  switch (verdict) {
    case 'transition':
      return 'signal';
    // A confirmation is recorded (the webhook becomes the state's source) but owes no signal: the state
    // is the one Stripe's answer gave the activity that made the call, and through it the workflow. A
    // signal would tell the round nothing, yet arrive while it finishes, failing that workflow task
    // (UnhandledCommand) so that its local activities run again.
    case 'confirmation':
    case 'stale':
      return 'stale';
    case 'conflict':
      return 'conflict';
  }
}

/** The business key of a row we stored, for an object whose metadata no longer says it (edited by hand). */
function storedMovement(kind: MovementMetadata['kind'], row: MovementIdentity | null): MovementMetadata | null {
  return row ? { kind, idempotencyKey: row.idempotencyKey, poolId: row.poolId, round: row.round, memberId: row.memberId, purpose: row.purpose } : null;
}

/** How the events about one kind of money movement are routed. */
interface MovementRoute<Obj extends StripeMovement, Row extends MovementIdentity> {
  /** Whether an event type is about this kind of object. */
  matches(eventType: string): boolean;
  kind: MovementMetadata['kind'];
  retrieve(stripe: Stripe, id: string): Promise<Obj>;
  /** Where the kind's rows are kept (an object is ours too when we stored it under its Stripe ID) and how it is recorded. */
  records: MovementRecords<Obj, Row>;
  /**
   * The decision for an assessment's movement, which its own rules make; null for a pool's. By default
   * an assessment's movement is recorded and signals nobody: its payout transfers and fee refunds are
   * settled by the activities that made them (the workflow waits for no webhook).
   */
  assessmentDecision?(client: Queryable, movement: MovementMetadata, object: Obj, source: ObservationSource): Promise<Decided | null>;
  /** The workflow waiting to hear of the movement. */
  workflowId(movement: MovementMetadata): string;
  signalName: string;
  payload(base: MovementSignalBase, row: Row): MovementSignalBase;
}

/** One kind's route, its object's type closed over: Stripe's copy of an event's object, and the decision. */
interface Route {
  matches(eventType: string): boolean;
  retrieve(stripe: Stripe, id: string): Promise<Stripe.Event.Data.Object>;
  /**
   * Records the event's object and decides what it means; runs inside the ingesting transaction. The
   * object is ours when its metadata carries our business key, or when we stored it under its ID.
   */
  project(client: Queryable, event: Stripe.Event): Promise<Decided>;
}

/** An assessment's movement recorded, and no round or pool workflow signalled. */
const recordedOnlyForAssessments =
  <Obj extends StripeMovement, Row extends MovementIdentity>(record: MovementRecords<Obj, Row>['record']) =>
  async (client: Queryable, movement: MovementMetadata, object: Obj, source: ObservationSource): Promise<Decided | null> => {
    if (!assessmentIdOfOwner(movement.poolId)) return null;
    const outcome = outcomeOf((await record(client, movement, object, source)).verdict);
    return { outcome: outcome === 'signal' ? 'ignored' : outcome, poolId: movement.poolId, signal: null };
  };

function movementRoute<Obj extends StripeMovement, Row extends MovementIdentity>(route: MovementRoute<Obj, Row>): Route {
  const { records } = route;
  const assessmentDecision = route.assessmentDecision ?? recordedOnlyForAssessments(records.record);
  return {
    matches: route.matches,
    retrieve: async (stripe, id) => (await route.retrieve(stripe, id)) as unknown as Stripe.Event.Data.Object,
    async project(client, event) {
      const object = event.data.object as unknown as Obj;
      const source: ObservationSource = { at: event.created, source: 'webhook', eventId: event.id };
      const movement = parseMovementMetadata(object.metadata) ?? storedMovement(route.kind, await records.table.byId(client, object.id));
      if (movement?.kind !== route.kind) return ignored;
      const forAssessment = await assessmentDecision(client, movement, object, source);
      if (forAssessment) return forAssessment;
      const { row, verdict } = await records.record(client, movement, object, source);
      const base: MovementSignalBase = {
        eventId: event.id,
        eventCreated: event.created,
        poolId: movement.poolId,
        round: movement.round,
        memberId: movement.memberId,
        purpose: movement.purpose,
        idempotencyKey: movement.idempotencyKey,
        amountMinor: row.amountMinor.toString(),
        currency: row.currency,
      };
      const outcome = outcomeOf(verdict);
      const signal = { workflowId: route.workflowId(movement), signalName: route.signalName, payload: route.payload(base, row) };
      return { outcome, poolId: movement.poolId, signal: outcome === 'signal' ? signal : null };
    },
  };
}

/** Charges and payout transfers are waited for by the round that made them. */
const roundWorkflowOf = (movement: MovementMetadata) => workflowIds.round(movement.poolId, movement.round);

const routes: readonly Route[] = [
  movementRoute<Stripe.PaymentIntent, PaymentIntentRow>({
    matches: (eventType) => eventType.startsWith('payment_intent.'),
    kind: 'contribution',
    retrieve: (stripe, id) => stripe.paymentIntents.retrieve(id),
    records: paymentIntentRecords,
    assessmentDecision: async (client, movement, pi, source) => (isAssessmentFee(movement) ? projectAssessmentFee(client, movement, pi, source) : null),
    workflowId: roundWorkflowOf,
    signalName: PAYMENT_SIGNAL_NAMES.paymentIntent,
    payload: (base, row): PaymentIntentSignal => ({
      ...base,
      paymentIntentId: row.paymentIntentId,
      status: row.status,
      failureCode: row.failureCode,
      declineCode: row.declineCode,
    }),
  }),
  movementRoute<Stripe.Transfer, TransferRow>({
    matches: (eventType) => eventType.startsWith('transfer.'),
    kind: 'payout',
    retrieve: (stripe, id) => stripe.transfers.retrieve(id),
    records: transferRecords,
    workflowId: roundWorkflowOf,
    signalName: PAYMENT_SIGNAL_NAMES.transfer,
    payload: (base, row): TransferSignal => ({
      ...base,
      transferId: row.transferId,
      destinationAccountId: row.destinationAccountId,
      amountReversedMinor: row.amountReversedMinor.toString(),
    }),
  }),
  movementRoute<Stripe.Refund, RefundRow>({
    matches: (eventType) => eventType.startsWith('refund.') || eventType === 'charge.refund.updated',
    kind: 'refund',
    retrieve: (stripe, id) => stripe.refunds.retrieve(id),
    records: refundRecords,
    workflowId: (movement) => workflowIds.pool(movement.poolId),
    signalName: PAYMENT_SIGNAL_NAMES.refund,
    payload: (base, row): RefundSignal => ({
      ...base,
      refundId: row.refundId,
      paymentIntentId: row.paymentIntentId,
      status: row.status,
      failureReason: row.failureReason,
    }),
  }),
];

/** The route for events about a money movement; undefined for any other event. */
const routeOf = (event: Stripe.Event) => routes.find((route) => route.matches(event.type));

function objectIdOf(event: Stripe.Event): string | null {
  const object = event.data.object as { id?: unknown };
  return typeof object.id === 'string' ? object.id : null;
}

/** Stripe's current copy of the object an event about a money movement names; undefined for any other event. */
async function fetchFromStripe(stripe: Stripe, event: Stripe.Event): Promise<Stripe.Event.Data.Object | null | undefined> {
  const route = routeOf(event);
  if (!route) return undefined;
  const id = objectIdOf(event);
  if (!id) return null;
  try {
    return await route.retrieve(stripe, id);
  } catch (error) {
    // Stripe has no such object: the event was not Stripe's. Any other failure is thrown, nothing is
    // stored, and Stripe delivers the event again later.
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    throw error;
  }
}

/** The event as ingested: its object replaced by Stripe's copy, or null when Stripe does not know it. */
function withStripeCopy(event: Stripe.Event, copy: Stripe.Event.Data.Object | null | undefined): Stripe.Event | null {
  if (copy === undefined) return event;
  if (copy === null) return null;
  return { ...event, data: { ...event.data, object: copy } } as Stripe.Event;
}

/** What of an event is kept: the object's type and state we acted on, not the customer's card or address. */
function storedSummary(event: Stripe.Event, verified: boolean): Record<string, unknown> {
  const object = event.data.object as { object?: unknown; status?: unknown };
  return { object: object.object ?? null, status: object.status ?? null, verifiedWithStripe: verified };
}

export function createWebhookRouter(deps: WebhookRouterDeps) {
  const { db, temporal, log, stripe } = deps;
  const signalTimeoutMs = deps.signalTimeoutMs ?? SIGNAL_DELIVERY.timeoutMs;

  /** The workflow's status, or null when it does not exist (yet) or Temporal cannot say. */
  async function workflowStatus(workflowId: string): Promise<string | null> {
    try {
      return (await temporal.withDeadline(Date.now() + signalTimeoutMs, () => temporal.workflow.getHandle(workflowId).describe())).status.name;
    } catch {
      return null;
    }
  }

  async function deliver(pending: PendingSignal): Promise<boolean> {
    try {
      await temporal.withDeadline(Date.now() + signalTimeoutMs, () =>
        // An assessment's paid fee starts its workflow; every other signal goes to a running one.
        pending.signalName === ASSESSMENT_PAID_SIGNAL_NAME
          ? deliverAssessmentPaid(temporal, pending, deps.assessmentsTaskQueue)
          : temporal.workflow.getHandle(pending.workflowId).signal(pending.signalName, pending.payload),
      );
      await markSignalDelivered(db, pending.eventId);
      return true;
    } catch (error) {
      const status = await workflowStatus(pending.workflowId);
      if (status && status !== 'RUNNING') {
        // An event about a round that has finished (a confirmation of a charge it already counted, say):
        // handled, not re-sent forever, so that reconciliation's alarms stay for what matters.
        await markSignalMoot(db, pending.eventId, `workflow ${status.toLowerCase()} before the signal`);
        return false;
      }
      // Typically the workflow does not exist yet or Temporal is unreachable: the event stays stored
      // and unrouted for redeliverPending().
      log.warn('stripe webhook signal not delivered', { eventId: pending.eventId, workflowId: pending.workflowId, error });
      await markSignalFailed(db, pending.eventId, errorMessage(error)).catch(() => {});
      return false;
    }
  }

  return {
    /** Stores, records and routes one verified event; safe to call again with the same event. */
    async ingest(event: Stripe.Event): Promise<IngestResult> {
      // Fetched before the transaction: a network call never holds a SERIALIZABLE transaction open.
      const verified = withStripeCopy(event, await fetchFromStripe(stripe, event));
      const stored = await transaction(db, async (client) => {
        const inserted = await insertWebhookEvent(client, {
          eventId: event.id,
          eventType: event.type,
          objectId: objectIdOf(event),
          eventCreated: event.created,
          livemode: event.livemode,
          payload: storedSummary(verified ?? event, verified !== null),
        });
        if (!inserted) return { duplicate: true as const, outcome: null, pending: await findPendingSignal(client, event.id) };
        const route = verified && routeOf(verified);
        const decided = route ? await route.project(client, verified) : ignored;
        await recordWebhookOutcome(client, event.id, decided);
        const pending: PendingSignal | null = decided.signal ? { eventId: event.id, ...decided.signal, routeAttempts: 0 } : null;
        return { duplicate: false as const, outcome: decided.outcome, pending };
      });
      if (!stored.duplicate) businessMetrics.webhookLag.observe(Math.max(0, Date.now() / 1000 - event.created));
      // A repeated delivery of an event whose signal is still owed is a good moment to send it again.
      const delivered = stored.pending ? await deliver(stored.pending) : null;
      return { eventId: event.id, duplicate: stored.duplicate, outcome: stored.outcome, delivered };
    },

    /**
     * Sends the signals still owed by stored events (of one pool, or of all), oldest first; returns how
     * many were delivered. Meant to run periodically, and after a pool's workflow was (re)started.
     */
    async redeliverPending(options: { poolId?: string; limit?: number } = {}): Promise<{ attempted: number; delivered: number }> {
      const limit = Math.min(options.limit ?? SIGNAL_DELIVERY.batchMax, SIGNAL_DELIVERY.batchMax);
      const pending = await listPendingSignals(db, { limit, attemptsMax: SIGNAL_DELIVERY.attemptsMax, ...(options.poolId ? { poolId: options.poolId } : {}) });
      let delivered = 0;
      for (const signal of pending) if (await deliver(signal)) delivered++;
      return { attempted: pending.length, delivered };
    },

    /** Deletes handled events past the retention period (a batch at a time); returns how many. */
    purgeExpired(options: { retentionDays?: number } = {}): Promise<number> {
      return purgeHandledWebhookEvents(db, {
        retentionDays: options.retentionDays ?? WEBHOOK_EVENT_RETENTION.days,
        limit: WEBHOOK_EVENT_RETENTION.purgeBatchMax,
      });
    },
  };
}

export type WebhookRouter = ReturnType<typeof createWebhookRouter>;
