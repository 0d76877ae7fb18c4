// Buying an assessment with the trader's own token: the purchase row is written first (found again by
// the trader's Idempotency-Key), then the tier fee is charged through the money core's PaymentIntent
// flow under the key `contribution:assessment-{id}:0:{trader}:assessment-fee`. A decline is an answer,
// not an error; the assessment workflow starts only when Stripe's webhook confirms the payment
// (purchase-webhooks.ts). A paid purchase whose assessment never began can be refunded here.
import { ledgerKeys } from '../../domain/core/idempotency-keys';
import { recordAgreement } from '../../db/consent';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type Stripe from 'stripe';
import { findAssessment, insertPurchase, moveStatus, type AssessmentRow } from '../../db/assessments/assessments';
import { findActivePack } from '../../db/assessments/rule-packs';
import { ensureAccounts } from '../../db/ledger/accounts';
import { postTransfer } from '../../db/ledger/transfers';
import type { Db } from '../../db/pool';
import { parseCurrency } from '../../domain/core/money';
import { PaymentFailureType, type PaymentFailureDetails } from '../../payments/errors';
import { createPaymentActivities } from '../core/payments';
import { ASSESSMENT_PURPOSES, assessmentChart, assessmentMoneyOwner } from './money';

/** Thrown when the tier has no active pack on sale. */
export class TierNotOnSaleError extends Error {}
/** Thrown when the trader has no saved card to pay with. */
export class TraderNotPayableError extends Error {}
/** Thrown when a refund is asked for an assessment that began, or was never paid. */
export class NotRefundableError extends Error {}

export interface PurchaseOutcome {
  assessment: AssessmentRow;
  payment: { status: 'succeeded' | 'processing' | 'declined' | 'authentication_required'; paymentIntentId: string | null; declineCode: string | null };
}

const DECLINE_TYPES = new Set<string>([PaymentFailureType.declined, PaymentFailureType.authenticationRequired, PaymentFailureType.canceled]);

