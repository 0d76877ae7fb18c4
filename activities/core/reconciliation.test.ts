// Reconciliation against the Stripe sandbox, PostgreSQL and the ledger: a pool whose records and ledger
// agree with Stripe has no mismatches; each injected disagreement — a changed amount or status, an
// object only Stripe has, a record Stripe never saw, a ledger entry without its Stripe object, a
// second charge the ledger does not know, a signal never delivered — is listed; and
// `npm run reconcile` reports them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Client, Connection } from '@temporalio/client';
import type { Db } from '../../db/pool';
import { createLogger } from '../../observability/log';
import { movementMetadata } from '../../payments/metadata';
import { payableMember, type PaymentsTestKit, payingMember, startPaymentsTestKit, TEST_WEBHOOK_SECRET, withAgreements } from '../../test/support/payments-kit';
import { createWebhookRouter } from '../../payments/webhook-router';
import { devServerClient, testConfig, testDb, uniqueId } from '../../test/support/env';
import { createPaymentActivities, type PaymentActivities } from './payments';
import { createPoolLedgerActivities } from '../pools/pool-ledger';
import { createReconciliationActivities, type Mismatch, type ReconciliationReport } from './reconciliation';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('reconciliation', () => {
  let db: Db;
  let kit: PaymentsTestKit;
  let payments: PaymentActivities;
  let ledger: ReturnType<typeof createPoolLedgerActivities>;
  let reconcile: ReturnType<typeof createReconciliationActivities>;
  let client: Client;
  let connection: Connection;

  before(async () => {
    db = testDb();
    kit = await startPaymentsTestKit(db);
    payments = withAgreements(createPaymentActivities({ stripe: kit.stripe, db }), db);
    ledger = createPoolLedgerActivities({ db });
    reconcile = createReconciliationActivities({ stripe: kit.stripe, db });
    ({ client, connection } = await devServerClient());
  });
  after(async () => {
    await connection.close();
    await kit.close();
    await db.end();
  });

  /**
   * A pool with two paid contributions, one refund and one payout, at Stripe and in the ledger (as the
   * round workflow records them), all in agreement.
   */
  async function busyPool() {
    const poolId = uniqueId('pool');
    const [a, b] = [await payingMember(kit), await payingMember(kit)];
    const payee = await payableMember(kit);
    const base = { poolId, round: 1, currency: 'usd', purpose: 'contribution', amountMinor: '3000' };
    await ledger.openPoolAccounts({ poolId, currency: 'usd', memberIds: [a.memberId, b.memberId, payee.memberId, 'ghost'] });
    const chargeA = await payments.chargeContribution({ ...base, memberId: a.memberId });
    const chargeB = await payments.chargeContribution({ ...base, memberId: b.memberId });
    for (const [member, charge] of [
      [a, chargeA],
      [b, chargeB],
    ] as const) {
      await ledger.recordContribution({ ...base, memberId: member.memberId, lateFeeMinor: '0', paymentIntentId: charge.paymentIntentId });
    }
    const refund = await payments.refundContribution({
      ...base,
      memberId: b.memberId,
      purpose: 'cancellation',
      amountMinor: '500',
      chargePurpose: 'contribution',
    });
    await ledger.recordRefund({ ...base, memberId: b.memberId, amountMinor: '500', refundId: refund.refundId });
    const payoutKey = { poolId, round: 1, memberId: payee.memberId, purpose: 'pot-a1' };
    await ledger.reservePayout({ ...payoutKey, currency: 'usd', amountMinor: '5500' });
    const payout = await payments.transferPayout({ ...payoutKey, currency: 'usd', amountMinor: '5500' });
    await ledger.postPayout(payoutKey);
    return { poolId, a, b, payee, chargeA, chargeB, payout, refund };
  }

  const problems = (report: ReconciliationReport) => report.mismatches.map((m) => `${m.kind}:${m.problem}:${m.objectId}`).sort();

  test('a pool whose records agree with Stripe has no mismatches', async () => {
    const { poolId } = await busyPool();
    const report = await reconcile.reconcilePool({ poolId });
    assert.deepEqual(report.mismatches, []);
    assert.deepEqual({ ...report.checked, stripeObjects: 0 }, { paymentIntents: 2, transfers: 1, refunds: 1, ledgerEntries: 4, stripeObjects: 0 });
  });

  test('lists every injected mismatch, and nothing else', async () => {
    const pool = await busyPool();
    const { poolId } = pool;

    // Our record's amount and status drift from Stripe's.
    await db.query('UPDATE stripe_payment_intents SET amount_minor = 3100 WHERE payment_intent_id = $1', [pool.chargeA.paymentIntentId]);
    await db.query("UPDATE stripe_payment_intents SET status = 'processing' WHERE payment_intent_id = $1", [pool.chargeB.paymentIntentId]);
    await db.query('UPDATE stripe_transfers SET amount_minor = 5000 WHERE transfer_id = $1', [pool.payout.transferId]);
    // A record Stripe never saw.
    const nowhere = `pi_nowhere${uniqueId('x').replace(/-/g, '')}`;
    await db.query(
      `INSERT INTO stripe_payment_intents (idempotency_key, pool_id, round, member_id, purpose, payment_intent_id, amount_minor, currency,
         status, status_at, status_source)
       VALUES ($1, $2, 2, 'ghost', 'contribution', $3, 3000, 'usd', 'succeeded', 0, 'api')`,
      [`contribution:${poolId}:2:ghost:contribution`, poolId, nowhere],
    );
    // Objects only Stripe has: a charge whose record was lost, and a refund made in the Dashboard.
    const lost = await kit.stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      customer: pool.a.customerId,
      payment_method: pool.a.paymentMethodId,
      confirm: true,
      off_session: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      metadata: movementMetadata('contribution', { poolId, round: 1, memberId: pool.a.memberId, purpose: 'late-fee' }),
    });
    const dashboardRefund = await kit.stripe.refunds.create({ payment_intent: pool.chargeA.paymentIntentId, amount: 100 });
    // A ledger entry whose charge Stripe never made.
    await ledger.recordContribution({ poolId, round: 2, memberId: 'ghost', currency: 'usd', amountMinor: '3000', lateFeeMinor: '0', paymentIntentId: nowhere });
    // A payout the ledger voided although Stripe made the transfer.
    const voidedKey = { poolId, round: 2, memberId: pool.payee.memberId, purpose: 'pot-a1' };
    await ledger.reservePayout({ ...voidedKey, currency: 'usd', amountMinor: '1000' });
    await payments.transferPayout({ ...voidedKey, currency: 'usd', amountMinor: '1000' });
    await ledger.voidPayout(voidedKey);
    // A webhook whose workflow never got its signal.
    const router = createWebhookRouter({ db, temporal: client, stripe: kit.stripe, log: createLogger('reconciliation-test') });
    const eventId = `evt_${uniqueId('r').replace(/-/g, '')}`;
    await router.ingest({
      id: eventId,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000) + 60,
      livemode: false,
      data: { object: { id: lost.id, object: 'payment_intent', amount: 3000, currency: 'usd', status: 'succeeded', metadata: lost.metadata } },
    } as never);

    const report = await reconcile.reconcilePool({ poolId });
    assert.deepEqual(
      problems(report),
      [
        `payment_intent:amount:${pool.chargeA.paymentIntentId}`,
        `payment_intent:missing_in_stripe:${nowhere}`,
        `payment_intent:status:${pool.chargeB.paymentIntentId}`,
        `refund:missing_in_db:${dashboardRefund.id}`,
        `transfer:amount:${pool.payout.transferId}`,
        // The lost charge's webhook recorded it in our database, but the ledger never heard of it.
        `ledger:missing_in_ledger:${lost.id}`,
        `ledger:missing_in_ledger:${dashboardRefund.id}`,
        `ledger:missing_in_stripe:ledger:contribution:${poolId}:2:ghost`,
        `ledger:status:ledger:payout:${poolId}:2:${pool.payee.memberId}:pot-a1`,
        `webhook_event:undelivered_signal:${eventId}`,
      ].sort(),
    );
    const amount = report.mismatches.find((m) => m.problem === 'amount' && m.kind === 'payment_intent') as Mismatch;
    assert.deepEqual([amount.ours, amount.stripe], ['3100', '3000']);
  });

  test('a charge only Stripe has is listed as missing in our database', async () => {
    const pool = await busyPool();
    const lost = await kit.stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      customer: pool.a.customerId,
      payment_method: pool.a.paymentMethodId,
      confirm: true,
      off_session: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      metadata: movementMetadata('contribution', { poolId: pool.poolId, round: 1, memberId: pool.a.memberId, purpose: 'late-fee' }),
    });
    const report = await reconcile.reconcilePool({ poolId: pool.poolId });
    assert.deepEqual(problems(report), [`ledger:missing_in_ledger:${lost.id}`, `payment_intent:missing_in_db:${lost.id}`]);
  });

  test('npm run reconcile prints the mismatches and exits 1; 0 when all agree; 64 on bad usage', async () => {
    const clean = await busyPool();
    const drifted = await busyPool();
    await db.query('UPDATE stripe_payment_intents SET currency = $2 WHERE payment_intent_id = $1', [drifted.chargeA.paymentIntentId, 'eur']);
    const env = {
      ...process.env,
      DATABASE_URL: testConfig.databaseUrl,
      STRIPE_SECRET_KEY: kit.secretKey,
      STRIPE_API_URL: kit.sandbox.url,
      STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    };
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/reconcile.ts', ...args], { cwd: ROOT, env }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );

    const ok = await run(['--pool', clean.poolId]);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /no mismatches/);

    const bad = await run(['--pool', drifted.poolId, '--json']);
    assert.equal(bad.code, 1);
    const report = JSON.parse(bad.stdout) as ReconciliationReport;
    assert.deepEqual(problems(report), [`payment_intent:currency:${drifted.chargeA.paymentIntentId}`]);

    assert.equal((await run([])).code, 64);
    assert.equal((await run(['--pool', clean.poolId, '--bogus'])).code, 64);
  });
});
