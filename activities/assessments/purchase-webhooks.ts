// Stripe's word on an assessment's fee, as the webhook router hands it over: the PaymentIntent is
// recorded like every charge (monotone status), the purchase moves to `paid` or `payment_failed`, and a
// succeeded payment owes the assessment workflow one `assessmentPaid` signal — delivered with
// signal-with-start, so the workflow `assessment/{id}` starts on the payment and never twice.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type Stripe from 'stripe';
import { moveStatus } from '../../db/assessments/assessments';
import type { PendingSignal, WebhookDecision } from '../../db/payments/webhook-events';
import type { Queryable } from '../../db/pool';
import type { MovementMetadata } from '../../payments/metadata';
import { type ObservationSource, recordPaymentIntent } from '../../payments/records';
import { TASK_QUEUES } from '../../temporal-config/task-queues';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { ASSESSMENT_PAID_SIGNAL_NAME, ASSESSMENT_WORKFLOW_TYPE, type AssessmentPaidSignal } from '../../workflows/assessments/paid-signal';
import { assessmentIdOfOwner, ASSESSMENT_PURPOSES } from './money';

export { ASSESSMENT_PAID_SIGNAL_NAME };

/** Whether a money movement is an assessment's fee (rather than a pool's contribution). */
export function isAssessmentFee(movement: MovementMetadata): boolean {
  return movement.kind === 'contribution' && movement.purpose === ASSESSMENT_PURPOSES.fee && assessmentIdOfOwner(movement.poolId) !== null;
}

/** Records the fee's PaymentIntent and decides; runs inside the router's ingesting transaction. */
export async function projectAssessmentFee(
  client: Queryable,
  movement: MovementMetadata,
  pi: Stripe.PaymentIntent,
  source: ObservationSource,
): Promise<WebhookDecision> {
  const assessmentId = assessmentIdOfOwner(movement.poolId)!;
  const { row, verdict } = await recordPaymentIntent(client, movement, pi, source);
  if (verdict === 'conflict' || verdict === 'stale') return { outcome: verdict, poolId: movement.poolId, signal: null };
  if (row.status === 'succeeded') {
    await moveStatus(client, assessmentId, ['payment_pending', 'payment_failed'], 'paid', { paymentIntentId: row.paymentIntentId });
    const payload: AssessmentPaidSignal = { assessmentId, paymentIntentId: row.paymentIntentId, eventId: source.eventId ?? '' };
    return {
      outcome: 'signal',
      poolId: movement.poolId,
      signal: { workflowId: workflowIds.assessment(assessmentId), signalName: ASSESSMENT_PAID_SIGNAL_NAME, payload },
    };
  }
  if (row.status === 'requires_payment_method' || row.status === 'canceled') {
    await moveStatus(client, assessmentId, ['payment_pending'], 'payment_failed', {
      paymentIntentId: row.paymentIntentId,
      declineCode: row.declineCode ?? row.failureCode,
    });
  }
  // Nothing runs yet for an unpaid purchase: no workflow needs to hear of it.
  return { outcome: 'ignored', poolId: movement.poolId, signal: null };
}

/**
 * Delivers the paid signal by signal-with-start. A workflow already running receives the signal (and
 * ignores a repeat); one that already closed is never started again (REJECT_DUPLICATE), which counts as
 * delivered: the assessment has run.
 */
export async function deliverAssessmentPaid(temporal: Client, pending: PendingSignal, taskQueue: string = TASK_QUEUES.assessments): Promise<void> {
  const payload = pending.payload as AssessmentPaidSignal;
  try {
    await temporal.workflow.signalWithStart(ASSESSMENT_WORKFLOW_TYPE, {
      workflowId: pending.workflowId,
      taskQueue,
      args: [{ assessmentId: payload.assessmentId }],
      signal: ASSESSMENT_PAID_SIGNAL_NAME,
      signalArgs: [payload],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return;
    throw error;
  }
}
