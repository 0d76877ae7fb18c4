// The signal that starts an assessment: the webhook router sends it, by signal-with-start, when Stripe
// confirms the fee was paid. Plain constants, so the router and the workflow share them without the
// router loading workflow code.
export const ASSESSMENT_PAID_SIGNAL_NAME = 'assessmentPaid';
/** The workflow type the paid signal starts (assessment.ts). */
export const ASSESSMENT_WORKFLOW_TYPE = 'assessmentWorkflow';

export interface AssessmentPaidSignal {
  assessmentId: string;
  paymentIntentId: string;
  /** The Stripe event that confirmed the payment. */
  eventId: string;
}
