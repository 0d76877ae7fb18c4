// A batch of a round's charges against the Stripe sandbox and PostgreSQL: a decline in the middle of a
// batch stays that member's outcome; a crash between Stripe's answer and our record is retried by
// Temporal without a second PaymentIntent; contributions recorded twice in batches are recorded once.
// Activities run in Temporal's mock activity context, whose attempt number stands for Temporal's retry.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { CHARGES_PER_BATCH_MAX } from '../../domain/pools/contribution-batches';
import type { Db } from '../../db/pool';
import { recordAgreement } from '../../db/consent';
import { upsertChangedMembers } from '../../db/pools/members';
import type { PoolMemberView } from '../../domain/pools/pool-view';
import { findPaymentIntentByKey } from '../../db/payments/payment-intents';
import { idempotencyKeys } from '../../domain/core/idempotency-keys';
import { agreeToCharges, type PaymentsTestKit, payingMember, startPaymentsTestKit } from '../../test/support/payments-kit';
import { testDb, uniqueId } from '../../test/support/env';
import type { ContributionBatchInput, MemberChargeOutcome } from './contribution-batch';
import { createPaymentActivities, type PaymentActivities } from '../core/payments';
import { createPoolLedgerActivities, type PoolLedgerActivities } from './pool-ledger';

const AMOUNT_MINOR = '2500';

