// Pools on the test stack's Temporal dev server, in real time, for what the time-skipping server lacks:
// an active pool owns a Temporal Schedule (spec from its cadence, firing `poolRoundTrigger`, overlap
// SKIP) that pauses and resumes with the pool, runs a round when triggered, and is deleted when the
// pool completes or is cancelled; and the pool is found by visibility queries on our search
// attributes, through the SDK and through the real `temporal` CLI.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleDescription } from '@temporalio/client';
import { ROUND_TRIGGER_WORKFLOW } from '../activities/pools/schedules';
import { scheduleJitterMs } from '../temporal-config/schedule-spec';
import { workflowIds } from '../temporal-config/workflow-ids';
import { cancelPoolUpdate, pausePoolUpdate, poolStateQuery, resumePoolUpdate } from '../workflows/pools/pool';
import { startDevPoolHarness, type DevPoolHarness } from './support/dev-pool-harness';
import { eventually } from './support/eventually';
import { temporalCliPath } from './support/own-dev-server';
import { activate, joinAll, waitForView } from './support/pool-harness';

const run = promisify(execFile);

/** Two members, rounds that finish at once (no grace period, cards that succeed), a monthly calendar. */
const quickPool = {
  kind: 'rotating',
  name: 'Schedule test pool',
  currency: 'usd',
  cadence: { type: 'monthly', dayOfMonth: 28, hourUtc: 3 },
  membersMin: 2,
  membersMax: 2,
  contributionMinor: 2_500,
  gracePeriodHours: 0,
} as const;

/** The IDs of the workflows a visibility query finds, through the SDK. */
async function listed(h: DevPoolHarness, query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of h.client.workflow.list({ query })) ids.push(execution.workflowId);
  return ids;
}

/** The IDs of the workflows a visibility query finds, through `temporal workflow list`. */
async function listedByCli(h: DevPoolHarness, query: string): Promise<string[]> {
  const { stdout } = await run(temporalCliPath(), ['workflow', 'list', '--address', h.address, '--namespace', 'default', '--query', query, '--output', 'json']);
  const executions = JSON.parse(stdout || '[]') as Array<{ execution: { workflowId: string } }>;
  return executions.map((e) => e.execution.workflowId);
}

