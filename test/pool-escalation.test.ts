// A round that ends without reporting to its pool — failed, terminated or timed out — on the dev server:
// the pool notices at once, shows the escalation to operations (its view, its Web UI details and the
// PoolEscalation search attribute), and the retryRound signal runs the round again under the same
// keys, so nobody is charged twice and the pool goes on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PoolConfigInput } from '../domain/pools/pool-config';
import { workflowIds } from '../temporal-config/workflow-ids';
import { poolStateQuery, retryRoundSignal, roundDueSignal } from '../workflows/pools/pool';
import { startDevPoolHarness, type DevPoolHarness } from './support/dev-pool-harness';
import { eventually } from './support/eventually';
import { activate, joinAll, waitForView } from './support/pool-harness';

const MEMBERS = 3;
/** Stripe holds the charges this long, so that the round dies while they are in flight. */
const CHARGE_HOLD_MS = 3_000;
const ESCALATION_SEEN_MS = 20_000;

const pool: PoolConfigInput = {
  kind: 'rotating',
  name: 'Escalation pool',
  currency: 'usd',
  cadence: { type: 'monthly', dayOfMonth: 28, hourUtc: 3 },
  membersMin: MEMBERS,
  membersMax: MEMBERS,
  contributionMinor: 5_000,
  gracePeriodHours: 0,
};

describe('a round that ends without reporting', () => {
  let h: DevPoolHarness;
  before(async () => (h = await startDevPoolHarness()));
  after(async () => h.close());

  test('is escalated to operations by its pool and runs again on retryRound, charging nobody twice', { timeout: 120_000 }, async () => {
    const members = await Promise.all(Array.from({ length: MEMBERS }, () => h.member()));
    const handle = await h.startPool(pool);
    await waitForView(handle, (v) => v.status === 'open');
    await joinAll(handle, members);
    await activate(handle);
    const poolId = (await handle.query(poolStateQuery)).poolId;

    await h.kit.control.addFault({
      kind: 'latency',
      method: 'POST',
      pathPrefix: '/v1/payment_intents',
      secretKey: h.kit.secretKey,
      times: MEMBERS,
      holdMs: CHARGE_HOLD_MS,
    });
    await handle.signal(roundDueSignal);
    await eventually(
      'the charges to reach Stripe',
      async () =>
        (await h.kit.control.requests({ method: 'POST', pathPrefix: '/v1/payment_intents', secretKey: h.kit.secretKey })).length >= MEMBERS ? true : undefined,
      30_000,
    );
    await h.client.workflow.getHandle(workflowIds.round(poolId, 1)).terminate('chaos: the round died');

    const escalated = await waitForView(handle, (v) => v.roundEscalation?.round === 1, ESCALATION_SEEN_MS);
    assert.match(escalated.roundEscalation!.reason, /terminated/i);
    assert.equal(escalated.roundInProgress, 1, 'the round stays open for operations');
    const { currentDetails } = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    assert.match(currentDetails, /Needs operations.*retryRound/s);
    await eventually(
      'the escalation to be searchable',
      async () => {
        const { count } = await h.client.workflow.count(`WorkflowId = '${workflowIds.pool(poolId)}' AND PoolEscalation = 'round-1-failed'`);
        return count === 1 ? true : undefined;
      },
      ESCALATION_SEEN_MS,
    );

    await handle.signal(retryRoundSignal);
    await waitForView(handle, (v) => !v.roundEscalation, ESCALATION_SEEN_MS);
    const result = await h.roundResult(poolId, 1, 60_000);
    assert.deepEqual(
      result.members.map((m) => m.outcome),
      Array(MEMBERS).fill('paid'),
    );
    const after = await waitForView(handle, (v) => v.roundsCompleted === 1 && v.roundInProgress === null);
    assert.equal(after.roundEscalation, undefined);

    // One PaymentIntent per member: the second run found the first run's charges under the same keys.
    const charges = (await h.kit.control.effects({ method: 'POST', pathPrefix: '/v1/payment_intents', secretKey: h.kit.secretKey })).filter((e) =>
      e.idempotencyKey.startsWith(`contribution:${poolId}:1:`),
    );
    assert.equal(charges.length, MEMBERS);
    for (const charge of charges) assert.equal(charge.objectIds.length, 1, `${charge.idempotencyKey} made ${charge.objectIds.join(', ')}`);
    assert.equal((await h.kit.control.objects({ type: 'transfer', secretKey: h.kit.secretKey })).length, 1);
    assert.deepEqual(await h.ledgerViolations(poolId), []);
  });
});
