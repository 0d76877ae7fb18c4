// A pools worker killed (SIGKILL) in the middle of a round, while its charges are in flight at Stripe:
// Stripe makes the charges nobody hears about, a new worker process takes the round over once the
// activities' heartbeats stop, and in the end each contribution key made exactly one PaymentIntent, the payout
// key one transfer, and the ledger holds one contribution per member and balances.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { History } from '@temporalio/common/lib/proto-utils';
import type { PoolConfigInput } from '../domain/pools/pool-config';
import { workflowIds } from '../temporal-config/workflow-ids';
import { poolStateQuery } from '../workflows/pools/pool';
import { startDevPoolHarness, type DevPoolHarness } from './support/dev-pool-harness';
import { eventually } from './support/eventually';
import { activate, joinAll, waitForView } from './support/pool-harness';
import { removeSharedBundle, startWorkerProcess, type TestProcess } from './support/worker-process';
import { uniqueId } from './support/env';

const MEMBERS = 4;
/** Long enough to kill the worker while Stripe holds the charges, short against the activity timeout. */
const CHARGE_HOLD_MS = 15_000;
/** The round starts (trigger, signal, child workflow) and its charges reach Stripe within this. */
const CHARGES_SENT_TIMEOUT_MS = 30_000;
/** How long the round may take after the kill: attempts lost with the worker are retried after STRIPE_ACTIVITY's heartbeat timeout. */
const ROUND_AFTER_CRASH_TIMEOUT_MS = 150_000;
/**
 * The lost charges are retried once their heartbeats stop (8 s) rather than after the 45 s
 * start-to-close timeout: the round ends well before the kill plus 45 s.
 */
const RECOVERY_AFTER_KILL_MAX_MS = 40_000;

const pool: PoolConfigInput = {
  kind: 'rotating',
  name: 'Crash test pool',
  currency: 'usd',
  cadence: { type: 'monthly', dayOfMonth: 28, hourUtc: 3 },
  membersMin: MEMBERS,
  membersMax: MEMBERS,
  contributionMinor: 5_000,
  gracePeriodHours: 0,
};

