// Late payments and defaults in a rotating pool on the time-skipping server: a declined charge retried
// on the dunning schedule with the late fee, and each default policy (suspend, expel, cover from the
// reserve with its fallback) once the grace period has run out. Stripe's records are counted per member.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { activate, finalView, joinAll, rotatingPool, startPoolHarness, waitForRound, waitForView, type PoolHarness } from '../test/support/pool-harness';
import { cancelPoolUpdate, poolStateQuery, roundDueSignal, type poolWorkflow } from './pools/pool';

type PoolHandle = WorkflowHandle<typeof poolWorkflow>;
const DECLINING_CARD = 'pm_card_chargeDeclined';

describe('dunning, late fees and default policies', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness()));
  after(async () => h.close());

  const poolIdOf = async (handle: PoolHandle) => (await handle.query(poolStateQuery)).poolId;
  const memberView = async (handle: PoolHandle, memberId: string) => (await handle.query(poolStateQuery)).members.find((m) => m.memberId === memberId)!;

  /** The member's PaymentIntents in the pool: [round, purpose, amount, status], in creation order. */
  const intentsOf = async (poolId: string, memberId: string) =>
    (await h.poolStripe('payment_intent', poolId)).filter((pi) => pi.memberId === memberId).map((pi) => [pi.round, pi.purpose, pi.amount, pi.status]);

  /**
   * Starts round `round` and waits until `memberId`'s first charge was declined; then the member saves
   * a working card, as a member told of the failure would, before the first dunning retry comes due
   * (queries do not skip time, so the retry cannot have run yet).
   */
  const declineThenReplaceCard = async (handle: PoolHandle, round: number, memberId: string) => {
    await handle.signal(roundDueSignal);
    const poolId = (await waitForView(handle, (v) => v.roundInProgress === round)).poolId;
    const progress = await h.waitForRoundProgress(poolId, round, (p) => p.members.find((m) => m.memberId === memberId)?.state === 'failed');
    assert.equal(progress.members.find((m) => m.memberId === memberId)?.attempts, 1, 'no dunning retry before the card changed');
    await h.kit.members.attachPaymentMethod(memberId, 'pm_card_visa');
    return waitForRound(handle, round);
  };

  test('a declined charge paid on the first dunning retry: contribution and late fee in one PaymentIntent', async () => {
    const [a, b] = await Promise.all([h.member(), h.member()]);
    const late = await h.member(DECLINING_CARD);
    const handle = await h.startPool(rotatingPool(3, { lateFeeMinor: 500 }));
    const poolId = await poolIdOf(handle);
    await joinAll(handle, [late, a!, b!]);
    await activate(handle);

    const result = await declineThenReplaceCard(handle, 1, late);
    const outcome = result.members.find((m) => m.memberId === late)!;
    assert.deepEqual([outcome.outcome, outcome.owedMinor, outcome.paidMinor, outcome.lateFeeMinor], ['paid-late', '10000', '10500', '500']);
    assert.equal(result.payout?.winnerMemberId, late, 'a member who paid within the grace period keeps their turn');

    assert.deepEqual(await intentsOf(poolId, late), [
      [1, 'contribution', 10_000, 'requires_payment_method'],
      [1, 'dunning-1', 10_500, 'succeeded'],
    ]);
    for (const onTime of [a!, b!]) assert.deepEqual(await intentsOf(poolId, onTime), [[1, 'contribution', 10_000, 'succeeded']]);

    // The late fee sits in the reserve; the pot took 300.00 and paid 297.00 plus the 3.00 fee out.
    assert.equal(await h.balance(`pool:${poolId}:reserve`), 500n);
    assert.equal(await h.balance(`pool:${poolId}:pot`), 0n);
    assert.equal(await h.balance(`pool:${poolId}:member:${late}:contributed`), -10_500n);
    assert.equal(await h.balance(`pool:${poolId}:member:${late}:paid_out`), 29_700n);
    assert.deepEqual(await h.ledgerViolations(poolId), []);
    const member = await memberView(handle, late);
    assert.deepEqual([member.status, member.paidInMinor, member.arrearsMinor], ['active', '10000', '0']);
    await handle.executeUpdate(cancelPoolUpdate, { args: [{}] });
    await finalView(handle);
  });

  test('suspend: after two dunning retries the member is suspended with arrears and cannot win until they pay them', async () => {
    const [a, b] = await Promise.all([h.member(), h.member()]);
    const defaulter = await h.member(DECLINING_CARD);
    const handle = await h.startPool(rotatingPool(3, { defaultPolicy: 'suspend', lateFeeMinor: 500 }));
    const poolId = await poolIdOf(handle);
    // The defaulter is first in the fixed order: their turn passes to the next member in good standing.
    await joinAll(handle, [defaulter, a!, b!]);
    await activate(handle);

    const r1 = await h.runRound(handle);
    const outcome = r1.members.find((m) => m.memberId === defaulter)!;
    assert.deepEqual([outcome.outcome, outcome.policyApplied, outcome.paidMinor, outcome.failureCode], ['defaulted', 'suspend', '0', 'card_declined']);
    assert.equal(r1.payout?.winnerMemberId, a);
    assert.equal(r1.potMinor, '20000');
    let member = await memberView(handle, defaulter);
    assert.deepEqual([member.status, member.arrearsMinor, member.received], ['suspended', '10000', false]);

    // Round 2: a suspended member is still charged (and declined again) but passed over for the pot.
    const r2 = await h.runRound(handle);
    assert.equal(r2.payout?.winnerMemberId, b);
    member = await memberView(handle, defaulter);
    assert.deepEqual([member.status, member.arrearsMinor, member.received], ['suspended', '20000', false]);

    assert.deepEqual(await intentsOf(poolId, defaulter), [
      [1, 'contribution', 10_000, 'requires_payment_method'],
      [1, 'dunning-1', 10_500, 'requires_payment_method'],
      [1, 'dunning-2', 10_500, 'requires_payment_method'],
      // Round 2 asks for the arrears too: 100.00 owed from round 1 plus this round's 100.00.
      [2, 'contribution', 20_000, 'requires_payment_method'],
      [2, 'dunning-1', 20_500, 'requires_payment_method'],
      [2, 'dunning-2', 20_500, 'requires_payment_method'],
    ]);
    assert.equal((await h.poolStripe('transfer', poolId)).filter((t) => t.memberId === defaulter).length, 0);
    assert.equal(await h.balance(`pool:${poolId}:reserve`), 0n, 'no late fee was ever collected');
    assert.equal(await h.balance(`pool:${poolId}:pot`), 0n);
    assert.deepEqual(await h.ledgerViolations(poolId), []);

    // Round 3: with a working card the member pays the contribution and both rounds' arrears in one
    // charge, is back in good standing, takes the last pot, and the pool completes.
    await h.kit.members.attachPaymentMethod(defaulter, 'pm_card_visa');
    const r3 = await h.runRound(handle);
    const paid = r3.members.find((m) => m.memberId === defaulter)!;
    assert.deepEqual([paid.outcome, paid.paidMinor, paid.arrearsPaidMinor], ['paid', '30000', '20000']);
    assert.equal(r3.payout?.winnerMemberId, defaulter);
    const final = await finalView(handle);
    assert.equal(final.status, 'completed');
    member = final.members.find((m) => m.memberId === defaulter)!;
    assert.deepEqual([member.status, member.arrearsMinor, member.received, member.paidInMinor], ['active', '0', true, '10000']);
    assert.deepEqual((await intentsOf(poolId, defaulter)).at(-1), [3, 'contribution', 30_000, 'succeeded']);
    assert.equal(await h.balance(`pool:${poolId}:reserve`), 20_000n, 'arrears repay the reserve');
    assert.equal(await h.balance(`pool:${poolId}:pot`), 0n);
    assert.deepEqual(await h.ledgerViolations(poolId), []);
  });

  test('expel: the member is expelled after dunning and never charged again; the others complete the pool', async () => {
    const [a, b] = await Promise.all([h.member(), h.member()]);
    const defaulter = await h.member(DECLINING_CARD);
    const handle = await h.startPool(rotatingPool(3, { defaultPolicy: 'expel' }));
    const poolId = await poolIdOf(handle);
    await joinAll(handle, [defaulter, a!, b!]);
    await activate(handle);

    const r1 = await h.runRound(handle);
    assert.deepEqual(
      r1.members.map((m) => [m.memberId, m.outcome, m.policyApplied]),
      [
        [defaulter, 'defaulted', 'expel'],
        [a, 'paid', 'none'],
        [b, 'paid', 'none'],
      ],
    );
    assert.equal(r1.payout?.winnerMemberId, a);
    const member = await memberView(handle, defaulter);
    assert.deepEqual([member.status, member.arrearsMinor], ['expelled', '10000']);

    const r2 = await h.runRound(handle);
    assert.deepEqual(
      r2.members.map((m) => m.memberId),
      [a, b],
      'the expelled member owes nothing in later rounds',
    );
    assert.equal(r2.payout?.winnerMemberId, b);
    const final = await finalView(handle);
    assert.equal(final.status, 'completed', 'everyone still in the pool has received once');

    assert.equal((await intentsOf(poolId, defaulter)).length, 3, 'a first charge and two dunning retries, in round 1 only');
    assert.deepEqual(
      (await h.poolStripe('payment_intent', poolId))
        .filter((pi) => pi.round === 2)
        .map((pi) => pi.memberId)
        .sort(),
      [a, b].sort(),
    );
    const transfers = await h.poolStripe('transfer', poolId);
    assert.deepEqual(
      transfers.map((t) => [t.memberId, t.amount]),
      [
        [a, 19_800],
        [b, 19_800],
      ],
    );
    assert.equal(await h.balance(`pool:${poolId}:pot`), 0n);
    assert.deepEqual(await h.ledgerViolations(poolId), []);
  });

  test('cover-from-reserve: a late fee funds the reserve, which covers one default; the next falls back to suspend', async () => {
    // Contributions of 10.00 and a late fee of 15.00, so that one late fee covers one missed contribution.
    const config = rotatingPool(3, { defaultPolicy: 'cover-from-reserve', contributionMinor: 1_000, lateFeeMinor: 1_500 });
    const [a] = await Promise.all([h.member()]);
    const [late, defaulter] = await Promise.all([h.member(DECLINING_CARD), h.member(DECLINING_CARD)]);
    const handle = await h.startPool(config);
    const poolId = await poolIdOf(handle);
    await joinAll(handle, [defaulter, late, a!]);
    await activate(handle);

    // Round 1: `late` pays on the first retry (late fee 15.00 into the reserve); the defaulter never
    // pays and the reserve covers their 10.00. They may not win this round, so `late` takes the pot.
    const r1 = await declineThenReplaceCard(handle, 1, late);
    assert.deepEqual(
      r1.members.map((m) => [m.memberId, m.outcome, m.policyApplied, m.paidMinor]),
      [
        [defaulter, 'covered', 'covered', '0'],
        [late, 'paid-late', 'none', '2500'],
        [a, 'paid', 'none', '1000'],
      ],
    );
    assert.equal(r1.potMinor, '3000', 'the covered contribution is in the pot');
    assert.equal(r1.payout?.winnerMemberId, late);
    assert.equal(await h.balance(`pool:${poolId}:reserve`), 500n, '15.00 late fee less 10.00 cover');
    let member = await memberView(handle, defaulter);
    assert.deepEqual([member.status, member.arrearsMinor], ['active', '1000'], 'covered: still active, owing the reserve');

    // Round 2: the reserve holds 5.00, too little for 10.00, so the fallback policy suspends them.
    const r2 = await h.runRound(handle);
    const outcome = r2.members.find((m) => m.memberId === defaulter)!;
    assert.deepEqual([outcome.outcome, outcome.policyApplied], ['defaulted', 'suspend']);
    assert.equal(r2.potMinor, '2000');
    assert.equal(r2.payout?.winnerMemberId, a);
    assert.equal(await h.balance(`pool:${poolId}:reserve`), 500n, 'a refused cover leaves the reserve untouched');
    member = await memberView(handle, defaulter);
    assert.deepEqual([member.status, member.arrearsMinor], ['suspended', '2000']);

    // Stripe: three declined attempts per round for the defaulter, two for `late`, one for `a`.
    const counts = await Promise.all([defaulter, late, a!].map(async (id) => (await intentsOf(poolId, id)).length));
    assert.deepEqual(counts, [6, 3, 2]);
    assert.deepEqual(await intentsOf(poolId, late), [
      [1, 'contribution', 1_000, 'requires_payment_method'],
      [1, 'dunning-1', 2_500, 'succeeded'],
      [2, 'contribution', 1_000, 'succeeded'],
    ]);
    const transfers = await h.poolStripe('transfer', poolId);
    assert.deepEqual(
      transfers.map((t) => [t.memberId, t.amount]),
      [
        [late, 2_970],
        [a, 1_980],
      ],
    );
    assert.equal(await h.balance(`pool:${poolId}:pot`), 0n);
    assert.deepEqual(await h.ledgerViolations(poolId), []);
    await handle.executeUpdate(cancelPoolUpdate, { args: [{}] });
    await finalView(handle);
  });
});
