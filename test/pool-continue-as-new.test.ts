// Continue-as-new in the middle of a round, on a dev server of the test's own whose continue-as-new
// suggestion comes after 40 events: a round is held open by a charge that is still processing, the pool
// workflow continues as new while it waits, and when Stripe's webhook settles the charge (through the
// sandbox, the real webhook router and a signal) the round's result reaches the pool's newest run and
// is applied exactly once, with members, pot, rounds and version intact.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeFromPayloadsAtIndex, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import type { History } from '@temporalio/common/lib/proto-utils';
import { executePoolUpdate } from '../api/pools/pool-commands';
import { restoreState } from '../domain/pools/state';
import { createLogger } from '../observability/log';
import { TEST_WEBHOOK_SECRET } from './support/payments-kit';
import { createWebhookRouter } from '../payments/webhook-router';
import { poolflowDataConverter } from '../temporal-config/data-converter';
import { workflowIds } from '../temporal-config/workflow-ids';
import { pausePoolUpdate, poolStateQuery, roundDueSignal, resumePoolUpdate, type PoolState, type PoolWorkflowInput } from '../workflows/pools/pool';
import { roundProgressQuery } from '../workflows/pools/round';
import type { PoolConfigInput } from '../domain/pools/pool-config';
import { startDevPoolHarness, type DevPoolHarness } from './support/dev-pool-harness';
import { eventually } from './support/eventually';
import { startOwnDevServer, type OwnDevServer } from './support/own-dev-server';
import { activate, joinAll, waitForView } from './support/pool-harness';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';

/** The history length at which this server suggests continuing as new (Temporal's default is 4,096). */
const SUGGEST_CONTINUE_AS_NEW_EVENTS = 40;
/** Signals sent to lengthen the pool's history while the round is held; a few dozen events suffice. */
const FILLER_SIGNALS_MAX = 60;

const pool: PoolConfigInput = {
  kind: 'rotating',
  name: 'Continue-as-new pool',
  currency: 'usd',
  cadence: { type: 'monthly', dayOfMonth: 28, hourUtc: 3 },
  membersMin: 4,
  membersMax: 4,
  contributionMinor: 1_000,
  // The round waits up to an hour for charges still processing; nothing is retried within it.
  gracePeriodHours: 1,
  dunningRetryHours: [],
};

/** One run of the pool workflow and, when it continued as new, the state it carried over. */
interface PoolRun {
  runId: string;
  carried: PoolState | null;
  nextRunId: string | null;
}

