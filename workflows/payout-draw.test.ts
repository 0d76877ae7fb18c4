// Commit-reveal of a rotating pool's draws, on the time-skipping server: before activation the pool's
// history holds only the commitment, never the secret; activation reveals the secret, checks it, and
// draws the order (and auction ties) from it; anyone can verify the published draw; a secret that does
// not match the commitment refuses the activation and changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { decodeArrayFromPayloads, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { drawCommitment, drawnPayoutOrder, verifyPayoutDraw } from '../domain/pools/payout-draw';
import { resolveAuction } from '../domain/pools/payout-order';
import { poolflowDataConverter } from '../temporal-config/data-converter';
import { workflowBundle } from '../test/support/env';
import { activate, finalView, joinAll, rotatingPool, startPoolHarness, waitForRound, waitForView, type PoolHarness } from '../test/support/pool-harness';
import { cancelPoolUpdate, placeBidUpdate, poolStateQuery, roundDueSignal, type poolWorkflow } from './pools/pool';

type PoolHandle = WorkflowHandle<typeof poolWorkflow>;

/** Every payload of the workflow's history, decoded, as one text to search. */
async function decodedHistoryText(handle: PoolHandle): Promise<string> {
  const converter = loadDataConverter(poolflowDataConverter());
  const texts: string[] = [];
  const visit = async (node: unknown): Promise<void> => {
    if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) return;
    const payloads = (node as { payloads?: temporal.api.common.v1.IPayload[] }).payloads;
    if (Array.isArray(payloads))
      texts.push(JSON.stringify(await decodeArrayFromPayloads(converter, payloads), (_, v) => (typeof v === 'bigint' ? String(v) : v)));
    for (const value of Object.values(node)) await visit(value);
  };
  await visit(await handle.fetchHistory());
  return texts.join('\n');
}

describe('commit-reveal payout draw', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness()));
  after(async () => h.close());

  const storedSecret = async (poolId: string) =>
    (await h.db.query<{ secret: string; revealed_at: Date | null }>('SELECT secret, revealed_at FROM pool_draw_secrets WHERE pool_id = $1', [poolId])).rows[0]!;

  test('the secret stays out of history until activation, then the order follows from it and verifies', async () => {
    const members = await Promise.all(Array.from({ length: 4 }, () => h.member()));
    const handle = await h.startPool(rotatingPool(4, { payoutOrder: 'random' }), { drawSecret: true });
    const { poolId } = await handle.query(poolStateQuery);
    const joined = await joinAll(handle, members);
    const { secret, revealed_at } = await storedSecret(poolId);

    assert.equal(joined.drawCommitment, drawCommitment(secret), 'the view shows the commitment from the start');
    assert.equal(joined.payoutDraw, undefined);
    assert.equal(revealed_at, null);
    const beforeActivation = await decodedHistoryText(handle);
    assert.ok(beforeActivation.includes(drawCommitment(secret)), 'the input carries the commitment');
    assert.equal(beforeActivation.includes(secret), false, 'no payload before activation holds the secret');
    assert.equal(beforeActivation.includes('"seed"'), false, 'nor a seed to predict the order from');

    const view = await activate(handle);
    const draw = view.payoutDraw!;
    assert.equal(draw.secret, secret);
    assert.equal(draw.commitment, joined.drawCommitment);
    assert.deepEqual(draw.memberIds, members, 'drawn from the members in join order');
    assert.deepEqual(view.payoutOrder, drawnPayoutOrder(draw));
    assert.equal(verifyPayoutDraw(draw, view.payoutOrder!), true, 'anyone can verify the published draw');
    assert.notEqual((await storedSecret(poolId)).revealed_at, null, 'the reveal is stamped');

    await handle.signal(roundDueSignal);
    assert.equal((await waitForRound(handle, 1)).payout?.winnerMemberId, view.payoutOrder![0], 'the first drawn member receives the first pot');
    await handle.executeUpdate(cancelPoolUpdate, { args: [{ reason: 'test done' }] });
    await finalView(handle);
    // The reveal and the draw replay deterministically from the recorded history.
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), dataConverter: poolflowDataConverter() }, await handle.fetchHistory(), poolId);
  });

  test('a secret that does not match the commitment refuses the activation and changes nothing', async () => {
    const members = await Promise.all(Array.from({ length: 2 }, () => h.member()));
    const handle = await h.startPool(rotatingPool(2, { payoutOrder: 'random' }), { drawSecret: true });
    const { poolId } = await handle.query(poolStateQuery);
    await joinAll(handle, members);
    // Someone with database access swaps the secret after the commitment was fixed.
    await h.db.query('UPDATE pool_draw_secrets SET secret = $2 WHERE pool_id = $1', [poolId, 'f'.repeat(64)]);

    await assert.rejects(
      activate(handle),
      (error) => error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === 'PayoutDrawMismatch',
    );
    const view = await handle.query(poolStateQuery);
    assert.equal(view.status, 'open');
    assert.equal(view.payoutOrder, null);
    assert.equal(view.payoutDraw, undefined);
    await handle.executeUpdate(cancelPoolUpdate, { args: [{ reason: 'test done' }] });
  });

  test('an auction pool breaks ties with the revealed seed', async () => {
    const [m1, m2, m3] = (await Promise.all(Array.from({ length: 3 }, () => h.member()))) as [string, string, string];
    const handle = await h.startPool(rotatingPool(3, { payoutOrder: 'bid' }), { drawSecret: true });
    await joinAll(handle, [m1, m2, m3]);
    const view = await activate(handle);
    assert.equal(view.payoutOrder, null, 'an auction pool has no order in advance');
    const seed = view.payoutDraw!.seed;

    await handle.signal(roundDueSignal);
    await waitForView(handle, (v) => v.bidding?.round === 1);
    for (const memberId of [m1, m2, m3]) await handle.executeUpdate(placeBidUpdate, { args: [{ memberId, round: 1, discountMinor: 700 }] });
    await waitForView(handle, (v) => v.bidding === null);
    const expected = resolveAuction({
      round: 1,
      seed,
      potMinor: 30_000n,
      eligibleMemberIds: [m1, m2, m3],
      bids: [m1, m2, m3].map((memberId) => ({ memberId, discountMinor: 700n })),
    });
    assert.equal((await waitForRound(handle, 1)).payout?.winnerMemberId, expected.winnerMemberId);
    await handle.executeUpdate(cancelPoolUpdate, { args: [{ reason: 'test done' }] });
    await finalView(handle);
  });
});
