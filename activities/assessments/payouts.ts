// A funded trader's payout as a saga through the money core: reserve in the ledger (pending: the profit
// split from the platform's programme cost, a fee refund from fee revenue, to what the trader was paid
// out), transfer through Stripe Connect under `payout:assessment-{id}:{n}:{trader}:{purpose}`, then post
// the reservation — or void it when Stripe refuses. Each step is keyed by (assessment, payout number,
// attempt), so a killed worker or a retried activity never pays twice.
import { ledgerKeys } from '../../domain/core/idempotency-keys';
import { ensureAccounts } from '../../db/ledger/accounts';
import { createPendingTransfer, postPendingTransfer, voidPendingTransfer } from '../../db/ledger/transfers';
import { insertPayout, settlePayout } from '../../db/assessments/payouts';
import type { Db } from '../../db/pool';
import { parseCurrency, parseMinor } from '../../domain/core/money';
import type { Stripe } from '../../payments/stripe-client';
import { asLedgerActivity } from '../core/ledger';
import { createPaymentActivities, type TransferSummary } from '../core/payments';
import { ASSESSMENT_PURPOSES, assessmentChart, assessmentMoneyOwner } from './money';

export interface AssessmentPayout {
  assessmentId: string;
  traderId: string;
  payoutNumber: number;
  attempt: number;
  /** Minor units as decimal strings. */
  splitMinor: string;
  feeRefundMinor: string;
  currency: string;
}

const purposeOf = (payout: AssessmentPayout) => ASSESSMENT_PURPOSES.profitSplit(payout.attempt);
const ledgerKey = (payout: AssessmentPayout) => ledgerKeys.assessmentPayout(payout.assessmentId, payout.payoutNumber, purposeOf(payout));

export function createAssessmentPayoutActivities(deps: { db: Db; stripe: Stripe }) {
  const { db } = deps;
  const payments = createPaymentActivities(deps);

  return {
    async reserveAssessmentPayout(payout: AssessmentPayout): Promise<void> {
      const currency = parseCurrency(payout.currency);
      const split = parseMinor(payout.splitMinor);
      const feeRefund = parseMinor(payout.feeRefundMinor);
      await insertPayout(db, { assessmentId: payout.assessmentId, payoutNumber: payout.payoutNumber, splitMinor: split, feeRefundMinor: feeRefund, currency });
      await asLedgerActivity(async () => {
        await ensureAccounts(db, [
          assessmentChart.traderPaidOut(payout.assessmentId, currency),
          assessmentChart.profitSplitExpense(currency),
          assessmentChart.feeRevenue(currency),
        ]);
        await createPendingTransfer(db, {
          idempotencyKey: ledgerKey(payout),
          currency,
          postings: [
            { accountKey: assessmentChart.profitSplitExpense(currency).key, direction: 'debit', amountMinor: split },
            ...(feeRefund > 0n ? [{ accountKey: assessmentChart.feeRevenue(currency).key, direction: 'debit' as const, amountMinor: feeRefund }] : []),
            { accountKey: assessmentChart.traderPaidOut(payout.assessmentId, currency).key, direction: 'credit', amountMinor: split + feeRefund },
          ],
          metadata: { assessmentId: payout.assessmentId, payoutNumber: payout.payoutNumber, attempt: payout.attempt },
        });
      });
    },

    async transferAssessmentPayout(payout: AssessmentPayout): Promise<TransferSummary> {
      return payments.transferPayout({
        poolId: assessmentMoneyOwner(payout.assessmentId),
        round: payout.payoutNumber,
        memberId: payout.traderId,
        amountMinor: (parseMinor(payout.splitMinor) + parseMinor(payout.feeRefundMinor)).toString(),
        currency: payout.currency,
        purpose: purposeOf(payout),
      });
    },

    async postAssessmentPayout(input: { payout: AssessmentPayout; transferId: string }): Promise<void> {
      await asLedgerActivity(() => postPendingTransfer(db, ledgerKey(input.payout)));
      await settlePayout(db, input.payout.assessmentId, input.payout.payoutNumber, 'paid', input.transferId);
    },

    async voidAssessmentPayout(payout: AssessmentPayout): Promise<void> {
      await asLedgerActivity(() => voidPendingTransfer(db, ledgerKey(payout)));
    },

    async failAssessmentPayout(payout: AssessmentPayout): Promise<void> {
      await settlePayout(db, payout.assessmentId, payout.payoutNumber, 'failed', null);
    },
  };
}

export type AssessmentPayoutActivities = ReturnType<typeof createAssessmentPayoutActivities>;