describe('a batch of contribution charges', () => {
  let db: Db;
  let kit: PaymentsTestKit;
  let payments: PaymentActivities;
  let ledger: PoolLedgerActivities;

  before(async () => {
    db = testDb();
    kit = await startPaymentsTestKit(db);
    payments = createPaymentActivities({ stripe: kit.stripe, db });
    ledger = createPoolLedgerActivities({ db });
  });
  after(async () => {
    await kit.close();
    await db.end();
  });

  /** A pool whose members (one per test card, in order) have agreed to be charged. */
  async function poolOf(cards: string[]): Promise<ContributionBatchInput> {
    const poolId = uniqueId('pool');
    const memberIds: string[] = [];
    for (const card of cards) {
      const { memberId } = await payingMember(kit, card);
      await agreeToCharges(db, { poolId, memberId, currency: 'usd' });
      memberIds.push(memberId);
    }
    return { poolId, round: 1, currency: 'usd', charges: memberIds.map((memberId) => ({ memberId, amountMinor: AMOUNT_MINOR, purpose: 'contribution' })) };
  }

  const attempt = (n: number, input: ContributionBatchInput): Promise<MemberChargeOutcome[]> =>
    new MockActivityEnvironment({ attempt: n }).run(payments.chargeContributions, input) as Promise<MemberChargeOutcome[]>;
  const keyOf = (input: ContributionBatchInput, memberId: string) =>
    idempotencyKeys.contribution({ poolId: input.poolId, round: input.round, memberId, purpose: 'contribution' });
  const createsOf = async (key: string) => kit.control.requests({ idempotencyKey: key, secretKey: kit.secretKey, method: 'POST' });
  const createdAtStripe = async (key: string) =>
    (await kit.control.objects({ type: 'payment_intent', secretKey: kit.secretKey })).filter(
      (o) => (o.object as { metadata?: Record<string, string> }).metadata?.idempotency_key === key,
    );
  const searches = async () => (await kit.control.requests({ secretKey: kit.secretKey, method: 'GET', pathPrefix: '/v1/payment_intents/search' })).length;

  test('a decline in the middle of a batch is that member’s outcome alone; the others are charged once, without a search', async () => {
    const input = await poolOf(['pm_card_visa', 'pm_card_visa', 'pm_card_chargeDeclined', 'pm_card_visa', 'pm_card_visa']);
    const searchesBefore = await searches();
    const outcomes = await attempt(1, input);

    assert.deepEqual(
      outcomes.map((o) => [o.memberId, o.outcome, o.outcome === 'charged' ? o.status : o.failureType]),
      input.charges.map((c, i) => [c.memberId, i === 2 ? 'failed' : 'charged', i === 2 ? 'PaymentDeclined' : 'succeeded']),
      'one outcome per member, in the batch’s order',
    );
    const declined = outcomes[2] as Extract<MemberChargeOutcome, { outcome: 'failed' }>;
    assert.equal(declined.failureCode, 'card_declined');
    assert.match(declined.paymentIntentId ?? '', /^pi_/, 'the declined PaymentIntent is named, as dunning needs');
    for (const { memberId } of input.charges) {
      const key = keyOf(input, memberId);
      assert.equal((await createdAtStripe(key)).length, 1, `one PaymentIntent for ${memberId}`);
      assert.ok(await findPaymentIntentByKey(db, key), `recorded under ${key}`);
    }
    assert.equal(await searches(), searchesBefore, 'a first attempt relies on the idempotency key and searches nothing');
  });

  test('a member without an agreement in force is refused in their batch; the others are charged once, with four statements for the whole batch', async () => {
    const input = await poolOf(Array.from({ length: 4 }, () => 'pm_card_visa'));
    const { memberId: unagreed } = await payingMember(kit, 'pm_card_visa');
    input.charges.splice(2, 0, { memberId: unagreed, amountMinor: AMOUNT_MINOR, purpose: 'contribution' });
    // Every statement the batch sends, whether on the pool or on a client taken for a transaction.
    let statements = 0;
    let transactions = 0;
    const counted = new Proxy(db, {
      get(target, property) {
        if (property === 'query') return (...args: Parameters<Db['query']>) => (statements++, target.query(...args));
        if (property === 'connect') return () => (transactions++, target.connect());
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const countedPayments = createPaymentActivities({ stripe: kit.stripe, db: counted });
    const outcomes = (await new MockActivityEnvironment({ attempt: 1 }).run(countedPayments.chargeContributions, input)) as MemberChargeOutcome[];

    assert.deepEqual(
      outcomes.map((o) => [o.memberId, o.outcome === 'charged' ? o.status : o.failureType]),
      input.charges.map((c) => [c.memberId, c.memberId === unagreed ? 'ChargeAgreementMissing' : 'succeeded']),
    );
    assert.equal((await createsOf(keyOf(input, unagreed))).length, 0, 'nothing was asked of Stripe for the member without an agreement');
    assert.equal(await findPaymentIntentByKey(db, keyOf(input, unagreed)), null);
    for (const { memberId } of input.charges.filter((c) => c.memberId !== unagreed)) {
      assert.equal((await createsOf(keyOf(input, memberId))).length, 1, `one create for ${memberId}`);
      assert.ok(await findPaymentIntentByKey(db, keyOf(input, memberId)), `recorded under its key for ${memberId}`);
    }
    assert.equal(statements, 4, 'stored PaymentIntents, agreements and Customers read once each, the answers recorded in one statement');
    assert.equal(transactions, 0, 'no transaction of its own for any member');
  });

  test('an investment member whose agreement in force is not the commitment they joined on is refused; the member who joined on it is charged', async () => {
    const poolId = uniqueId('pool');
    const [{ memberId: matching }, { memberId: mismatched }] = [await payingMember(kit, 'pm_card_visa'), await payingMember(kit, 'pm_card_visa')];
    const terms = (commitmentMinor: bigint) => ({ kind: 'investment' as const, currency: 'usd', contributionMinor: null, commitmentMinor, lateFeeMinor: 0n });
    for (const memberId of [matching, mismatched]) await recordAgreement(db, { poolId, memberId, terms: terms(100_000n), requestId: 'test-agreement' });
    // The pool's members as it projected them: the second joined on a commitment of 40,000 (an earlier
    // accept's join that reached the pool late), which no agreement in force holds.
    const member = (memberId: string, commitmentMinor: string, joinSeq: number): PoolMemberView => ({
      memberId,
      status: 'active',
      joinSeq,
      commitmentMinor,
      paidInMinor: '0',
      arrearsMinor: '0',
      received: false,
      replacedMemberId: null,
    });
    await db.query(
      `INSERT INTO pools (pool_id, manager_id, name, kind, currency, status, view, version) VALUES ($1, 'mgr', 'Fund', 'investment', 'usd', 'active', '{}', 1)`,
      [poolId],
    );
    await upsertChangedMembers(db, poolId, 1, [member(matching, '100000', 1), member(mismatched, '40000', 2)]);
    const input: ContributionBatchInput = {
      poolId,
      round: 1,
      currency: 'usd',
      charges: [matching, mismatched].map((memberId) => ({ memberId, amountMinor: AMOUNT_MINOR, purpose: 'contribution' })),
    };
    const outcomes = await attempt(1, input);
    assert.deepEqual(
      outcomes.map((o) => [o.memberId, o.outcome === 'charged' ? o.status : o.failureType]),
      [
        [matching, 'succeeded'],
        [mismatched, 'ChargeAgreementMissing'],
      ],
    );
    assert.match(
      (outcomes[1] as Extract<MemberChargeOutcome, { outcome: 'failed' }>).message,
      /joined pool .* with a commitment of 40000, but the agreement in force is to 100000/,
    );
    assert.equal((await createsOf(keyOf(input, mismatched))).length, 0, 'nothing was asked of Stripe for them');
  });

  test('a batch naming one member twice for the same purpose is refused before anyone is charged', async () => {
    const input = await poolOf(['pm_card_visa']);
    const error = await attempt(1, { ...input, charges: [input.charges[0]!, input.charges[0]!] }).then(
      () => assert.fail('expected a refusal'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof ApplicationFailure && error.nonRetryable && error.type === 'InvalidPaymentInput');
    assert.equal((await createsOf(keyOf(input, input.charges[0]!.memberId))).length, 0);
  });

  test('a crash between Stripe and our record: the retried batch finds the PaymentIntent, creates no second one, and the ledger records each once', async () => {
    const input = await poolOf(Array.from({ length: 5 }, () => 'pm_card_visa'));
    const lost = input.charges[2]!.memberId;
    const lostKey = keyOf(input, lost);
    // Stripe creates the third member's PaymentIntent, but the answer never arrives (the SDK re-sends once).
    await kit.control.addFault({ kind: 'drop', when: 'after', times: 2, method: 'POST', pathPrefix: '/v1/payment_intents', idempotencyKey: lostKey });
    const first = await attempt(1, input).then(
      () => assert.fail('the batch must fail while one member’s outcome is unknown'),
      (error: unknown) => error,
    );
    assert.ok(!(first instanceof ApplicationFailure && first.nonRetryable), 'retryable, so that Temporal tries the batch again');
    assert.match((first as Error).message, /1 of 5 charges/);
    assert.equal((await createdAtStripe(lostKey)).length, 1, 'Stripe made it');
    assert.equal(await findPaymentIntentByKey(db, lostKey), null, 'we never recorded it');
    const made = (await createdAtStripe(lostKey))[0]!.id;

    // Temporal's retry: the others are answered from our records, the lost one found by search.
    const outcomes = await attempt(2, input);
    assert.deepEqual(
      outcomes.map((o) => o.outcome === 'charged' && o.status),
      input.charges.map(() => 'succeeded'),
    );
    assert.equal((outcomes[2] as Extract<MemberChargeOutcome, { outcome: 'charged' }>).paymentIntentId, made);
    assert.deepEqual(
      (await createsOf(lostKey)).map((r) => r.outcome),
      ['dropped', 'dropped'],
      'the retry created nothing for the lost charge',
    );
    for (const { memberId } of input.charges) {
      const key = keyOf(input, memberId);
      assert.equal((await createdAtStripe(key)).length, 1, `one PaymentIntent for ${memberId}`);
      assert.equal((await createsOf(key)).length, memberId === lost ? 2 : 1, `no second create for ${memberId}`);
    }

    // The contributions in the ledger, twice (an activity retried after its transaction committed).
    await ledger.openPoolAccounts({ poolId: input.poolId, currency: 'usd', memberIds: input.charges.map((c) => c.memberId) });
    const contributions = outcomes.map((o) => ({
      poolId: input.poolId,
      round: 1,
      memberId: o.memberId,
      currency: 'usd',
      amountMinor: AMOUNT_MINOR,
      lateFeeMinor: '0',
      arrearsMinor: '0',
      paymentIntentId: o.outcome === 'charged' ? o.paymentIntentId : null,
    }));
    await ledger.recordContributions({ contributions });
    await ledger.recordContributions({ contributions });
    // A lone record of a member under the same key (a round recorded before batching) is the same transfer.
    await ledger.recordContribution(contributions[0]!);
    const { rows } = await db.query<{ n: string }>('SELECT count(*)::TEXT AS n FROM ledger_transfers WHERE idempotency_key LIKE $1', [
      `ledger:contribution:${input.poolId}:%`,
    ]);
    assert.equal(rows[0]!.n, '5');
    const pot = await db.query<{ credits: string; debits: string }>(
      'SELECT credits_posted::TEXT AS credits, debits_posted::TEXT AS debits FROM ledger_accounts WHERE account_key = $1',
      [`pool:${input.poolId}:pot`],
    );
    assert.deepEqual(pot.rows[0], { credits: String(5 * Number(AMOUNT_MINOR)), debits: '0' });
  });

  test('a round asking again after an unknown outcome searches Stripe even on a first attempt', async () => {
    const input = await poolOf(['pm_card_visa']);
    const searchesBefore = await searches();
    await attempt(1, { ...input, askedBefore: true });
    assert.equal(await searches(), searchesBefore + 1);
  });

  test('a batch beyond its limit, or empty, is refused before anyone is charged', async () => {
    const input = await poolOf(['pm_card_visa']);
    const tooMany = { ...input, charges: Array.from({ length: CHARGES_PER_BATCH_MAX + 1 }, () => input.charges[0]!) };
    for (const charges of [tooMany.charges, []]) {
      const error = await attempt(1, { ...input, charges }).then(
        () => assert.fail('expected a refusal'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof ApplicationFailure && error.nonRetryable && error.type === 'InvalidPaymentInput');
    }
    assert.equal((await createsOf(keyOf(input, input.charges[0]!.memberId))).length, 0);
  });
});