describe('a pools worker killed in the middle of a round', () => {
  let h: DevPoolHarness;
  const workers: TestProcess[] = [];

  before(async () => (h = await startDevPoolHarness({ worker: false })));
  after(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    await h?.close();
    await removeSharedBundle();
  });

  const startWorker = async () => {
    const worker = await startWorkerProcess({
      TEMPORAL_ADDRESS: h.address,
      POOLS_TASK_QUEUE: h.taskQueue,
      STRIPE_API_URL: h.kit.sandbox.url,
      STRIPE_SECRET_KEY: h.kit.secretKey,
      REDIS_KEY_PREFIX: `${uniqueId('crash')}:`,
    });
    workers.push(worker);
    return worker;
  };

  test('charges in flight are neither lost nor made twice; the payout is made once', { timeout: 240_000 }, async () => {
    const members = await Promise.all(Array.from({ length: MEMBERS }, () => h.member()));
    const first = await startWorker();
    const handle = await h.startPool(pool);
    const poolId = (await handle.query(poolStateQuery)).poolId;
    await joinAll(handle, members);
    await activate(handle);

    // Stripe holds every charge after claiming its idempotency key and before making it.
    await h.kit.control.addFault({
      kind: 'latency',
      method: 'POST',
      pathPrefix: '/v1/payment_intents',
      secretKey: h.kit.secretKey,
      times: MEMBERS,
      holdMs: CHARGE_HOLD_MS,
    });
    await h.client.schedule.getHandle(workflowIds.poolSchedule(poolId)).trigger();
    const held = () => h.kit.control.requests({ method: 'POST', pathPrefix: '/v1/payment_intents', secretKey: h.kit.secretKey });
    await eventually(
      'every charge to be held at Stripe',
      async () => ((await held()).filter((r) => r.fault?.kind === 'latency' && r.outcome === 'running').length === MEMBERS ? true : undefined),
      CHARGES_SENT_TIMEOUT_MS,
    );

    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    assert.equal(await first.exited, 'SIGKILL');
    const heldAtKill = (await held()).filter((r) => r.fault?.kind === 'latency');
    assert.ok(
      heldAtKill.some((r) => r.outcome === 'running'),
      'the worker died while Stripe still held its charges',
    );
    // Stripe makes the charges all the same; nobody is left to hear the answers.
    await eventually('the held charges to be made', async () => ((await held()).every((r) => r.outcome !== 'running') ? true : undefined), CHARGE_HOLD_MS * 2);
    assert.equal((await h.kit.control.objects({ type: 'payment_intent', secretKey: h.kit.secretKey })).length, MEMBERS);

    await startWorker();
    const result = await h.roundResult(poolId, 1, ROUND_AFTER_CRASH_TIMEOUT_MS);
    const recoveryMs = Date.now() - killedAt;
    assert.ok(recoveryMs < RECOVERY_AFTER_KILL_MAX_MS, `the round finished ${recoveryMs} ms after the kill`);
    assert.deepEqual(
      result.members.map((m) => m.outcome),
      Array(MEMBERS).fill('paid'),
    );
    const view = await waitForView(handle, (v) => v.roundsCompleted === 1 && v.roundInProgress === null);
    assert.deepEqual(
      view.members.map((m) => m.paidInMinor),
      Array(MEMBERS).fill('5000'),
    );

    // The kill landed inside the charge activity (one batch for every member): it completed on a later attempt.
    const history: History = await h.client.workflow.getHandle(workflowIds.round(poolId, 1)).fetchHistory();
    const chargeActivities = new Set(
      (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name === 'chargeContributions' ? [Number(e.eventId)] : [])),
    );
    const chargeAttempts = (history.events ?? []).flatMap((e) =>
      chargeActivities.has(Number(e.activityTaskStartedEventAttributes?.scheduledEventId)) ? [e.activityTaskStartedEventAttributes!.attempt!] : [],
    );
    assert.equal(chargeAttempts.length, 1);
    assert.ok(
      chargeAttempts.every((attempt) => attempt >= 2),
      `charge attempts ${chargeAttempts.join(', ')}`,
    );

    // Stripe: one PaymentIntent per contribution key, one transfer for the payout key, nothing else.
    const charges = (await h.kit.control.effects({ method: 'POST', pathPrefix: '/v1/payment_intents', secretKey: h.kit.secretKey })).filter((e) =>
      e.idempotencyKey.startsWith(`contribution:${poolId}:1:`),
    );
    assert.deepEqual(charges.map((e) => e.idempotencyKey).sort(), members.map((m) => `contribution:${poolId}:1:${m}:contribution`).sort());
    for (const charge of charges) assert.equal(charge.objectIds.length, 1, `${charge.idempotencyKey} made ${charge.objectIds.join(', ')}`);
    assert.equal((await h.kit.control.objects({ type: 'payment_intent', secretKey: h.kit.secretKey })).length, MEMBERS);
    const payouts = (await h.kit.control.effects({ method: 'POST', pathPrefix: '/v1/transfers', secretKey: h.kit.secretKey })).filter((e) =>
      e.idempotencyKey.startsWith(`payout:${poolId}:1:`),
    );
    assert.equal(payouts.length, 1);
    assert.equal(payouts[0]?.objectIds.length, 1);
    assert.equal((await h.kit.control.objects({ type: 'transfer', secretKey: h.kit.secretKey })).length, 1);

    // Ledger: one contribution transfer per member, one payout, and every invariant holds.
    assert.deepEqual(await h.ledgerTransferKeys('contribution', poolId), members.map((m) => `ledger:contribution:${poolId}:1:${m}`).sort());
    assert.equal((await h.ledgerTransferKeys('payout', poolId)).length, 1);
    assert.deepEqual(await h.ledgerViolations(poolId), []);
  });
});
