// A round on the time-skipping server when a settlement webhook never arrives: the round asks Stripe
// itself within minutes, and charges nobody twice. (A round that dies without reporting, which the
// time-skipping server does not tell its parent about: test/pool-escalation.test.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { workflowIds } from '../temporal-config/workflow-ids';
import { activate, countByMember, joinAll, rotatingPool, startPoolHarness, waitForRound, waitForView, type PoolHarness } from '../test/support/pool-harness';
import { cancelPoolUpdate, poolStateQuery, roundDueSignal, type poolWorkflow } from './pools/pool';

type PoolHandle = WorkflowHandle<typeof poolWorkflow>;
/** Skipped workflow time within which a round notices a settlement whose webhook was lost. */
const LOST_WEBHOOK_NOTICED_WITHIN = '10 minutes';

describe('rounds whose signals go missing', () => {
  let h: PoolHarness;
  // Processing payments settle only when a test settles them; webhooks reach a round only when a test routes them.
  before(async () => (h = await startPoolHarness({ settlementDelayMs: 3_600_000 })));
  after(async () => h.close());

  const startedPool = async (cards: string[]) => {
    const members = await Promise.all(cards.map((card) => h.member(card)));
    const handle: PoolHandle = await h.startPool(rotatingPool(cards.length));
    await joinAll(handle, members);
    await activate(handle);
    return { handle, members, poolId: (await handle.query(poolStateQuery)).poolId };
  };

  test('a settlement whose webhook is lost is found at Stripe within minutes; nobody is charged twice', async () => {
    const { handle, poolId, members } = await startedPool(['pm_card_visa', 'pm_card_visa', 'pm_card_sandbox_processing']);
    await handle.signal(roundDueSignal);
    await waitForView(handle, (v) => v.roundInProgress === 1);
    const collecting = await h.waitForRoundProgress(poolId, 1, (p) => p.members.every((m) => m.state !== 'charging'));
    assert.deepEqual(
      collecting.members.map((m) => m.state),
      ['paid', 'paid', 'processing'],
    );

    // Stripe settles the payment and sends its webhook, which never arrives.
    await h.kit.control.settlePaymentIntent(collecting.members[2]!.paymentIntentId!);
    await h.env.sleep(LOST_WEBHOOK_NOTICED_WITHIN);
    const { status } = await h.client.workflow.getHandle(workflowIds.round(poolId, 1)).describe();
    assert.equal(status.name, 'COMPLETED', `the round still waits ${LOST_WEBHOOK_NOTICED_WITHIN} after Stripe settled`);
    const result = await waitForRound(handle, 1);
    assert.deepEqual(
      result.members.map((m) => m.outcome),
      ['paid', 'paid', 'paid'],
    );
    assert.deepEqual(countByMember(await h.poolStripe('payment_intent', poolId), members), Object.fromEntries(members.map((m) => [m, 1])));
    const slow = (await handle.query(poolStateQuery)).members.find((m) => m.memberId === members[2])!;
    assert.deepEqual([slow.status, slow.arrearsMinor], ['active', '0']);
    assert.deepEqual(await h.ledgerViolations(poolId), []);
    await handle.executeUpdate(cancelPoolUpdate, { args: [{}] });
  });
});