describe('pool schedules and visibility on the dev server', () => {
  let h: DevPoolHarness;
  before(async () => (h = await startDevPoolHarness()));
  after(async () => h.close());

  const describeSchedule = (poolId: string) => h.client.schedule.getHandle(workflowIds.poolSchedule(poolId)).describe();
  const scheduleGone = (poolId: string) =>
    eventually(`the schedule of ${poolId} to be deleted`, async () => {
      try {
        await describeSchedule(poolId);
        return undefined;
      } catch (error) {
        if (error instanceof ScheduleNotFoundError) return true;
        throw error;
      }
    });

  test('the schedule follows the pool: created, paused, resumed, triggered, deleted on completion; visibility finds the pool', async () => {
    const members = await Promise.all([h.member(), h.member()]);
    const handle = await h.startPool(quickPool);
    const poolId = (await handle.query(poolStateQuery)).poolId;
    await joinAll(handle, members);
    await activate(handle);

    // Activation created the schedule: the cadence's calendar, at the pool's own offset into the hour
    // (schedule jitter), firing the round trigger on our queue.
    const created: ScheduleDescription = await describeSchedule(poolId);
    const calendar = created.spec.calendars?.[0];
    const jitterS = scheduleJitterMs(poolId) / 1_000;
    const only = (value: number) => [{ start: value, end: value, step: 1 }];
    assert.deepEqual(
      { dayOfMonth: calendar?.dayOfMonth, hour: calendar?.hour, minute: calendar?.minute, second: calendar?.second },
      { dayOfMonth: only(28), hour: only(3), minute: only(Math.floor(jitterS / 60)), second: only(jitterS % 60) },
    );
    assert.equal(created.action.type, 'startWorkflow');
    assert.equal(created.action.type === 'startWorkflow' && created.action.workflowType, ROUND_TRIGGER_WORKFLOW);
    assert.equal(created.action.type === 'startWorkflow' && created.action.taskQueue, h.taskQueue);
    assert.equal(created.policies.overlap, ScheduleOverlapPolicy.SKIP);
    assert.equal(created.state.paused, false);

    // Visibility: the SDK and the CLI both find the active pool by our search attributes.
    const activeQuery = `PoolStatus='active' AND PoolId='${poolId}'`;
    const poolWorkflowId = workflowIds.pool(poolId);
    await eventually('the SDK to list the active pool', async () => ((await listed(h, activeQuery)).includes(poolWorkflowId) ? true : undefined));
    assert.deepEqual(await listed(h, activeQuery), [poolWorkflowId]);
    await eventually('the CLI to list the active pool', async () => ((await listedByCli(h, activeQuery)).includes(poolWorkflowId) ? true : undefined));
    assert.deepEqual(await listedByCli(h, activeQuery), [poolWorkflowId]);
    assert.deepEqual(await listed(h, `PoolManager='manager-1' AND PoolKind='rotating' AND PoolId='${poolId}' AND PoolRound=0`), [poolWorkflowId]);

    // Pausing the pool pauses its schedule, with the reason as the note; resuming unpauses it.
    await handle.executeUpdate(pausePoolUpdate, { args: [{ reason: 'members asked for a holiday' }] });
    const paused = await describeSchedule(poolId);
    assert.equal(paused.state.paused, true);
    assert.equal(paused.state.note, 'members asked for a holiday');
    await eventually('the SDK to list the paused pool', async () =>
      (await listed(h, `PoolStatus='paused' AND PoolId='${poolId}'`)).length === 1 ? true : undefined,
    );
    await handle.executeUpdate(resumePoolUpdate, { args: [] });
    const resumed = await describeSchedule(poolId);
    assert.equal(resumed.state.paused, false);
    assert.equal(resumed.state.note, 'resumed through the API');

    // "Trigger now" runs a round: its trigger workflow signals the pool, which charges each member once.
    await h.client.schedule.getHandle(workflowIds.poolSchedule(poolId)).trigger();
    const first = await h.roundResult(poolId, 1);
    assert.deepEqual(
      first.members.map((m) => m.outcome),
      ['paid', 'paid'],
    );
    assert.equal(first.payout?.winnerMemberId, members[0]);
    const intents = await h.kit.control.objects({ type: 'payment_intent', secretKey: h.kit.secretKey });
    assert.deepEqual(
      intents.map((pi) => (pi.object as { metadata: Record<string, string> }).metadata.member_id).sort(),
      [...members].sort(),
      'one PaymentIntent per member',
    );
    const afterFirst = await waitForView(handle, (v) => v.roundsCompleted === 1 && v.roundInProgress === null);
    assert.equal(afterFirst.status, 'active');
    const triggered = await describeSchedule(poolId);
    assert.equal(triggered.info.numActionsTaken, 1, 'the trigger counts as one action of the schedule');
    assert.equal(triggered.info.recentActions[0]?.action.workflow.workflowId.startsWith(workflowIds.roundTrigger(poolId)), true);
    await eventually('visibility to show round 1 done', async () =>
      (await listed(h, `PoolId='${poolId}' AND PoolRound=1 AND PoolStatus='active'`)).includes(poolWorkflowId) ? true : undefined,
    );

    // The second round pays the last member: the pool completes and deletes its schedule.
    await h.client.schedule.getHandle(workflowIds.poolSchedule(poolId)).trigger();
    const second = await h.roundResult(poolId, 2);
    assert.equal(second.payout?.winnerMemberId, members[1]);
    const final = await handle.result();
    assert.equal(final.status, 'completed');
    assert.equal(final.roundsCompleted, 2);
    await scheduleGone(poolId);
    await eventually('visibility to show the pool completed', async () =>
      (await listed(h, `PoolStatus='completed' AND PoolId='${poolId}'`)).includes(poolWorkflowId) ? true : undefined,
    );
    assert.deepEqual(await listed(h, activeQuery), [], 'no longer found as active');
    assert.deepEqual(await h.ledgerViolations(poolId), []);
  });

  test('cancelling an active pool deletes its schedule', async () => {
    const members = await Promise.all([h.member(), h.member()]);
    const handle = await h.startPool(quickPool);
    const poolId = (await handle.query(poolStateQuery)).poolId;
    await joinAll(handle, members);
    await activate(handle);
    assert.equal((await describeSchedule(poolId)).state.paused, false);

    await handle.executeUpdate(cancelPoolUpdate, { args: [{ reason: 'the group disbanded' }] });
    const final = await handle.result();
    assert.equal(final.status, 'cancelled');
    await scheduleGone(poolId);
    await eventually('visibility to show the pool cancelled', async () =>
      (await listedByCli(h, `PoolStatus='cancelled' AND PoolId='${poolId}'`)).includes(workflowIds.pool(poolId)) ? true : undefined,
    );
  });
});
