// The payment activities against the Stripe sandbox (in front of stripe-mock) and PostgreSQL: one
// PaymentIntent per business key whatever crashes or retries happen (counted at the sandbox's request
// record), each test card's outcome mapped to the right retryable or non-retryable failure, and
// payouts and refunds recorded once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { findPaymentIntentByKey } from '../../db/payments/payment-intents';
import type { Db } from '../../db/pool';
import { idempotencyKeys } from '../../domain/core/idempotency-keys';
import {
  payableMember,
  type PaymentsTestKit,
  paymentTestWorkflowBundle,
  payingMember,
  startPaymentsTestKit,
  withAgreements,
} from '../../test/support/payments-kit';
import { devServerClient, devServerWorkerConnection, testDb, uniqueId } from '../../test/support/env';
import { chargeContributionOnce } from '../../test/fixtures/workflows/payments';
import { createPaymentActivities, type MoneyMovementInput, type PaymentActivities } from './payments';
import { createPoolLedgerActivities } from '../pools/pool-ledger';
import { poolflowDataConverter } from '../../temporal-config/data-converter';

/** Asserts a non-retryable ApplicationFailure of `type` and returns its details. */
async function rejectsNonRetryable(promise: Promise<unknown>, type: string): Promise<Record<string, unknown>> {
  const error = await promise.then(
    () => assert.fail(`expected a ${type} failure`),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
  assert.equal(error.type, type, error.message);
  assert.equal(error.nonRetryable, true);
  return (error.details?.[0] ?? {}) as Record<string, unknown>;
}

/** Asserts an error Temporal retries: anything but a non-retryable ApplicationFailure. */
async function rejectsRetryable(promise: Promise<unknown>, name: RegExp): Promise<void> {
  const error = await promise.then(
    () => assert.fail('expected a retryable error'),
    (caught: unknown) => caught,
  );
  assert.ok(!(error instanceof ApplicationFailure && error.nonRetryable), `expected a retryable error, got ${String(error)}`);
  assert.match((error as Error).name + ' ' + (error as { type?: string }).type, name);
}

describe('payment activities', () => {
  let db: Db;
  let kit: PaymentsTestKit;
  let payments: PaymentActivities;
  const poolId = uniqueId('pool');

  before(async () => {
    db = testDb();
    kit = await startPaymentsTestKit(db);
    payments = withAgreements(createPaymentActivities({ stripe: kit.stripe, db }), db);
  });
  after(async () => {
    await kit.close();
    await db.end();
  });

  const contribution = (memberId: string, overrides: Partial<MoneyMovementInput> = {}): MoneyMovementInput => ({
    poolId,
    round: 1,
    memberId,
    amountMinor: '2500',
    currency: 'usd',
    purpose: 'contribution',
    ...overrides,
  });

  /** Create requests the sandbox received for a key, and the PaymentIntents they really created. */
  async function effectsOf(idempotencyKey: string) {
    const [effects] = await kit.control.effects({ idempotencyKey, secretKey: kit.secretKey, method: 'POST', pathPrefix: '/v1/payment_intents' });
    const objects = await kit.control.objects({ type: 'payment_intent', secretKey: kit.secretKey });
    const created = objects.filter((object) => (object.object as { metadata?: Record<string, string> }).metadata?.idempotency_key === idempotencyKey);
    return { requests: effects?.requests ?? 0, replays: effects?.replays ?? 0, objectIds: effects?.objectIds ?? [], created: created.length };
  }

  describe('chargeContribution', () => {
    test('charges the default card off-session under the business key and records the PaymentIntent', async () => {
      const member = await payingMember(kit);
      const input = contribution(member.memberId);
      const key = idempotencyKeys.contribution(input);

      const summary = await payments.chargeContribution(input);
      assert.equal(summary.status, 'succeeded');
      assert.equal(summary.idempotencyKey, key);
      assert.equal(summary.amountMinor, '2500');
      assert.deepEqual(JSON.parse(JSON.stringify(summary)), summary, 'the summary crosses the Temporal wall unchanged');

      const [request] = await kit.control.requests({ idempotencyKey: key, secretKey: kit.secretKey });
      assert.equal(request?.params.confirm, 'true');
      assert.equal(request?.params.off_session, 'true');
      assert.equal(request?.params.customer, member.customerId);
      assert.equal(request?.params.payment_method, member.paymentMethodId);
      assert.deepEqual(request?.params.metadata, {
        poolflow_kind: 'contribution',
        pool_id: poolId,
        round: '1',
        member_id: member.memberId,
        purpose: 'contribution',
        idempotency_key: key,
      });

      const row = await findPaymentIntentByKey(db, key);
      assert.equal(row?.paymentIntentId, summary.paymentIntentId);
      assert.equal(row?.amountMinor, 2500n);
      assert.equal(row?.status, 'succeeded');
      assert.equal(row?.statusSource, 'api');
    });

    test('a second call returns the recorded PaymentIntent and creates nothing', async () => {
      const member = await payingMember(kit);
      const input = contribution(member.memberId);
      const first = await payments.chargeContribution(input);
      const second = await payments.chargeContribution(input);
      assert.deepEqual(second, first);
      const effects = await effectsOf(first.idempotencyKey);
      assert.equal(effects.requests, 1, 'one create request');
      assert.equal(effects.created, 1);
    });

    test('the same business key with another amount is a conflict, not a second charge', async () => {
      const member = await payingMember(kit);
      await payments.chargeContribution(contribution(member.memberId));
      await rejectsNonRetryable(payments.chargeContribution(contribution(member.memberId, { amountMinor: '2600' })), 'PaymentRecordConflict');
      assert.equal((await effectsOf(idempotencyKeys.contribution(contribution(member.memberId)))).created, 1);
    });

    test('a member without a saved card is not payable; bad input is refused before Stripe is called', async () => {
      const memberId = uniqueId('member');
      await kit.members.registerMember({ memberId, displayName: 'No Card', email: `${memberId}@example.com` });
      await rejectsNonRetryable(payments.chargeContribution(contribution(memberId)), 'MemberNotPayable');
      for (const bad of [{ amountMinor: '0' }, { amountMinor: '12.50' }, { amountMinor: '-5' }, { currency: 'USD' }, { currency: 'xyz' }, { poolId: 'a:b' }]) {
        await rejectsNonRetryable(payments.chargeContribution(contribution(memberId, bad)), 'InvalidPaymentInput');
      }
      const requests = await kit.control.requests({ secretKey: kit.secretKey, pathPrefix: '/v1/payment_intents', method: 'POST' });
      assert.equal(requests.filter((r) => (r.params.metadata as Record<string, string> | undefined)?.member_id === memberId).length, 0);
    });
  });

  describe('crash after Stripe answered', () => {
    let client: Client;
    let connection: Connection;
    let workerConnection: NativeConnection;
    let worker: Worker;
    let running: Promise<void>;
    const taskQueue = uniqueId('payments');

    before(async () => {
      ({ client, connection } = await devServerClient());
      workerConnection = await devServerWorkerConnection();
      worker = await Worker.create({
        connection: workerConnection,
        namespace: 'default',
        taskQueue,
        workflowBundle: await paymentTestWorkflowBundle(),
        dataConverter: poolflowDataConverter(),
        activities: { ...withAgreements(createPaymentActivities({ stripe: kit.stripe, db }), db), ...createPoolLedgerActivities({ db }) },
      });
      running = worker.run();
    });
    after(async () => {
      worker.shutdown();
      await running;
      await workerConnection.close();
      await connection.close();
    });

    /**
     * Runs the charge in a workflow whose first activity attempt creates the PaymentIntent at Stripe but
     * never hears the answer (the sandbox drops the connection after the effect was saved), so Temporal
     * retries the activity; returns the result and the attempt that succeeded.
     */
    async function chargeThroughCrash(input: MoneyMovementInput) {
      const key = idempotencyKeys.contribution(input);
      await createPoolLedgerActivities({ db }).openPoolAccounts({ poolId: input.poolId, currency: input.currency, memberIds: [input.memberId] });
      // times: 2, because the SDK itself retries a closed connection once (with our idempotency key).
      await kit.control.addFault({ kind: 'drop', when: 'after', times: 2, method: 'POST', pathPrefix: '/v1/payment_intents', idempotencyKey: key });
      const handle = await client.workflow.start(chargeContributionOnce, { taskQueue, workflowId: uniqueId('charge'), args: [input] });
      const summary = await handle.result();
      const history = await handle.fetchHistory();
      const started = history.events?.find((event) => event.activityTaskStartedEventAttributes);
      return { summary, attempt: started?.activityTaskStartedEventAttributes?.attempt ?? 0, key };
    }

    /** The ledger transfers recording this member's contribution, with the PaymentIntent each names. */
    async function ledgerEntries(input: MoneyMovementInput) {
      const { rows } = await db.query<{ payment_intent_id: string }>(
        "SELECT metadata->>'paymentIntentId' AS payment_intent_id FROM ledger_transfers WHERE idempotency_key = $1",
        [`ledger:contribution:${input.poolId}:${input.round}:${input.memberId}`],
      );
      return rows.map((row) => row.payment_intent_id);
    }

    test('the retry finds the PaymentIntent by its metadata: exactly one PaymentIntent, one record, one ledger entry', async () => {
      const member = await payingMember(kit);
      const input = contribution(member.memberId, { poolId: uniqueId('pool') });
      const { summary, attempt, key } = await chargeThroughCrash(input);
      assert.equal(attempt, 2, 'the first attempt failed after Stripe created the PaymentIntent');
      assert.equal(summary.status, 'succeeded');
      const effects = await effectsOf(key);
      assert.equal(effects.created, 1, 'one PaymentIntent at Stripe');
      assert.deepEqual(effects.objectIds, [summary.paymentIntentId]);
      const creates = await kit.control.requests({ idempotencyKey: key, secretKey: kit.secretKey, method: 'POST' });
      assert.deepEqual(
        creates.map((r) => r.outcome),
        ['dropped', 'dropped'],
        'only the first attempt (and the SDK’s own re-send) reached Stripe: the retry found the PaymentIntent by search',
      );
      const { rows } = await db.query('SELECT payment_intent_id FROM stripe_payment_intents WHERE idempotency_key = $1', [key]);
      assert.deepEqual(rows, [{ payment_intent_id: summary.paymentIntentId }]);
      assert.deepEqual(await ledgerEntries(input), [summary.paymentIntentId], 'one ledger transfer, naming that PaymentIntent');
    });

    test('while search still lags, the idempotency key makes Stripe replay the first answer', async () => {
      const member = await payingMember(kit);
      await kit.control.updateSettings({ searchLagMs: 600_000 });
      try {
        const input = contribution(member.memberId, { poolId: uniqueId('pool'), purpose: 'lagging-search' });
        const { summary, attempt, key } = await chargeThroughCrash(input);
        assert.equal(attempt, 2);
        const effects = await effectsOf(key);
        const creates = await kit.control.requests({ idempotencyKey: key, secretKey: kit.secretKey, method: 'POST' });
        assert.deepEqual(
          creates.map((r) => [r.outcome, r.replayed]),
          [
            ['dropped', false],
            ['dropped', true],
            ['answered', true],
          ],
          'the retry sent the same create again and Stripe replayed the saved answer',
        );
        assert.equal(effects.created, 1);
        assert.deepEqual(effects.objectIds, [summary.paymentIntentId]);
        assert.deepEqual(await ledgerEntries(input), [summary.paymentIntentId]);
      } finally {
        await kit.control.updateSettings({ searchLagMs: 0 });
      }
    });

    test('after Stripe forgot the key (24 h), the search by metadata still prevents a second PaymentIntent', async () => {
      const member = await payingMember(kit);
      const input = contribution(member.memberId, { purpose: 'forgotten-key' });
      const key = idempotencyKeys.contribution(input);
      const first = await payments.chargeContribution(input);
      // The record is lost (a crash before the write, in effect) and Stripe has pruned the key.
      await db.query('DELETE FROM stripe_payment_intents WHERE idempotency_key = $1', [key]);
      await kit.control.expireIdempotencyKeys({ secretKey: kit.secretKey, idempotencyKey: key });
      const again = await payments.chargeContribution(input);
      assert.equal(again.paymentIntentId, first.paymentIntentId);
      assert.equal((await effectsOf(key)).created, 1);
      assert.equal((await findPaymentIntentByKey(db, key))?.paymentIntentId, first.paymentIntentId);
    });
  });

  describe('failures', () => {
    const declines: Array<[string, string, string, string]> = [
      ['pm_card_chargeDeclined', 'PaymentDeclined', 'card_declined', 'generic_decline'],
      ['pm_card_chargeDeclinedInsufficientFunds', 'PaymentDeclined', 'card_declined', 'insufficient_funds'],
      ['pm_card_chargeDeclinedExpiredCard', 'PaymentDeclined', 'expired_card', 'expired_card'],
      ['pm_card_authenticationRequired', 'PaymentAuthenticationRequired', 'authentication_required', 'authentication_required'],
    ];
    for (const [card, type, code, declineCode] of declines) {
      test(`${card} is a non-retryable ${type} (${declineCode}), recorded, and the same on every retry`, async () => {
        const member = await payingMember(kit, card);
        const input = contribution(member.memberId);
        const key = idempotencyKeys.contribution(input);
        const details = await rejectsNonRetryable(payments.chargeContribution(input), type);
        assert.equal(details.code, code);
        assert.equal(details.declineCode, declineCode);
        assert.equal(details.idempotencyKey, key);
        assert.match(String(details.stripeObjectId), /^pi_/);

        const row = await findPaymentIntentByKey(db, key);
        assert.equal(row?.paymentIntentId, details.stripeObjectId);
        assert.equal(row?.status, 'requires_payment_method');
        assert.equal(row?.failureCode, code);

        const again = await rejectsNonRetryable(payments.chargeContribution(input), type);
        assert.equal(again.stripeObjectId, details.stripeObjectId);
        assert.equal((await effectsOf(key)).requests, 1, 'the retry read the recorded PaymentIntent instead of creating one');
      });
    }

    test('a declined charge canceled since is a non-retryable PaymentCanceled', async () => {
      const member = await payingMember(kit, 'pm_card_chargeDeclined');
      const input = contribution(member.memberId);
      const { stripeObjectId } = await rejectsNonRetryable(payments.chargeContribution(input), 'PaymentDeclined');
      await kit.stripe.paymentIntents.cancel(String(stripeObjectId));
      await rejectsNonRetryable(payments.chargeContribution(input), 'PaymentCanceled');
      assert.equal((await findPaymentIntentByKey(db, idempotencyKeys.contribution(input)))?.status, 'canceled');
    });

    const transient: Array<[string, Parameters<PaymentsTestKit['control']['addFault']>[0], RegExp]> = [
      ['a rate limit (429)', { kind: 'rate_limit' }, /StripeRateLimitError/],
      ['a Stripe error (500)', { kind: 'api_error' }, /StripeAPIError/],
      // The SDK retries a closed connection once by itself, so both tries are dropped.
      ['a dropped connection', { kind: 'drop', times: 2 }, /StripeConnectionError/],
    ];
    for (const [what, fault, name] of transient) {
      test(`${what} is retryable and leaves nothing behind; the retry charges once`, async () => {
        const member = await payingMember(kit);
        const input = contribution(member.memberId);
        const key = idempotencyKeys.contribution(input);
        await kit.control.addFault({ ...fault, method: 'POST', pathPrefix: '/v1/payment_intents', idempotencyKey: key });
        await rejectsRetryable(payments.chargeContribution(input), name);
        assert.equal(await findPaymentIntentByKey(db, key), null);
        const summary = await payments.chargeContribution(input);
        assert.equal(summary.status, 'succeeded');
        assert.equal((await effectsOf(key)).created, 1);
      });
    }

    test('a timeout is retryable', async () => {
      const member = await payingMember(kit);
      const input = contribution(member.memberId);
      const key = idempotencyKeys.contribution(input);
      const impatient = withAgreements(createPaymentActivities({ stripe: kit.stripeWithTimeout(300), db }), db);
      await kit.control.addFault({ kind: 'hang', holdMs: 2_000, method: 'POST', pathPrefix: '/v1/payment_intents', idempotencyKey: key });
      await rejectsRetryable(impatient.chargeContribution(input), /StripeConnectionError/);
      assert.equal((await payments.chargeContribution(input)).status, 'succeeded');
      assert.equal((await effectsOf(key)).created, 1);
    });

    test('a request Stripe refuses (unknown payment method) is a non-retryable StripeInvalidRequest', async () => {
      const member = await payingMember(kit);
      await db.query("UPDATE stripe_customers SET default_payment_method_id = 'pm_doesnotexist' WHERE member_id = $1", [member.memberId]);
      const details = await rejectsNonRetryable(payments.chargeContribution(contribution(member.memberId)), 'StripeInvalidRequest');
      assert.equal(details.code, 'resource_missing');
    });

    test('the same key with other parameters, once our record is lost, is a StripeIdempotencyConflict', async () => {
      const member = await payingMember(kit);
      const input = contribution(member.memberId);
      const key = idempotencyKeys.contribution(input);
      await payments.chargeContribution(input);
      await db.query('DELETE FROM stripe_payment_intents WHERE idempotency_key = $1', [key]);
      await kit.control.updateSettings({ searchLagMs: 600_000 });
      try {
        await rejectsNonRetryable(payments.chargeContribution({ ...input, amountMinor: '9999' }), 'StripeIdempotencyConflict');
      } finally {
        await kit.control.updateSettings({ searchLagMs: 0 });
      }
      assert.equal((await effectsOf(key)).created, 1);
    });
  });

  describe('transferPayout and refundContribution', () => {
    test('pays out once to the connected account, found again after a crash', async () => {
      const payee = await payableMember(kit);
      const input = contribution(payee.memberId, { purpose: 'pot', amountMinor: '10000' });
      const key = idempotencyKeys.payout(input);
      await kit.control.addFault({ kind: 'drop', when: 'after', times: 2, method: 'POST', pathPrefix: '/v1/transfers', idempotencyKey: key });
      await rejectsRetryable(payments.transferPayout(input), /StripeConnectionError/);
      const summary = await payments.transferPayout(input);
      assert.equal(summary.destinationAccountId, payee.accountId);
      assert.equal(summary.amountMinor, '10000');
      assert.deepEqual(await payments.transferPayout(input), summary);
      const [effects] = await kit.control.effects({ idempotencyKey: key, secretKey: kit.secretKey });
      assert.deepEqual(effects?.objectIds, [summary.transferId]);
      const creates = await kit.control.requests({ idempotencyKey: key, secretKey: kit.secretKey, method: 'POST' });
      assert.deepEqual(
        creates.map((r) => r.outcome),
        ['dropped', 'dropped'],
        'the retry found the transfer in the pool’s transfer group instead of creating one',
      );
      const { rows } = await db.query('SELECT transfer_id FROM stripe_transfers WHERE idempotency_key = $1', [key]);
      assert.equal(rows.length, 1);
    });

    test('a member without a connected account is not payable', async () => {
      const member = await payingMember(kit);
      await rejectsNonRetryable(payments.transferPayout(contribution(member.memberId, { purpose: 'pot' })), 'MemberNotPayable');
    });

    test('refunds part of a contribution once; refusing more than was charged', async () => {
      const member = await payingMember(kit);
      const charge = await payments.chargeContribution(contribution(member.memberId));
      const refundInput = { ...contribution(member.memberId, { purpose: 'cancellation', amountMinor: '1000' }), chargePurpose: 'contribution' };
      const refund = await payments.refundContribution(refundInput);
      assert.equal(refund.paymentIntentId, charge.paymentIntentId);
      assert.equal(refund.status, 'succeeded');
      assert.deepEqual(await payments.refundContribution(refundInput), refund);
      const [effects] = await kit.control.effects({ idempotencyKey: idempotencyKeys.refund(refundInput), secretKey: kit.secretKey });
      assert.equal(effects?.requests, 1);
      await rejectsNonRetryable(payments.refundContribution({ ...refundInput, purpose: 'too-much', amountMinor: '2501' }), 'InvalidPaymentInput');
      await rejectsNonRetryable(payments.refundContribution({ ...refundInput, purpose: 'orphan', chargePurpose: 'never-charged' }), 'InvalidPaymentInput');
    });
  });
});
