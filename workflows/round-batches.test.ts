// A round charges its members in batches and records their contributions in batched ledger
// transactions (patch 'batched-contributions'), on the time-skipping server: a member declined in the
// middle of a batch goes through dunning and the default policy alone, exactly as a lone charge did,
// while the round runs one charge activity per batch and one ledger activity for every contribution.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { workflowIds } from '../temporal-config/workflow-ids';
import { activate, finalView, joinAll, rotatingPool, startPoolHarness, type PoolHarness } from '../test/support/pool-harness';
import { activityTypesRun } from '../test/support/history-activities';
import { cancelPoolUpdate, poolStateQuery } from './pools/pool';

describe('batched rounds', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness()));
  after(async () => h.close());

  test('a decline in the middle of a batch: that member is dunned and suspended, the others pay once, one activity each for charging and recording', async () => {
    const [a, b, d, e] = await Promise.all([h.member(), h.member(), h.member(), h.member()]);
    const declined = await h.member('pm_card_chargeDeclined');
    const members = [a!, b!, declined, d!, e!];
    const handle = await h.startPool(rotatingPool(5, { defaultPolicy: 'suspend', lateFeeMinor: 500, gracePeriodHours: 72, dunningRetryHours: [24, 48] }));
    const { poolId } = await handle.query(poolStateQuery);
    await joinAll(handle, members);
    await activate(handle);

    const result = await h.runRound(handle);
    assert.deepEqual(
      result.members.map((m) => [m.memberId, m.outcome, m.policyApplied]),
      members.map((id) => [id, id === declined ? 'defaulted' : 'paid', id === declined ? 'suspend' : 'none']),
    );
    assert.equal(result.members.find((m) => m.memberId === declined)?.failureCode, 'card_declined');
    assert.equal(result.payout?.winnerMemberId, a);

    // Stripe: one PaymentIntent each for those who paid; the declined member's first charge and each retry.
    const intents = await h.poolStripe('payment_intent', poolId);
    for (const id of members.filter((m) => m !== declined)) {
      assert.deepEqual(
        intents.filter((pi) => pi.memberId === id).map((pi) => [pi.purpose, pi.status]),
        [['contribution', 'succeeded']],
      );
    }
    assert.deepEqual(
      intents.filter((pi) => pi.memberId === declined).map((pi) => [pi.purpose, pi.amount]),
      [
        ['contribution', 10_000],
        ['dunning-1', 10_500],
        ['dunning-2', 10_500],
      ],
    );

    // The round's activities (ordinary and local): one batch for the first charges, one per dunning retry (the declined
    // member alone), and one ledger activity recording the four contributions.
    const history = await handle.client.getHandle(workflowIds.round(poolId, 1)).fetchHistory();
    const scheduled = activityTypesRun(history);
    const count = (name: string) => scheduled.filter((n) => n === name).length;
    assert.deepEqual(
      ['chargeContributions', 'chargeContribution', 'recordContributions', 'recordContribution'].map((name) => [name, count(name)]),
      [
        ['chargeContributions', 3],
        ['chargeContribution', 0],
        ['recordContributions', 1],
        ['recordContribution', 0],
      ],
    );
    const transfers = await h.ledgerTransfers(poolId);
    const contributions = [...transfers.keys()].filter((key) => key.startsWith(`ledger:contribution:${poolId}:1:`));
    assert.deepEqual(
      contributions.sort(),
      members
        .filter((m) => m !== declined)
        .map((m) => `ledger:contribution:${poolId}:1:${m}`)
        .sort(),
    );
    assert.equal(await h.balance(`pool:${poolId}:member:${declined}:contributed`), 0n);
    assert.equal(await h.balance(`pool:${poolId}:pot`), 0n, 'the pot was paid out whole');
    assert.deepEqual(await h.ledgerViolations(poolId), []);

    await handle.executeUpdate(cancelPoolUpdate, { args: [{}] });
    await finalView(handle);
  });
});