export function createPurchases(deps: { db: Db; stripe: Stripe }) {
  const { db } = deps;
  const payments = createPaymentActivities(deps);

  /** The fee in the ledger: from what the trader paid to the platform's fee revenue. Idempotent. */
  async function recordFee(assessment: AssessmentRow): Promise<void> {
    const currency = parseCurrency(assessment.currency);
    await ensureAccounts(db, [assessmentChart.traderPaid(assessment.assessmentId, currency), assessmentChart.feeRevenue(currency)]);
    await postTransfer(db, {
      idempotencyKey: ledgerKeys.assessmentFee(assessment.assessmentId),
      currency,
      postings: [
        { accountKey: assessmentChart.traderPaid(assessment.assessmentId, currency).key, direction: 'debit', amountMinor: assessment.priceMinor },
        { accountKey: assessmentChart.feeRevenue(currency).key, direction: 'credit', amountMinor: assessment.priceMinor },
      ],
      metadata: { assessmentId: assessment.assessmentId, traderId: assessment.traderId, paymentIntentId: assessment.paymentIntentId },
    });
  }

  return {
    recordFee,

    async purchase(input: { traderId: string; tier: string; displayName: string; purchaseKey: string }): Promise<PurchaseOutcome> {
      const pack = await findActivePack(db, input.tier);
      if (!pack) throw new TierNotOnSaleError(`tier ${input.tier} has no active rule pack on sale`);
      const assessment = await insertPurchase(db, {
        assessmentId: randomUUID(),
        traderId: input.traderId,
        displayName: input.displayName,
        tier: pack.tier,
        packId: pack.packId,
        purchaseKey: input.purchaseKey,
        priceMinor: pack.priceMinor,
        currency: pack.currency,
      });
      // The trader asked for this purchase with their own token: that is their agreement to be charged
      // the tier's price once, recorded like a pool member's, since the charge refuses to run without one.
      await recordAgreement(db, {
        poolId: assessmentMoneyOwner(assessment.assessmentId),
        memberId: assessment.traderId,
        terms: { kind: 'investment', currency: assessment.currency, contributionMinor: null, commitmentMinor: assessment.priceMinor, lateFeeMinor: 0n },
        requestId: `purchase:${input.purchaseKey}`,
      });
      try {
        // A repeated request finds the recorded PaymentIntent and answers with it, never a second charge.
        const charge = await payments.chargeContribution({
          poolId: assessmentMoneyOwner(assessment.assessmentId),
          round: 0,
          memberId: assessment.traderId,
          amountMinor: assessment.priceMinor.toString(),
          currency: assessment.currency,
          purpose: ASSESSMENT_PURPOSES.fee,
        });
        await moveStatus(db, assessment.assessmentId, ['payment_pending'], 'payment_pending', { paymentIntentId: charge.paymentIntentId });
        const status = charge.status === 'succeeded' ? 'succeeded' : 'processing';
        return {
          assessment: (await findAssessment(db, assessment.assessmentId))!,
          payment: { status, paymentIntentId: charge.paymentIntentId, declineCode: null },
        };
      } catch (error) {
        if (!(error instanceof ApplicationFailure)) throw error;
        if (error.type === PaymentFailureType.memberNotPayable) throw new TraderNotPayableError('save a card first: POST /v1/traders/me/payment-methods');
        if (!error.type || !DECLINE_TYPES.has(error.type)) throw error;
        const details = (error.details?.[0] ?? {}) as Partial<PaymentFailureDetails>;
        await moveStatus(db, assessment.assessmentId, ['payment_pending'], 'payment_failed', {
          ...(details.stripeObjectId ? { paymentIntentId: details.stripeObjectId } : {}),
          declineCode: details.declineCode ?? details.code ?? null,
        });
        return {
          assessment: (await findAssessment(db, assessment.assessmentId))!,
          payment: {
            status: error.type === PaymentFailureType.authenticationRequired ? 'authentication_required' : 'declined',
            paymentIntentId: details.stripeObjectId ?? null,
            declineCode: details.declineCode ?? details.code ?? null,
          },
        };
      }
    },

    /**
     * Refunds the fee of a paid assessment that never began. Claiming the row (paid → refunding) is what
     * keeps a workflow starting at the same moment from beginning it; then the Stripe refund and the
     * ledger entries follow under their business keys, so a repeated call finishes the same refund.
     */
    async refundUnstarted(assessmentId: string): Promise<AssessmentRow> {
      const assessment = await findAssessment(db, assessmentId);
      if (!assessment) throw new NotRefundableError(`assessment ${assessmentId} does not exist`);
      if (assessment.status !== 'refunding' && !(await moveStatus(db, assessmentId, ['paid'], 'refunding'))) {
        throw new NotRefundableError(`assessment ${assessmentId} is ${assessment.status}; only a paid assessment that never began can be refunded`);
      }
      await recordFee(assessment);
      const refund = await payments.refundContribution({
        poolId: assessmentMoneyOwner(assessmentId),
        round: 0,
        memberId: assessment.traderId,
        amountMinor: assessment.priceMinor.toString(),
        currency: assessment.currency,
        purpose: ASSESSMENT_PURPOSES.feeRefund,
        chargePurpose: ASSESSMENT_PURPOSES.fee,
      });
      const currency = parseCurrency(assessment.currency);
      await postTransfer(db, {
        idempotencyKey: ledgerKeys.assessmentFeeRefund(assessmentId),
        currency,
        postings: [
          { accountKey: assessmentChart.feeRevenue(currency).key, direction: 'debit', amountMinor: assessment.priceMinor },
          { accountKey: assessmentChart.traderPaid(assessmentId, currency).key, direction: 'credit', amountMinor: assessment.priceMinor },
        ],
        metadata: { assessmentId, refundId: refund.refundId },
      });
      await moveStatus(db, assessmentId, ['refunding'], 'refunded');
      return (await findAssessment(db, assessmentId))!;
    },
  };
}

export type Purchases = ReturnType<typeof createPurchases>;
