// Shared set-up for the payments tests: an in-process Stripe sandbox (tools/stripe-sandbox/) in front of the test
// stack's stripe-mock, a Stripe client with its own secret key (so the sandbox's records and webhooks
// are this test file's alone), and members with saved cards. Imported by tests only.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type Stripe from 'stripe';
import type { createPaymentActivities, MoneyMovementInput } from '../../activities/core/payments';
import { AgreementTermsConflict, recordAgreement, withdrawAgreement } from '../../db/consent';
import type { Db } from '../../db/pool';
import { createSandboxClient, type SandboxClient } from '../../tools/stripe-sandbox/client';
import { type RunningSandbox, startSandbox } from '../../tools/stripe-sandbox/server';
import type { SandboxSettings } from '../../tools/stripe-sandbox/state';
import { uniqueId } from './env';
import { createMemberPayments, type MemberPayments } from '../../payments/members';
import { createStripe } from '../../payments/stripe-client';
import { FAILURE_CONVERTER_PATH } from '../../temporal-config/data-converter';

export const TEST_WEBHOOK_SECRET = 'whsec_poolflow_payments_tests';

export interface PaymentsTestKit {
  sandbox: RunningSandbox;
  control: SandboxClient;
  secretKey: string;
  stripe: Stripe;
  members: MemberPayments;
  /** A Stripe client on the same sandbox and secret key with another request timeout. */
  stripeWithTimeout(timeoutMs: number): Stripe;
  close(): Promise<void>;
}

/** stripe-mock, which the test stack starts behind its shared sandbox (STRIPE_API_URL is that sandbox). */
function stripeMockUrl(): string {
  const url = process.env.STRIPE_MOCK_URL;
  if (!url) throw new Error('STRIPE_MOCK_URL is not set: run the tests with `bash scripts/test.sh`, which starts stripe-mock and sets it');
  return url;
}

/**
 * A sandbox of the test's own (not the stack's shared one), because these tests change its settings
 * (search lag) and would disturb other test files running at the same time.
 */
export async function startPaymentsTestKit(db: Db, settings: Partial<SandboxSettings> = {}): Promise<PaymentsTestKit> {
  const sandbox = await startSandbox({ upstreamUrl: stripeMockUrl(), webhookSecret: TEST_WEBHOOK_SECRET, settings });
  const secretKey = `sk_test_${uniqueId('pay').replace(/[^A-Za-z0-9]/g, '')}`; // stripe-mock accepts letters and digits only
  const env = { STRIPE_SECRET_KEY: secretKey, STRIPE_API_URL: sandbox.url, STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET };
  const stripe = createStripe(env);
  return {
    sandbox,
    control: createSandboxClient(sandbox.url),
    secretKey,
    stripe,
    members: createMemberPayments({ stripe, db }),
    stripeWithTimeout: (timeoutMs) => createStripe(env, { timeoutMs }),
    close: () => sandbox.close(),
  };
}

export interface PayingMember {
  memberId: string;
  customerId: string;
  paymentMethodId: string;
}

/** A registered member whose default payment method is attached from the given sandbox test card. */
export async function payingMember(kit: PaymentsTestKit, testCard = 'pm_card_visa'): Promise<PayingMember> {
  const memberId = uniqueId('member');
  const { customer } = await kit.members.registerMember({ memberId, displayName: 'Test Member', email: `${memberId}@example.com` });
  const method = await kit.members.attachPaymentMethod(memberId, testCard);
  return { memberId, customerId: customer.customerId, paymentMethodId: method.paymentMethodId };
}

/** A registered member with an onboarded Express account, ready to receive payouts. */
export async function payableMember(kit: PaymentsTestKit): Promise<{ memberId: string; accountId: string }> {
  const memberId = uniqueId('payee');
  await kit.members.registerMember({ memberId, displayName: 'Test Payee', email: `${memberId}@example.com` });
  const account = await kit.members.ensureConnectAccount(memberId);
  await kit.control.onboardAccount(account.accountId);
  return { memberId, accountId: account.accountId };
}

export const PAYMENT_TEST_WORKFLOWS_PATH = fileURLToPath(new URL('../fixtures/workflows/payments.ts', import.meta.url));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The test-only workflows (a charging workflow and a signal listener), bundled once per test process. */
export function paymentTestWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  const ignore = () => {};
  bundle ??= bundleWorkflowCode({
    workflowsPath: PAYMENT_TEST_WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { trace: ignore, debug: ignore, info: ignore, log: ignore, warn: ignore, error: console.error },
  });
  return bundle;
}

/**
 * Records that the member agreed to be charged for the pool (rotating terms in the charge's currency);
 * an agreement in force on other terms (an earlier charge's currency) is withdrawn first, as leaving and
 * accepting anew would.
 */
export async function agreeToCharges(db: Db, charge: Pick<MoneyMovementInput, 'poolId' | 'memberId' | 'currency'>): Promise<void> {
  const terms = { kind: 'rotating' as const, currency: charge.currency, contributionMinor: 1n, commitmentMinor: null, lateFeeMinor: 0n };
  const agreement = { poolId: charge.poolId, memberId: charge.memberId, terms, requestId: 'test-agreement' };
  try {
    await recordAgreement(db, agreement);
  } catch (error) {
    if (!(error instanceof AgreementTermsConflict)) throw error;
    await withdrawAgreement(db, { ...agreement, reason: 'test: agreeing on other terms', agreementId: error.inForce.agreementId });
    await recordAgreement(db, agreement);
  }
}

/**
 * Payment activities for tests about charging rather than consent: each charge's member has agreed to
 * be charged for its pool first, as accepting an invitation records (the consent tests use the plain ones).
 */
export function withAgreements<P extends ReturnType<typeof createPaymentActivities>>(payments: P, db: Db): P {
  return {
    ...payments,
    async chargeContribution(input: MoneyMovementInput) {
      await agreeToCharges(db, input);
      return payments.chargeContribution(input);
    },
  };
}
