// The payout saga on the time-skipping server, with Stripe refusing transfers at the sandbox: a refused
// transfer voids its ledger reservation and is retried under a new key into exactly one transfer; when
// every attempt fails the round escalates to operations and pays once after `retryPayout`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { workflowIds } from '../temporal-config/workflow-ids';
import { activate, finalView, joinAll, rotatingPool, startPoolHarness, waitForRound, waitForView, type PoolHarness } from '../test/support/pool-harness';
import { cancelPoolUpdate, poolStateQuery, roundDueSignal, type poolWorkflow } from './pools/pool';
import { PAYOUT_ATTEMPTS_MAX, retryPayoutSignal } from './pools/round';

type PoolHandle = WorkflowHandle<typeof poolWorkflow>;
const HOUR_MS = 3_600_000;

describe('payout saga', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness()));
  after(async () => h.close());

  /** Stripe refuses the next `times` transfer creations of this harness as invalid (a 400, not retryable). */
  const refuseTransfers = (times: number) =>
    h.kit.control.addFault({
      kind: 'error',
      method: 'POST',
      pathPrefix: '/v1/transfers',
      secretKey: h.kit.secretKey,
      times,
      status: 400,
      error: { type: 'invalid_request_error', code: 'account_invalid', message: 'The destination account cannot receive transfers right now.' },
    });

  const transferRequests = async () => (await h.kit.control.requests({ method: 'POST', pathPrefix: '/v1/transfers', secretKey: h.kit.secretKey })).length;

  const startedPool = async () => {
    const members = await Promise.all(Array.from({ length: 3 }, () => h.member()));
    const handle: PoolHandle = await h.startPool(rotatingPool(3));
    await joinAll(handle, members);
    await activate(handle);
    return { handle, members, poolId: (await handle.query(poolStateQuery)).poolId };
  };

  const payoutKey = (poolId: string, memberId: string, attempt: number) => `ledger:payout:${poolId}:1:${memberId}:pot-a${attempt}`;

  test('a refused transfer is voided in the ledger and retried under a new key into exactly one transfer', async () => {
    const { handle, members, poolId } = await startedPool();
    const winner = members[0]!;
    const requestsBefore = await transferRequests();
    await refuseTransfers(1);

    const result = await h.runRound(handle);
    assert.equal(result.payout?.winnerMemberId, winner);
    assert.equal(result.payoutAttempts, 2);

    const transfers = await h.poolStripe('transfer', poolId);
    assert.deepEqual(
      transfers.map((t) => [t.memberId, t.purpose, t.amount]),
      [[winner, 'pot-a2', 29_700]],
      'exactly one transfer, made by the second attempt',
    );
    assert.equal((await transferRequests()) - requestsBefore, 2, 'one refused request, one that went through');

    const ledger = await h.ledgerTransfers(poolId);
    assert.equal(ledger.get(payoutKey(poolId, winner, 1)), 'voided');
    assert.equal(ledger.get(payoutKey(poolId, winner, 2)), 'posted_from_pending');
    assert.equal([...ledger.keys()].filter((key) => key.startsWith(`ledger:payout:${poolId}:`)).length, 2);
    assert.equal(await h.balance(`pool:${poolId}:pot`), 0n, '300.00 in, 3.00 fee and 297.00 out');
    assert.equal(await h.balance(`pool:${poolId}:member:${winner}:paid_out`), 29_700n);
    assert.deepEqual(await h.ledgerViolations(poolId), []);
    await handle.executeUpdate(cancelPoolUpdate, { args: [{}] });
    await finalView(handle);
  });

  test('every attempt refused: the round escalates, and pays exactly once after retryPayout', async () => {
    const { handle, members, poolId } = await startedPool();
    const winner = members[0]!;
    const fault = await refuseTransfers(100);
    try {
      await handle.signal(roundDueSignal);
      await waitForView(handle, (v) => v.roundInProgress === 1);
      // The attempts are 2, 4 and 8 minutes apart: skip an hour (a bounded skip, since the escalated
      // round then waits for operations without a timer).
      await h.env.sleep(HOUR_MS);
      const escalated = await h.waitForRoundProgress(poolId, 1, (p) => p.phase === 'payout-escalated');
      assert.ok(escalated.members.every((m) => m.state === 'paid'));
    } finally {
      await h.kit.control.removeFault(fault.id);
    }
    assert.equal((await h.poolStripe('transfer', poolId)).length, 0, 'no transfer while escalated');
    let ledger = await h.ledgerTransfers(poolId);
    for (let attempt = 1; attempt <= PAYOUT_ATTEMPTS_MAX; attempt++) assert.equal(ledger.get(payoutKey(poolId, winner, attempt)), 'voided');
    assert.equal(await h.balance(`pool:${poolId}:pot`), 29_700n, 'the pot still holds the payout, less the fee');
    assert.equal((await handle.query(poolStateQuery)).roundInProgress, 1, 'the pool waits for the round');

    // Operations fixed the cause (the fault is gone) and ask the round to try again.
    await h.client.workflow.getHandle(workflowIds.round(poolId, 1)).signal(retryPayoutSignal);
    const result = await waitForRound(handle, 1);
    assert.equal(result.payoutAttempts, PAYOUT_ATTEMPTS_MAX + 1);
    const transfers = await h.poolStripe('transfer', poolId);
    assert.deepEqual(
      transfers.map((t) => [t.memberId, t.purpose, t.amount]),
      [[winner, `pot-a${PAYOUT_ATTEMPTS_MAX + 1}`, 29_700]],
    );
    ledger = await h.ledgerTransfers(poolId);
    assert.equal(ledger.get(payoutKey(poolId, winner, PAYOUT_ATTEMPTS_MAX + 1)), 'posted_from_pending');
    assert.equal(await h.balance(`pool:${poolId}:pot`), 0n);
    assert.equal(await h.balance(`pool:${poolId}:member:${winner}:paid_out`), 29_700n, 'paid once');
    assert.deepEqual(await h.ledgerViolations(poolId), []);
    assert.equal((await handle.query(poolStateQuery)).members.find((m) => m.memberId === winner)?.received, true);
    await handle.executeUpdate(cancelPoolUpdate, { args: [{}] });
    await finalView(handle);
  });
});