describe('pool workflow continues as new in the middle of a round', () => {
  let server: OwnDevServer;
  let h: DevPoolHarness;
  let receiver: WebhookReceiver;

  before(async () => {
    server = await startOwnDevServer({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_CONTINUE_AS_NEW_EVENTS } });
    // A processing charge settles only when the test says so.
    h = await startDevPoolHarness({ address: server.address, sandboxSettings: { settlementDelayMs: 3_600_000 } });
    const router = createWebhookRouter({ db: h.db, temporal: h.client, stripe: h.kit.stripe, log: createLogger('continue-as-new-test') });
    receiver = await startWebhookReceiver({ stripe: h.kit.stripe, secret: TEST_WEBHOOK_SECRET, router });
    await h.kit.control.addWebhookEndpoint({
      url: receiver.url,
      secretKey: h.kit.secretKey,
      eventTypes: ['payment_intent.succeeded', 'payment_intent.payment_failed'],
    });
  });
  after(async () => {
    await h?.close();
    await receiver?.close();
    await server?.stop();
  });

  /** Every run of the pool workflow from its first, following each continue-as-new to the next. */
  async function poolRuns(poolId: string, firstRunId: string): Promise<PoolRun[]> {
    const runs: PoolRun[] = [];
    for (let runId: string | null = firstRunId; runId;) {
      const history: History = await h.client.workflow.getHandle(workflowIds.pool(poolId), runId).fetchHistory();
      const last = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
      // Stored payloads are encrypted: read them through the shared data converter.
      const input = last?.input?.payloads?.[0]
        ? await decodeFromPayloadsAtIndex<PoolWorkflowInput>(loadDataConverter(poolflowDataConverter()), 0, last.input.payloads)
        : null;
      const carried = input?.carriedCompact ? restoreState(input.carriedCompact) : (input?.carried ?? null);
      runs.push({ runId, carried, nextRunId: last?.newExecutionRunId ?? null });
      runId = last?.newExecutionRunId ?? null;
    }
    return runs;
  }

  test('the round held by a processing charge survives the pool continuing as new; its result is applied once', async () => {
    const members = [await h.member(), await h.member(), await h.member(), await h.member('pm_card_sandbox_processing')];
    const handle = await h.startPool(pool);
    const poolId = (await handle.query(poolStateQuery)).poolId;
    const versions: number[] = [];
    const seen = <V extends { version: number }>(view: V) => (versions.push(view.version), view);
    seen(await joinAll(handle, members));
    seen(await activate(handle));

    // The schedule's "trigger now" starts round 1; three charges succeed, the fourth stays processing.
    await h.client.schedule.getHandle(workflowIds.poolSchedule(poolId)).trigger();
    const round = h.client.workflow.getHandle(workflowIds.round(poolId, 1));
    const held = await eventually('round 1 to hold a processing charge', async () => {
      const progress = await round.query(roundProgressQuery);
      const states = progress.members.map((m) => m.state).sort();
      return states.join() === 'paid,paid,paid,processing' ? progress : undefined;
    });
    const processing = held.members.find((m) => m.state === 'processing')!;
    assert.equal(processing.memberId, members[3]);
    seen(await waitForView(handle, (v) => v.roundInProgress === 1));

    // While the round waits, the pool's history grows — a pause, firings the paused pool ignores — until
    // Temporal suggests continuing as new and the pool does so, round still under way.
    seen(await executePoolUpdate(handle, pausePoolUpdate, { args: [{ reason: 'operations look at a late payment' }] }));
    let midRound: PoolRun[] = [];
    let runsSoFar: PoolRun[] = [];
    for (let sent = 0; sent < FILLER_SIGNALS_MAX && midRound.length === 0; sent++) {
      await handle.signal(roundDueSignal);
      if (sent % 5 !== 4) continue;
      await waitForView(handle, () => true);
      runsSoFar = await poolRuns(poolId, handle.firstExecutionRunId);
      midRound = runsSoFar.filter((run) => run.carried?.roundInProgress?.round === 1);
    }
    assert.ok(midRound.length > 0, `the pool did not continue as new while round 1 was under way, after ${FILLER_SIGNALS_MAX} signals`);
    assert.ok(
      midRound.every((run) => run.carried?.roundsRequested === 0),
      'no firing is buffered while a round runs and the pool is paused',
    );
    const newest = runsSoFar.at(-1)!.runId;
    assert.equal((await handle.describe()).runId, newest, 'the newest run is the one that carries on');
    const carried = seen(await handle.query(poolStateQuery));
    assert.equal(carried.roundInProgress, 1, 'the new run still waits for round 1');
    assert.equal(carried.status, 'paused');
    seen(await executePoolUpdate(handle, resumePoolUpdate, { args: [] }));

    // Stripe settles the charge; its webhook goes through the router to the round, which finishes and
    // reports to the pool's newest run.
    const settled = await h.kit.control.settlePaymentIntent(processing.paymentIntentId!);
    assert.equal(settled.paymentIntent.status, 'succeeded');
    const result = await h.roundResult(poolId, 1);
    // An earlier run started the round, whose completion reaches only that run: the newest asked it to
    // report by signal as well, and it did.
    const roundEvents = (await round.fetchHistory()).events ?? [];
    assert.ok(roundEvents.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'reportRequested'));
    assert.equal(roundEvents.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes).length, 1);
    assert.deepEqual(
      result.members.map((m) => m.outcome),
      ['paid', 'paid', 'paid', 'paid'],
    );
    const view = seen(await waitForView(handle, (v) => v.roundsCompleted === 1 && v.roundInProgress === null));
    assert.ok((receiver.received.get('payment_intent.succeeded') ?? 0) >= 1, 'the settlement came by webhook');

    // The state is whole: every member paid once, the first received the pot, which left the pool.
    assert.equal(view.status, 'active');
    assert.deepEqual(
      view.members.map((m) => [m.memberId, m.status, m.paidInMinor, m.received]),
      [
        [members[0], 'active', '1000', true],
        [members[1], 'active', '1000', false],
        [members[2], 'active', '1000', false],
        [members[3], 'active', '1000', false],
      ],
    );
    assert.equal(view.potMinor, '0');
    assert.deepEqual(
      view.recentRounds.map((r) => [r.round, r.potMinor, r.paidCount, r.winnerMemberId]),
      [[1, '4000', 4, members[0]]],
      'applied once',
    );
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => a - b),
      `versions only grow: ${versions.join(', ')}`,
    );

    const runs = await poolRuns(poolId, handle.firstExecutionRunId);
    assert.ok(runs.length >= 2, `${runs.length} runs`);
    assert.equal(runs.at(-1)?.runId, (await handle.describe()).runId);
    assert.ok(runs.some((run) => run.runId === newest));
    const carriedVersions = runs.flatMap((run) => (run.carried ? [run.carried.version] : []));
    assert.deepEqual(
      carriedVersions,
      [...carriedVersions].sort((a, b) => a - b),
      'each run carries a version no older than the last',
    );

    // Exactly one charge per member at Stripe, one contribution in the ledger, and the books balance.
    const effects = await h.kit.control.effects({ secretKey: h.kit.secretKey, method: 'POST', pathPrefix: '/v1/payment_intents' });
    const contributionEffects = effects.filter((e) => e.idempotencyKey.startsWith(`contribution:${poolId}:1:`));
    assert.equal(contributionEffects.length, 4);
    assert.ok(contributionEffects.every((e) => e.objectIds.length === 1));
    assert.equal((await h.ledgerTransferKeys('contribution', poolId)).length, 4);
    assert.deepEqual(await h.ledgerViolations(poolId), []);

    // The search attributes came along: the pool is found as active after continuing as new (the runs it
    // continued from keep their last attributes, so only the running one is asked for).
    // The pool may hand over again meanwhile, so the run to find is the one running at each look.
    let visible = 'nothing yet';
    await eventually(
      'visibility to find the continued pool',
      async () => {
        const running = (await handle.describe()).runId;
        const found: string[] = [];
        for await (const e of h.client.workflow.list({ query: `ExecutionStatus='Running' AND PoolStatus='active' AND PoolId='${poolId}' AND PoolRound=1` }))
          found.push(e.runId);
        visible = `found ${JSON.stringify(found)} while ${running} runs`;
        return found.length === 1 && found[0] === running ? true : undefined;
      },
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message} (${visible})`);
    });
  });
});
