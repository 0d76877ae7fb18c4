// Races between a pool's update handlers on the time-skipping server: updates that arrive together are
// validated together, so the state a handler changes must be re-checked once the handler has awaited.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { rotatingPool, startPoolHarness, waitForView, type PoolHarness } from '../test/support/pool-harness';
import { joinPoolUpdate, poolStateQuery, PoolRejection } from './pools/pool';

/** How many identical joins race (the chaos run that found the duplicates sent five). */
const RACING_JOINS = 5;

describe('pool update races', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness()));
  after(async () => h.close());

  test('concurrent joins of the same member list them once; the others are refused as duplicates', async () => {
    const handle = await h.startPool(rotatingPool(3));
    await waitForView(handle, (v) => v.status === 'open');
    const memberId = await h.member();
    const outcomes = await Promise.allSettled(
      Array.from({ length: RACING_JOINS }, (_, i) => handle.executeUpdate(joinPoolUpdate, { args: [{ memberId }], updateId: `join-race-${i}` })),
    );
    const view = await handle.query(poolStateQuery);
    assert.equal(view.members.filter((m) => m.memberId === memberId).length, 1, `listed once: ${JSON.stringify(view.members)}`);
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, 'exactly one join succeeds');
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') continue;
      const error = outcome.reason as unknown;
      assert.ok(error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure, String(error));
      assert.equal(error.cause.type, PoolRejection.alreadyMember);
    }
  });

  test('concurrent joins of different members never overfill the pool', async () => {
    const handle = await h.startPool(rotatingPool(2, { membersMin: 2, membersMax: 2 }));
    await waitForView(handle, (v) => v.status === 'open');
    const members = await Promise.all([h.member(), h.member(), h.member(), h.member()]);
    const outcomes = await Promise.allSettled(members.map((memberId) => handle.executeUpdate(joinPoolUpdate, { args: [{ memberId }] })));
    const view = await handle.query(poolStateQuery);
    assert.equal(view.members.length, 2, `never more than membersMax: ${JSON.stringify(view.members)}`);
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 2);
  });
});
