// The pool's update validators on the time-skipping server: a join refused for a full pool, a duplicate,
// a pool in the wrong state or a malformed request fails with a stable ApplicationFailure type, and a
// refused update changes nothing — not the pool's view, not its history.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import proto from '@temporalio/proto';
import { activate, finalView, joinAll, rotatingPool, startPoolHarness, waitForView, type PoolHarness } from '../test/support/pool-harness';
import {
  activatePoolUpdate,
  cancelPoolUpdate,
  distributeUpdate,
  joinPoolUpdate,
  leavePoolUpdate,
  placeBidUpdate,
  poolStateQuery,
  PoolRejection,
  replaceMemberUpdate,
  resumePoolUpdate,
  type poolWorkflow,
} from './pools/pool';

type PoolHandle = WorkflowHandle<typeof poolWorkflow>;
// @temporalio/proto is CommonJS: its namespaces come through the default export.
const EventType = proto.temporal.api.enums.v1.EventType;
type Rejection = (typeof PoolRejection)[keyof typeof PoolRejection];
const WORKFLOW_TASK_EVENTS = new Set(['EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', 'EVENT_TYPE_WORKFLOW_TASK_STARTED', 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED']);

describe('pool update validation', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness()));
  after(async () => h.close());

  /** Runs an update that must be refused with `type`, and checks that the pool is exactly as before. */
  const refused = async (handle: PoolHandle, type: Rejection, update: () => Promise<unknown>) => {
    const viewBefore = await handle.query(poolStateQuery);
    const eventsBefore = (await handle.fetchHistory()).events!.length;
    await assert.rejects(update(), (error) => {
      assert.ok(error instanceof WorkflowUpdateFailedError, `expected WorkflowUpdateFailedError, got ${String(error)}`);
      assert.ok(error.cause instanceof ApplicationFailure);
      assert.equal(error.cause.type, type, error.cause.message);
      return true;
    });
    assert.deepEqual(await handle.query(poolStateQuery), viewBefore, 'the refused update changed nothing');
    // The real server drops the speculative workflow task of a refused update; the time-skipping server
    // keeps the task's events. Either way no update is accepted and the workflow does nothing else.
    const added = (await handle.fetchHistory()).events!.slice(eventsBefore).map((event) => EventType[event.eventType!]);
    assert.deepEqual(
      added.filter((type) => !WORKFLOW_TASK_EVENTS.has(type!)),
      [],
      'a refused update leaves no trace in the history',
    );
  };

  /** A started pool, once it has opened for members (it is a draft until its accounts exist). */
  const openPool = async (config: Parameters<PoolHarness['startPool']>[0]) => {
    const handle = await h.startPool(config);
    await waitForView(handle, (v) => v.status === 'open');
    return handle;
  };

  const join = (handle: PoolHandle, request: Record<string, unknown>) => () =>
    handle.executeUpdate(joinPoolUpdate, { args: [request as { memberId: string }] });

  test('joins: malformed, duplicate, full, wrong state', async () => {
    // Validation happens before any Stripe call, so members need no saved cards until the pool runs.
    const handle = await openPool(rotatingPool(3, { membersMin: 2 }));
    await joinAll(handle, ['ada', 'bo']);

    await refused(handle, PoolRejection.invalidRequest, join(handle, { memberId: 'not a valid id!' }));
    await refused(handle, PoolRejection.invalidRequest, join(handle, { memberId: 'cy', commitmentMinor: '5000' }));
    await refused(handle, PoolRejection.invalidRequest, join(handle, { memberId: 'cy', role: 'admin' }));
    await refused(handle, PoolRejection.alreadyMember, join(handle, { memberId: 'ada' }));

    // A join answers with the new member's row only; the whole pool is the query.
    const joined = await handle.executeUpdate(joinPoolUpdate, { args: [{ memberId: 'cy' }] });
    assert.deepEqual(
      joined.members.map((m) => [m.memberId, m.joinSeq, m.status]),
      [['cy', 3, 'active']],
    );
    assert.deepEqual(
      (await handle.query(poolStateQuery)).members.map((m) => m.memberId),
      ['ada', 'bo', 'cy'],
    );
    await refused(handle, PoolRejection.full, join(handle, { memberId: 'dee' }));
    // Leaving while the pool recruits frees a place again.
    await handle.executeUpdate(leavePoolUpdate, { args: [{ memberId: 'cy' }] });
    await refused(handle, PoolRejection.notMember, () => handle.executeUpdate(leavePoolUpdate, { args: [{ memberId: 'cy' }] }));

    await handle.executeUpdate(cancelPoolUpdate, { args: [{ reason: 'never started' }] });
    await finalView(handle);
  });

  test('an active pool refuses joins, a second activation, resume, bids, distributions and unknown members', async () => {
    const members = await Promise.all([h.member(), h.member()]);
    const handle = await openPool(rotatingPool(3, { membersMin: 2 }));
    await refused(handle, PoolRejection.invalidState, () => handle.executeUpdate(activatePoolUpdate, { args: [] }));
    await joinAll(handle, members);
    await activate(handle);

    await refused(handle, PoolRejection.invalidState, join(handle, { memberId: 'late-comer' }));
    await refused(handle, PoolRejection.invalidState, () => handle.executeUpdate(activatePoolUpdate, { args: [] }));
    await refused(handle, PoolRejection.invalidState, () => handle.executeUpdate(resumePoolUpdate, { args: [] }));
    await refused(handle, PoolRejection.invalidState, () =>
      handle.executeUpdate(placeBidUpdate, { args: [{ memberId: members[0]!, round: 1, discountMinor: 100 }] }),
    );
    await refused(handle, PoolRejection.invalidState, () => handle.executeUpdate(distributeUpdate, { args: [{ amountMinor: '100' }] }));
    await refused(handle, PoolRejection.invalidState, () => handle.executeUpdate(leavePoolUpdate, { args: [{ memberId: members[0]! }] }));
    await refused(handle, PoolRejection.notMember, () =>
      handle.executeUpdate(replaceMemberUpdate, { args: [{ outgoingMemberId: 'stranger', incomingMemberId: 'newcomer' }] }),
    );
    await refused(handle, PoolRejection.alreadyMember, () =>
      handle.executeUpdate(replaceMemberUpdate, { args: [{ outgoingMemberId: members[0]!, incomingMemberId: members[1]! }] }),
    );

    await handle.executeUpdate(cancelPoolUpdate, { args: [{}] });
    assert.equal((await finalView(handle)).status, 'cancelled');
    assert.equal(await h.scheduleState((await handle.query(poolStateQuery)).poolId), 'missing');
  });

  test('an investment pool needs a commitment from each member and at least membersMin members to start', async () => {
    const handle = await openPool({
      kind: 'investment',
      name: 'Small fund',
      currency: 'eur',
      cadence: { type: 'interval', every: 4, unit: 'weeks' },
      membersMin: 2,
      membersMax: 5,
    });
    await refused(handle, PoolRejection.invalidRequest, join(handle, { memberId: 'ines' }));
    await refused(handle, PoolRejection.invalidRequest, join(handle, { memberId: 'ines', commitmentMinor: '0' }));
    await refused(handle, PoolRejection.invalidRequest, join(handle, { memberId: 'ines', commitmentMinor: '12.50' }));
    await handle.executeUpdate(joinPoolUpdate, { args: [{ memberId: 'ines', commitmentMinor: '500000' }] });
    await refused(handle, PoolRejection.invalidState, () => handle.executeUpdate(activatePoolUpdate, { args: [] }));
    await handle.executeUpdate(cancelPoolUpdate, { args: [{}] });
    await finalView(handle);
  });
});
