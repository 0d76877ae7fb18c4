// Our own faults are not a member's default, on the time-skipping server: a charge Stripe refuses as a
// bad request, or one refused for want of the member's agreement, escalates the collection to operations
// (visible in the round's details) instead of starting dunning; the retryCollection signal asks again
// under the same key once the cause is fixed, and the member is paid on time, with no late fee.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { recordAgreement, agreementTerms } from '../db/consent';
import { activate, joinAll, rotatingPool, startPoolHarness, waitForRound, waitForView, type PoolHarness } from '../test/support/pool-harness';
import { eventually } from '../test/support/eventually';
import { workflowIds } from '../temporal-config/workflow-ids';
import { joinPoolUpdate, poolStateQuery, roundDueSignal } from './pool';
import { retryCollectionSignal } from './round';

describe('escalating our own payment faults', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness()));
  after(async () => h.close());

  const details = async (poolId: string) =>
    ((await h.client.workflow.getHandle(workflowIds.round(poolId, 1)).query<{ currentDetails: string }>('__temporal_workflow_metadata')).currentDetails);

  test('a charge Stripe refuses as a bad request escalates instead of dunning, and is asked again on the signal', async () => {
    const [a, b, c] = await Promise.all([h.member(), h.member(), h.member()]);
    const handle = await h.startPool(rotatingPool(3, { lateFeeMinor: 500 }));
    const { poolId } = await handle.query(poolStateQuery);
    await joinAll(handle, [a!, b!, c!]);
    await activate(handle);
    await h.kit.control.addFault({
      kind: 'error',
      method: 'POST',
      pathPrefix: '/v1/payment_intents',
      idempotencyKey: `contribution:${poolId}:1:${c}:contribution`,
      secretKey: h.kit.secretKey,
      status: 400,
      error: { type: 'invalid_request_error', message: 'No such customer: a record we broke.' },
    });
    await handle.signal(roundDueSignal);
    await waitForView(handle, (v) => v.roundInProgress === 1);

    const escalated = await h.waitForRoundProgress(poolId, 1, (p) => p.phase === 'collection-escalated');
    assert.equal(escalated.members.find((m) => m.memberId === c)!.state, 'charging', 'not failed: nothing is held against the member');
    assert.match(await details(poolId), /Needs operations.*StripeInvalidRequest.*retryCollection/s);

    await h.client.workflow.getHandle(workflowIds.round(poolId, 1)).signal(retryCollectionSignal);
    const result = await waitForRound(handle, 1);
    const outcome = result.members.find((m) => m.memberId === c)!;
    assert.deepEqual([outcome.outcome, outcome.lateFeeMinor, outcome.policyApplied], ['paid', '0', 'none']);
    const intents = (await h.poolStripe('payment_intent', poolId)).filter((pi) => pi.memberId === c);
    assert.deepEqual(intents.map((pi) => [pi.purpose, pi.status]), [['contribution', 'succeeded']], 'one charge, no dunning retry');
  });

  test('a member without a recorded agreement is not charged and not put in default: operations are called', async () => {
    const [a, b, stranger] = await Promise.all([h.member(), h.member(), h.member()]);
    const handle = await h.startPool(rotatingPool(3));
    const { poolId, config } = await handle.query(poolStateQuery);
    await joinAll(handle, [a!, b!]);
    await handle.executeUpdate(joinPoolUpdate, { args: [{ memberId: stranger! }] });
    await activate(handle);
    await handle.signal(roundDueSignal);
    await waitForView(handle, (v) => v.roundInProgress === 1);

    await h.waitForRoundProgress(poolId, 1, (p) => p.phase === 'collection-escalated');
    assert.match(await details(poolId), /ChargeAgreementMissing/);
    assert.deepEqual((await h.poolStripe('payment_intent', poolId)).filter((pi) => pi.memberId === stranger), []);

    // The member accepts after all (as the API records it), and operations ask again.
    await recordAgreement(h.db, { poolId, memberId: stranger!, terms: agreementTerms(config, null), requestId: 'late-acceptance' });
    await h.client.workflow.getHandle(workflowIds.round(poolId, 1)).signal(retryCollectionSignal);
    const result = await waitForRound(handle, 1);
    assert.equal(result.members.find((m) => m.memberId === stranger)!.outcome, 'paid');
  });

  test('two charges escalated at once are both named, and one retry signal asks again for both', async () => {
    const [a, first, second] = await Promise.all([h.member(), h.member(), h.member()]);
    const handle = await h.startPool(rotatingPool(3));
    const { poolId, config } = await handle.query(poolStateQuery);
    await joinAll(handle, [a!]);
    for (const stranger of [first!, second!]) await handle.executeUpdate(joinPoolUpdate, { args: [{ memberId: stranger }] });
    await activate(handle);
    await handle.signal(roundDueSignal);

    // One escalation per failed charge (hence one log line each), shown together: before, the second
    // replaced the first in the details, and operations saw only one of the two members.
    await h.waitForRoundProgress(poolId, 1, (p) => p.phase === 'collection-escalated');
    await eventually('both members named in the details', async () => {
      const text = await details(poolId);
      return text.includes(first!) && text.includes(second!) ? text : undefined;
    });

    for (const stranger of [first!, second!]) await recordAgreement(h.db, { poolId, memberId: stranger, terms: agreementTerms(config, null), requestId: 'late-acceptance' });
    await h.client.workflow.getHandle(workflowIds.round(poolId, 1)).signal(retryCollectionSignal);
    const result = await waitForRound(handle, 1);
    assert.deepEqual(result.members.map((m) => m.outcome), ['paid', 'paid', 'paid']);
    assert.equal(await details(poolId), '');
  });
});
