// What a pool run reads of a round it did not start, through the Temporal client of the test stack's dev
// server: a round that never ran and one that was terminated ended without a result; one still running
// is not read (an error Temporal retries); a round's input is read back from its history, through the
// payload codec. A completed round's result: test/pool-round-report.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client, Connection } from '@temporalio/client';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { devServerClient, uniqueId } from '../../test/support/env';
import { roundInputRows } from '../../domain/pools/round-input';
import { GIVEN_ROUND_SHAPE, type RoundInput } from '../../domain/pools/round-types';
import { createRoundOutcomeActivities } from './round-outcome';

let client: Client;
let connection: Connection;
before(async () => ({ client, connection } = await devServerClient()));
after(async () => connection?.close());

describe('closedRoundOutcome', () => {
  test('a round that never ran ended without a result', async () => {
    const { closedRoundOutcome } = createRoundOutcomeActivities({ client });
    assert.deepEqual(await closedRoundOutcome({ poolId: uniqueId('pool'), round: 1 }), { ended: 'unreported', reason: 'round 1 has no workflow' });
  });

  test('a round still running is not read; once terminated, it ended without a result, and why', async () => {
    const { closedRoundOutcome } = createRoundOutcomeActivities({ client });
    const poolId = uniqueId('pool');
    // No worker polls this queue: the round stays running until it is terminated.
    const handle = await client.workflow.start('contributionRound', { taskQueue: uniqueId('no-worker'), workflowId: workflowIds.round(poolId, 2), args: [{}] });
    try {
      await assert.rejects(closedRoundOutcome({ poolId, round: 2 }), /round 2 of pool .* is still running/);
    } finally {
      await handle.terminate('operations stopped the round');
    }
    const outcome = await closedRoundOutcome({ poolId, round: 2 });
    assert.equal(outcome.ended, 'unreported');
    assert.match(outcome.ended === 'unreported' ? outcome.reason : '', /^round 2 terminated: operations stopped the round$/);
  });
});

describe('startedRoundInput', () => {
  test('reads the input a round was started with, or null for a round that never ran', async () => {
    const { startedRoundInput } = createRoundOutcomeActivities({ client });
    const poolId = uniqueId('pool');
    assert.equal(await startedRoundInput({ poolId, round: 1 }), null);
    const input: RoundInput = {
      poolId,
      round: 1,
      currency: 'usd',
      dues: [{ memberId: 'ada', amountMinor: '1000', arrearsMinor: '0' }],
      gracePeriodHours: 0,
      lateFeeMinor: '0',
      dunningRetryHours: [],
      defaultPolicy: 'suspend',
      payout: { kind: 'order', candidates: ['ada'], members: ['ada'], platformFeeBps: 0 },
      shape: GIVEN_ROUND_SHAPE,
    };
    const start = roundInputRows(input);
    // No worker polls this queue: only the round's start is recorded (encrypted by the codec).
    const handle = await client.workflow.start('contributionRound', {
      taskQueue: uniqueId('no-worker'),
      workflowId: workflowIds.round(poolId, 1),
      args: [start],
    });
    try {
      assert.deepEqual(await startedRoundInput({ poolId, round: 1 }), start);
    } finally {
      await handle.terminate('test done');
    }
  });
});
