// Our own faults are not a member's default, on the time-skipping server: a charge Stripe refuses as a
// bad request, or one refused for want of the member's agreement, escalates the collection to operations
// (visible in the round's details) instead of starting dunning; the retryCollection signal asks again
// under the same key once the cause is fixed, and the member is paid on time, with no late fee. A charge
// whose outcome Stripe never gives is asked again a bounded number of times, then escalated the same way.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeArrayFromPayloads, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { recordAgreement, agreementTerms } from '../db/consent';
import { poolflowDataConverter } from '../temporal-config/data-converter';
import { activate, joinAll, rotatingPool, startPoolHarness, waitForRound, waitForView, type PoolHarness } from '../test/support/pool-harness';
import { eventually } from '../test/support/eventually';
import { workflowIds } from '../temporal-config/workflow-ids';
import { joinPoolUpdate, poolStateQuery, roundDueSignal } from './pools/pool';
import { retryCollectionSignal, UNKNOWN_OUTCOME_ASKS_MAX } from './pools/round';

describe('escalating our own payment faults', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness()));
  after(async () => h.close());

  const details = async (poolId: string) =>
    (await h.client.workflow.getHandle(workflowIds.round(poolId, 1)).query<{ currentDetails: string }>('__temporal_workflow_metadata')).currentDetails;

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
    assert.deepEqual(
      intents.map((pi) => [pi.purpose, pi.status]),
      [['contribution', 'succeeded']],
      'one charge, no dunning retry',
    );
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
    assert.deepEqual(
      (await h.poolStripe('payment_intent', poolId)).filter((pi) => pi.memberId === stranger),
      [],
    );

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

    for (const stranger of [first!, second!])
      await recordAgreement(h.db, { poolId, memberId: stranger, terms: agreementTerms(config, null), requestId: 'late-acceptance' });
    await h.client.workflow.getHandle(workflowIds.round(poolId, 1)).signal(retryCollectionSignal);
    const result = await waitForRound(handle, 1);
    assert.deepEqual(
      result.members.map((m) => m.outcome),
      ['paid', 'paid', 'paid'],
    );
    assert.equal(await details(poolId), '');
  });

  test('a charge whose outcome stays unknown is asked again at most UNKNOWN_OUTCOME_ASKS_MAX times, then escalated', async () => {
    const [a, b] = await Promise.all([h.member(), h.member()]);
    const handle = await h.startPool(rotatingPool(2));
    const { poolId } = await handle.query(poolStateQuery);
    await joinAll(handle, [a!, b!]);
    await activate(handle);
    // Stripe answers every creation of b's PaymentIntent with a 500: an outage, so the outcome is unknown.
    const fault = await h.kit.control.addFault({
      kind: 'api_error',
      method: 'POST',
      pathPrefix: '/v1/payment_intents',
      idempotencyKey: `contribution:${poolId}:1:${b}:contribution`,
      secretKey: h.kit.secretKey,
      times: 1_000,
    });
    await handle.signal(roundDueSignal);
    await waitForView(handle, (v) => v.roundInProgress === 1);

    // Each ask is an activity retried for up to 30 minutes, then a minute's pause: skip through the hours.
    const HOUR_MS = 3_600_000;
    const phase = async () => (await h.roundProgress(poolId, 1)).phase;
    for (let hours = 0; (await phase()) !== 'collection-escalated'; hours++) {
      assert.ok(hours < 48, 'the collection never escalated: the asks are not bounded');
      await h.env.sleep(HOUR_MS);
    }
    assert.match(await details(poolId), new RegExp(`Needs operations.*no outcome from Stripe after ${UNKNOWN_OUTCOME_ASKS_MAX} asks.*retryCollection`, 's'));

    // Exactly the bound: one charge activity naming b per ask (alone, or in a batch of the round's
    // charges), and the round waits instead of asking on.
    const converter = loadDataConverter(poolflowDataConverter());
    const asksOfB = async () => {
      let count = 0;
      for (const event of (await h.client.workflow.getHandle(workflowIds.round(poolId, 1)).fetchHistory()).events ?? []) {
        const scheduled = event.activityTaskScheduledEventAttributes;
        const type = scheduled?.activityType?.name;
        if (type !== 'chargeContribution' && type !== 'chargeContributions') continue;
        const [args] = (await decodeArrayFromPayloads(converter, scheduled!.input?.payloads)) as Array<{
          memberId?: string;
          charges?: Array<{ memberId: string }>;
        }>;
        const named = args!.charges ? args!.charges.map((c) => c.memberId) : [args!.memberId];
        if (named.includes(b)) count++;
      }
      return count;
    };
    assert.equal(await asksOfB(), UNKNOWN_OUTCOME_ASKS_MAX);
    await h.env.sleep(6 * HOUR_MS);
    assert.equal(await asksOfB(), UNKNOWN_OUTCOME_ASKS_MAX, 'escalated, the round stops asking until operations signal');
    assert.equal((await h.roundProgress(poolId, 1)).members.find((m) => m.memberId === b)!.state, 'charging', 'nothing is held against the member');

    // Stripe is back; operations ask again, under the same key, and the member is paid once.
    await h.kit.control.removeFault(fault.id);
    await h.client.workflow.getHandle(workflowIds.round(poolId, 1)).signal(retryCollectionSignal);
    const result = await waitForRound(handle, 1);
    assert.equal(result.members.find((m) => m.memberId === b)!.outcome, 'paid');
    assert.deepEqual(
      (await h.poolStripe('payment_intent', poolId)).filter((pi) => pi.memberId === b).map((pi) => pi.status),
      ['succeeded'],
    );
  });
});
