// A rotating pool's life beyond its rounds, on the time-skipping server: pause and resume (with the
// schedule on the dev server following), cancellation in the middle of a round with every collected
// contribution refunded once, and replacing members between rounds.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { agreementTerms, recordAgreement } from '../db/consent';
import { workflowIds } from '../temporal-config/workflow-ids';
import {
  activate,
  countByMember,
  finalView,
  joinAll,
  rotatingPool,
  startPoolHarness,
  waitForRound,
  waitForView,
  type PoolHarness,
} from '../test/support/pool-harness';
import { settled } from '../test/support/eventually';
import { cancelPoolUpdate, pausePoolUpdate, poolStateQuery, replaceMemberUpdate, resumePoolUpdate, roundDueSignal, type poolWorkflow } from './pools/pool';

type PoolHandle = WorkflowHandle<typeof poolWorkflow>;

describe('pool lifecycle', () => {
  let h: PoolHarness;
  // Processing payments settle only when a test settles them, never on the sandbox's own timer.
  before(async () => (h = await startPoolHarness({ settlementDelayMs: 3_600_000 })));
  after(async () => h.close());

  const startedPool = async (size: number, cards: string[] = []) => {
    const members = await Promise.all(Array.from({ length: size }, (_, i) => h.member(cards[i])));
    const handle: PoolHandle = await h.startPool(rotatingPool(size));
    await joinAll(handle, members);
    await activate(handle);
    return { handle, members, poolId: (await handle.query(poolStateQuery)).poolId };
  };

  const roundExists = async (poolId: string, round: number) => {
    try {
      await h.client.workflow.getHandle(workflowIds.round(poolId, round)).describe();
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  };

  test('pause and resume: the schedule follows, a round due while paused runs nothing, after resuming a round runs', async () => {
    const { handle, poolId, members } = await startedPool(3);
    assert.deepEqual(await h.scheduleState(poolId), { paused: false });

    const paused = await handle.executeUpdate(pausePoolUpdate, { args: [{ reason: 'members on holiday' }] });
    assert.equal(paused.status, 'paused');
    assert.deepEqual(await h.scheduleState(poolId), { paused: true });

    // A firing while paused (say "trigger now" on the schedule) is dropped, not kept for later: the
    // resume below is processed after the signal, and still no round starts.
    await handle.signal(roundDueSignal);
    const resumed = await handle.executeUpdate(resumePoolUpdate, { args: [] });
    assert.equal(resumed.status, 'active');
    assert.deepEqual(await h.scheduleState(poolId), { paused: false });
    await settled(handle);
    const idle = await handle.query(poolStateQuery);
    assert.deepEqual([idle.roundInProgress, idle.roundsCompleted, idle.version], [null, 0, resumed.version]);
    assert.equal(await roundExists(poolId, 1), false, 'no round was started');
    assert.equal((await h.poolStripe('payment_intent', poolId)).length, 0, 'nobody was charged');

    const round = await h.runRound(handle);
    assert.equal(round.round, 1);
    assert.equal(round.payout?.winnerMemberId, members[0]);
    assert.equal((await h.poolStripe('payment_intent', poolId)).length, 3);

    await handle.executeUpdate(cancelPoolUpdate, { args: [{ reason: 'test done' }] });
    assert.equal((await finalView(handle)).status, 'cancelled');
    assert.equal(await h.scheduleState(poolId), 'missing');
    // Every update here ran a local activity beside the pool's own: the history replays as it ran.
    assert.deepEqual(await h.replayFailures([handle.workflowId]), []);
  });

  test('a payment still processing when the grace period ends is awaited, not counted as a default', async () => {
    const { handle, poolId, members } = await startedPool(3, ['pm_card_visa', 'pm_card_visa', 'pm_card_sandbox_processing']);
    const slow = members[2]!;
    await handle.signal(roundDueSignal);
    await waitForView(handle, (v) => v.roundInProgress === 1);
    const collecting = await h.waitForRoundProgress(poolId, 1, (p) => p.members.every((m) => m.state !== 'charging'));
    assert.deepEqual(
      collecting.members.map((m) => m.state),
      ['paid', 'paid', 'processing'],
    );

    // Four days on, well past the 72-hour grace period, the bank payment is still on its way.
    await h.env.sleep('4 days');
    const waiting = await h.waitForRoundProgress(poolId, 1, () => true);
    assert.deepEqual([waiting.phase, waiting.members[2]!.state], ['collecting', 'processing']);

    const slowIntent = collecting.members[2]!.paymentIntentId!;
    await h.kit.control.settlePaymentIntent(slowIntent);
    assert.equal(await h.routeStripeEvents((event) => event.type === 'payment_intent.succeeded' && (event.data.object as { id: string }).id === slowIntent), 1);
    const result = await waitForRound(handle, 1);
    assert.deepEqual(
      result.members.map((m) => m.outcome),
      ['paid', 'paid', 'paid'],
    );
    assert.equal(result.potMinor, '30000');
    const member = (await handle.query(poolStateQuery)).members.find((m) => m.memberId === slow)!;
    assert.deepEqual([member.status, member.arrearsMinor, member.paidInMinor], ['active', '0', '10000']);
    assert.deepEqual(await h.ledgerViolations(poolId), []);
    await handle.executeUpdate(cancelPoolUpdate, { args: [{}] });
    await finalView(handle);
  });

  test('cancelled while collecting: every paid contribution of the round is refunded once, the pot is empty', async () => {
    // The third member's bank payment is still processing, so the round waits for it.
    const { handle, poolId, members } = await startedPool(3, ['pm_card_visa', 'pm_card_visa', 'pm_card_sandbox_processing']);
    const [a, b, slow] = members as [string, string, string];
    await handle.signal(roundDueSignal);
    await waitForView(handle, (v) => v.roundInProgress === 1);
    const collecting = await h.waitForRoundProgress(poolId, 1, (p) => p.members.every((m) => m.state !== 'charging'));
    assert.deepEqual(
      collecting.members.map((m) => m.state),
      ['paid', 'paid', 'processing'],
    );
    assert.equal(collecting.phase, 'collecting');

    const cancelled = await handle.executeUpdate(cancelPoolUpdate, { args: [{ reason: 'the group broke up' }] });
    assert.equal(cancelled.status, 'cancelled');

    // The slow payment succeeds after all; Stripe's webhook reaches the round through the real router.
    const slowIntent = collecting.members.find((m) => m.memberId === slow)!.paymentIntentId!;
    assert.equal((await h.kit.control.settlePaymentIntent(slowIntent)).paymentIntent.status, 'succeeded');
    const delivered = await h.routeStripeEvents(
      (event) => event.type === 'payment_intent.succeeded' && (event.data.object as { id: string }).id === slowIntent,
    );
    assert.equal(delivered, 1);

    const result = await waitForRound(handle, 1);
    assert.deepEqual(
      result.members.map((m) => [m.memberId, m.outcome]),
      [
        [a, 'refunded'],
        [b, 'refunded'],
        [slow, 'refunded'],
      ],
    );
    assert.equal(result.payout, null, 'a cancelled round pays nobody');
    const final = await finalView(handle);
    assert.equal(final.status, 'cancelled');
    assert.equal(final.potMinor, '0');
    assert.equal(await h.scheduleState(poolId), 'missing', 'the schedule was deleted');

    // Stripe: one refund per charge, for the full contribution; no transfer.
    const intents = await h.poolStripe('payment_intent', poolId);
    const refunds = await h.poolStripe('refund', poolId);
    assert.deepEqual(countByMember(refunds, members), { [a]: 1, [b]: 1, [slow]: 1 });
    for (const refund of refunds) {
      const charged = intents.find((pi) => pi.memberId === refund.memberId)!;
      assert.deepEqual([refund.object.payment_intent, refund.amount, refund.status], [charged.id, 10_000, 'succeeded']);
    }
    assert.equal((await h.poolStripe('transfer', poolId)).length, 0);

    // Ledger: three contributions in, three refunds out, nothing left anywhere.
    const ledger = await h.ledgerTransfers(poolId);
    for (const member of members) {
      assert.equal(ledger.get(`ledger:contribution:${poolId}:1:${member}`), 'posted');
      assert.equal(ledger.get(`ledger:refund:${poolId}:1:${member}`), 'posted');
      assert.equal(await h.balance(`pool:${poolId}:member:${member}:contributed`), 0n);
    }
    assert.equal(await h.balance(`pool:${poolId}:pot`), 0n);
    assert.deepEqual(await h.ledgerViolations(poolId), []);
  });

  test('replacement between rounds: the newcomer inherits the slot and the received pot; the outgoing member is not charged', async () => {
    const { handle, poolId, members } = await startedPool(4);
    const [m1, m2, m3, m4] = members as [string, string, string, string];
    const [n1, n3] = await Promise.all([h.member(), h.member()]);

    assert.equal((await h.runRound(handle)).payout?.winnerMemberId, m1);
    // m1 has received the pot and leaves: n1 takes over a slot that has been paid out. m3 has not: n3
    // takes over the third turn.
    // The newcomers accepted, agreeing to be charged, as the API records it before it replaces anyone.
    const { config } = await handle.query(poolStateQuery);
    for (const n of [n1, n3]) await recordAgreement(h.db, { poolId, memberId: n, terms: agreementTerms(config, null), requestId: 'test-replacement' });
    await handle.executeUpdate(replaceMemberUpdate, { args: [{ outgoingMemberId: m1, incomingMemberId: n1 }] });
    await handle.executeUpdate(replaceMemberUpdate, { args: [{ outgoingMemberId: m3, incomingMemberId: n3 }] });
    const view = await handle.query(poolStateQuery);
    assert.deepEqual(view.payoutOrder, [n1, m2, n3, m4]);
    const byId = (id: string) => view.members.find((m) => m.memberId === id)!;
    assert.deepEqual([byId(n1).received, byId(n1).replacedMemberId, byId(n1).status], [true, m1, 'active']);
    assert.deepEqual([byId(n3).received, byId(n3).replacedMemberId, byId(n3).status], [false, m3, 'active']);
    assert.deepEqual([byId(m1).status, byId(m3).status], ['left', 'left']);

    const winners = [];
    for (let round = 2; round <= 4; round++) {
      const result = await h.runRound(handle);
      assert.deepEqual(result.members.map((m) => m.memberId).sort(), [m2, m4, n1, n3].sort(), `round ${round} charges the members in the pool`);
      winners.push(result.payout?.winnerMemberId);
    }
    assert.deepEqual(winners, [m2, n3, m4]);
    const final = await finalView(handle);
    assert.equal(final.status, 'completed');

    const everyone = [m1, m2, m3, m4, n1, n3];
    assert.deepEqual(countByMember(await h.poolStripe('payment_intent', poolId), everyone), { [m1]: 1, [m2]: 4, [m3]: 1, [m4]: 4, [n1]: 3, [n3]: 3 });
    const transfers = await h.poolStripe('transfer', poolId);
    assert.deepEqual(countByMember(transfers, everyone), { [m1]: 1, [m2]: 1, [m3]: 0, [m4]: 1, [n1]: 0, [n3]: 1 });
    assert.ok(transfers.every((t) => t.amount === 39_600));
    assert.equal(await h.balance(`pool:${poolId}:pot`), 0n);
    assert.deepEqual(await h.ledgerViolations(poolId), []);
  });
});
