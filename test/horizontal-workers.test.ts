// Horizontal scaling: two worker processes started alike on the same task queue, with nothing else
// configured, share the work of several pools' rounds. Each history event that starts a task names the
// worker that took it, so the test counts the activities and workflow tasks each process ran.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { History } from '@temporalio/common/lib/proto-utils';
import type { PoolConfigInput } from '../domain/pools/pool-config';
import { workflowIds } from '../temporal-config/workflow-ids';
import { poolStateQuery } from '../workflows/pools/pool';
import { startDevPoolHarness, type DevPoolHarness } from './support/dev-pool-harness';
import { activate, joinAll } from './support/pool-harness';
import { removeSharedBundle, startWorkerProcess, type TestProcess } from './support/worker-process';
import { uniqueId } from './support/env';

const WORKERS = 2;
const POOLS = 8;
const MEMBERS = 4;
/** The marker the SDK records for each local activity's result. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
/**
 * Each worker must take at least this share of the activities, remote and local: an even split gives
 * each a half. A round's charges are one remote activity and its ledger steps local ones, so remote
 * activities alone (one per round) are too few to judge a split by.
 */
const SHARE_MIN = 0.15;

const pool: PoolConfigInput = {
  kind: 'rotating',
  name: 'Horizontal pool',
  currency: 'usd',
  cadence: { type: 'monthly', dayOfMonth: 1, hourUtc: 9 },
  membersMin: MEMBERS,
  membersMax: MEMBERS,
  contributionMinor: 1_000,
  gracePeriodHours: 0,
};

describe('worker processes on one task queue', () => {
  let h: DevPoolHarness;
  const workers: TestProcess[] = [];

  before(async () => (h = await startDevPoolHarness({ worker: false })));
  after(async () => {
    for (const worker of workers) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exited));
    await h?.close();
    await removeSharedBundle();
  });

  test('share the activities and workflow tasks of several pools with no configuration of their own', { timeout: 240_000 }, async () => {
    // The same environment for both: the task queue, the stack's services, one Redis prefix.
    const prefix = `${uniqueId('horizontal')}:`;
    const env = {
      TEMPORAL_ADDRESS: h.address,
      POOLS_TASK_QUEUE: h.taskQueue,
      STRIPE_API_URL: h.kit.sandbox.url,
      STRIPE_SECRET_KEY: h.kit.secretKey,
      REDIS_KEY_PREFIX: prefix,
    };
    workers.push(...(await Promise.all(Array.from({ length: WORKERS }, () => startWorkerProcess(env)))));

    const poolIds = await Promise.all(
      Array.from({ length: POOLS }, async () => {
        const members = await Promise.all(Array.from({ length: MEMBERS }, () => h.member()));
        const handle = await h.startPool(pool);
        const poolId = (await handle.query(poolStateQuery)).poolId;
        await joinAll(handle, members);
        await activate(handle);
        await h.client.schedule.getHandle(workflowIds.poolSchedule(poolId)).trigger();
        return poolId;
      }),
    );
    for (const poolId of poolIds) {
      const result = await h.roundResult(poolId, 1, 180_000);
      assert.deepEqual(
        result.members.map((m) => m.outcome),
        Array(MEMBERS).fill('paid'),
      );
    }

    // Who ran what: the worker identity (pid@host by default) on every started task.
    const activitiesBy = new Map<string, number>();
    const workflowTasksBy = new Map<string, number>();
    const count = (map: Map<string, number>, identity: string | null | undefined) => map.set(identity ?? '?', (map.get(identity ?? '?') ?? 0) + 1);
    for (const poolId of poolIds) {
      for (const id of [workflowIds.pool(poolId), workflowIds.round(poolId, 1)]) {
        const history: History = await h.client.workflow.getHandle(id).fetchHistory();
        // A local activity runs inside the workflow task whose completion records its marker, so it is
        // counted for the worker that started the latest workflow task before the marker.
        let taskWorker: string | null | undefined;
        for (const event of history.events ?? []) {
          if (event.activityTaskStartedEventAttributes) count(activitiesBy, event.activityTaskStartedEventAttributes.identity);
          if (event.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER && taskWorker) count(activitiesBy, taskWorker);
          if (event.workflowTaskStartedEventAttributes) taskWorker = event.workflowTaskStartedEventAttributes.identity;
          // The server records a few workflow tasks without an identity (those it writes to the history
          // after the fact, such as the ones that carried an update); they are not counted.
          if (event.workflowTaskStartedEventAttributes?.identity) count(workflowTasksBy, event.workflowTaskStartedEventAttributes.identity);
        }
      }
    }
    const identities = workers.map((worker) => `${worker.child.pid}@`);
    const share = (map: Map<string, number>, pidPrefix: string) =>
      [...map].filter(([identity]) => identity.startsWith(pidPrefix)).reduce((sum, [, n]) => sum + n, 0) / [...map.values()].reduce((a, b) => a + b, 0);
    const report = JSON.stringify({ activities: Object.fromEntries(activitiesBy), workflowTasks: Object.fromEntries(workflowTasksBy) });
    assert.ok(
      [...activitiesBy.keys(), ...workflowTasksBy.keys()].every((identity) => identities.some((p) => identity.startsWith(p))),
      `only our workers ran tasks: ${report}`,
    );
    for (const pidPrefix of identities) {
      assert.ok(share(activitiesBy, pidPrefix) >= SHARE_MIN, `worker ${pidPrefix} ran too few activities: ${report}`);
      assert.ok(share(workflowTasksBy, pidPrefix) > 0, `worker ${pidPrefix} ran no workflow task: ${report}`);
    }
    for (const poolId of poolIds) assert.deepEqual(await h.ledgerViolations(poolId), []);
  });
});
