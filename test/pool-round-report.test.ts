// How a round's result reaches its pool (pools of the current shape), on the test stack's dev server: by
// the child's completion, with no signal and no patch marker in the round; a pool cancelled between a
// round's end and the result's application is cancelled, not failed; and a pool run that did not start
// a round and finds it closed reads its result once through the client and applies it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeFromPayloadsAtIndex, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import type { History } from '@temporalio/common/lib/proto-utils';
import type { RoundStart } from '../domain/pools/round-input';
import { roundResultOf, type RoundReport } from '../domain/pools/round-report';
import { carryState, type PoolState } from '../domain/pools/state';
import { createLogger } from '../observability/log';
import { createWebhookRouter } from '../payments/webhook-router';
import { poolflowDataConverter } from '../temporal-config/data-converter';
import { workflowIds } from '../temporal-config/workflow-ids';
import { cancelPoolUpdate, poolStateQuery, poolWorkflow, retryRoundSignal, ROUND_WATCH_FIRST_MS, type PoolWorkflowInput } from '../workflows/pools/pool';
import { roundProgressQuery } from '../workflows/pools/round';
import type { PoolConfigInput } from '../domain/pools/pool-config';
import { startDevPoolHarness, type DevPoolHarness } from './support/dev-pool-harness';
import { eventually } from './support/eventually';
import { TEST_WEBHOOK_SECRET } from './support/payments-kit';
import { activate, joinAll, waitForView } from './support/pool-harness';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';

const pool: PoolConfigInput = {
  kind: 'rotating',
  name: 'Round reports',
  currency: 'usd',
  cadence: { type: 'monthly', dayOfMonth: 28, hourUtc: 3 },
  membersMin: 3,
  membersMax: 3,
  contributionMinor: 1_000,
  gracePeriodHours: 0,
};

type HistoryEvent = NonNullable<History['events']>[number];

describe('a round reports to its pool', () => {
  let h: DevPoolHarness;
  let receiver: WebhookReceiver;

  before(async () => {
    h = await startDevPoolHarness();
    // Stripe's webhooks settle processing charges through the sandbox and the real router.
    const router = createWebhookRouter({ db: h.db, temporal: h.client, stripe: h.kit.stripe, log: createLogger('round-report-test') });
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
  });

  const events = async (workflowId: string, runId?: string): Promise<HistoryEvent[]> =>
    (await h.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  const signalsIn = (history: HistoryEvent[]) => history.flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []);
  const patchMarkers = (history: HistoryEvent[]) => history.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
  const decoded = async <T>(payloads: Parameters<typeof decodeFromPayloadsAtIndex>[2]): Promise<T> =>
    decodeFromPayloadsAtIndex<T>(loadDataConverter(poolflowDataConverter()), 0, payloads);

  async function activePool(thirdCard?: string) {
    const members = [await h.member(), await h.member(), await h.member(thirdCard)];
    const handle = await h.startPool(pool);
    const poolId = (await handle.query(poolStateQuery)).poolId;
    await joinAll(handle, members);
    await activate(handle);
    return { handle, poolId };
  }

  test('by completing: the round sends no signal and records no patch marker; the pool applies its result', async () => {
    const { handle, poolId } = await activePool();
    await h.client.schedule.getHandle(workflowIds.poolSchedule(poolId)).trigger();
    const result = await h.roundResult(poolId, 1);
    const view = await waitForView(handle, (v) => v.roundsCompleted === 1 && v.roundInProgress === null);
    assert.equal(view.recentRounds[0]?.potMinor, result.potMinor);

    const round = await events(workflowIds.round(poolId, 1));
    assert.equal(round.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes).length, 0, 'the round signals nobody');
    assert.deepEqual(patchMarkers(round), [], 'the round took its shape from its input');
    const started = round[0]!.workflowExecutionStartedEventAttributes!;
    const input = await decoded<RoundStart>(started.input!.payloads!);
    assert.equal(input.shape, 'round-2027-01');
    assert.ok('form' in input && input.form === 'rows', 'the round was given its input as rows');
    const poolEvents = await events(handle.workflowId);
    assert.ok(!signalsIn(poolEvents).includes('roundFinished'), 'no roundFinished signal reached the pool');
    const completions = poolEvents.filter((e) => e.childWorkflowExecutionCompletedEventAttributes);
    assert.equal(completions.length, 1);
    // The pool's history holds the result as rows, each member's payment left to follow from the rest.
    const report = await decoded<RoundReport>(completions[0]!.childWorkflowExecutionCompletedEventAttributes!.result!.payloads!);
    assert.ok('form' in report && report.form === 'rows');
    assert.deepEqual(roundResultOf(report), result);
  });

  test('a pool cancelled after its round has ended, before the result is applied, is cancelled with the result applied', { timeout: 120_000 }, async () => {
    const { handle, poolId } = await activePool();
    // The pool applies a finished round by projecting it into pool_rounds first: a row of the same key
    // that this transaction holds uncommitted keeps that projection waiting, and the result unapplied.
    const blocker = await h.db.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(
        `INSERT INTO pool_rounds (pool_id, round, kind, pot_minor, fee_minor, discount_minor, winner_member_id) VALUES ($1, 1, 'contribution', 0, 0, 0, NULL)`,
        [poolId],
      );
      await h.client.schedule.getHandle(workflowIds.poolSchedule(poolId)).trigger();
      await h.roundResult(poolId, 1);
      const cancelled = handle.executeUpdate(cancelPoolUpdate, { args: [{ reason: 'cancelled as the round ended' }] });
      cancelled.catch(() => {}); // Awaited below, once the projection may go on.
      await eventually(
        'the cancel to be accepted while the result waits',
        async () => ((await events(handle.workflowId)).some((e) => e.workflowExecutionUpdateAcceptedEventAttributes) ? true : undefined),
        60_000,
      );
      assert.equal((await handle.query(poolStateQuery)).roundInProgress, 1, 'the result is not applied yet');
      await blocker.query('ROLLBACK');
      const view = await cancelled;
      assert.equal(view.status, 'cancelled');
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      blocker.release();
    }
    const final = await handle.result();
    assert.equal(final.status, 'cancelled');
    assert.equal(final.roundsCompleted, 1, 'the round that ended is applied');
    assert.equal(final.recentRounds[0]?.potMinor, '3000');
    assert.deepEqual(await h.ledgerViolations(poolId), []);
  });

  /**
   * A pool whose round 1 is held by a processing charge (settlement delayed for the test), and what a
   * run that continues it needs: the state the first run had while the round was under way.
   */
  async function poolWithHeldRound() {
    const { handle, poolId } = await activePool('pm_card_sandbox_processing');
    await h.client.schedule.getHandle(workflowIds.poolSchedule(poolId)).trigger();
    const round = h.client.workflow.getHandle(workflowIds.round(poolId, 1));
    const processing = await eventually('round 1 to hold a processing charge', async () =>
      (await round.query(roundProgressQuery)).members.find((m) => m.state === 'processing'),
    );
    const view = await waitForView(handle, (v) => v.roundInProgress === 1);
    const poolStart = (await events(handle.workflowId))[0]!.workflowExecutionStartedEventAttributes!;
    const poolInput = await decoded<PoolWorkflowInput>(poolStart.input!.payloads!);
    const roundInput = await decoded<RoundStart>((await events(round.workflowId))[0]!.workflowExecutionStartedEventAttributes!.input!.payloads!);
    /** Starts the next run, carrying the state the first had while the round was under way. */
    const startNextRun = () => {
      const carried: PoolState = {
        status: view.status,
        members: view.members,
        payoutOrder: view.payoutOrder,
        roundsCompleted: view.roundsCompleted,
        roundsPlanned: view.roundsPlanned,
        nextRound: 2,
        roundInProgress: { round: 1, kind: 'contribution', input: roundInput },
        roundEscalation: null,
        finishedRound: null,
        roundsRequested: 0,
        bidding: null,
        distributionsRequested: [],
        potMinor: view.potMinor,
        recentRounds: view.recentRounds,
        version: view.version,
        payoutDraw: view.payoutDraw ?? null,
      };
      return h.client.workflow.start(poolWorkflow, {
        workflowId: handle.workflowId,
        taskQueue: h.taskQueue,
        args: [{ ...poolInput, carriedCompact: carryState(carried) }],
      });
    };
    return { handle, poolId, round, paymentIntentId: processing.paymentIntentId!, startNextRun };
  }

  /** Runs `check` with Stripe's settlement of processing charges delayed by an hour (settled by the test). */
  async function withSettlementHeld(check: () => Promise<void>) {
    const { settlementDelayMs } = await h.kit.control.settings();
    await h.kit.control.updateSettings({ settlementDelayMs: 3_600_000 });
    try {
      await check();
    } finally {
      await h.kit.control.updateSettings({ settlementDelayMs });
    }
  }

  test('a pool run that did not start the round, finding it closed, reads its result once and applies it', { timeout: 120_000 }, () =>
    withSettlementHeld(async () => {
      const { handle, poolId, round, paymentIntentId, startNextRun } = await poolWithHeldRound();
      // The run that started the round ends (as a run that continued as new does); the round, abandoned,
      // finishes unheard: asked by nobody, it completes without a signal.
      await handle.terminate('the run that started the round is gone');
      await h.kit.control.settlePaymentIntent(paymentIntentId);
      const result = await h.roundResult(poolId, 1);
      assert.equal((await round.describe()).status.name, 'COMPLETED');

      const next = await startNextRun();
      const applied = await waitForView(next, (v) => v.roundsCompleted === 1 && v.roundInProgress === null, 60_000);
      assert.deepEqual(
        applied.recentRounds.map((r) => [r.round, r.potMinor, r.winnerMemberId]),
        [[1, result.potMinor, result.payout?.winnerMemberId]],
      );
      assert.ok(applied.members.every((m) => m.paidInMinor === '1000'));
      const nextEvents = await events(next.workflowId, next.firstExecutionRunId);
      assert.equal(nextEvents.filter((e) => e.signalExternalWorkflowExecutionFailedEventAttributes).length, 1, 'the round was asked, and had closed');
      const reads = nextEvents.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'closedRoundOutcome');
      assert.equal(reads.length, 1, 'its outcome was read once');
      await next.executeUpdate(cancelPoolUpdate, { args: [{ reason: 'test done' }] });
      assert.equal((await next.result()).status, 'cancelled');
      assert.deepEqual(await h.ledgerViolations(poolId), []);
    }),
  );

  test('a round an earlier run started that closes unheard is watched for, escalated, and run again on retryRound', { timeout: 120_000 }, () =>
    withSettlementHeld(async () => {
      const { handle, poolId, round, paymentIntentId, startNextRun } = await poolWithHeldRound();
      await handle.terminate('the run that started the round is gone');
      const next = await startNextRun();
      // The next run asks the running round to report by signal, then watches it with a timer.
      const watched = await eventually('the next run to ask the round and watch it', async () => {
        const history = await events(next.workflowId, next.firstExecutionRunId);
        const asked = history.some((e) => e.externalWorkflowExecutionSignaledEventAttributes);
        const timer = history.find((e) => e.timerStartedEventAttributes);
        return asked && timer ? timer : undefined;
      });
      assert.equal(Number(watched.timerStartedEventAttributes!.startToFireTimeout!.seconds), ROUND_WATCH_FIRST_MS / 1000);

      // The round dies after it was asked: nothing will report it. Operations, who know, send retryRound.
      await round.terminate('chaos: the round died after it was asked to report');
      await next.signal(retryRoundSignal);
      const escalated = await waitForView(next, (v) => v.roundEscalation?.round === 1, 30_000);
      assert.match(escalated.roundEscalation!.reason, /terminated/i);
      assert.equal(escalated.roundInProgress, 1, 'the round stays open for operations');

      // The escalation asks for retryRound to run the round again, under the same keys.
      await next.signal(retryRoundSignal);
      await waitForView(next, (v) => !v.roundEscalation, 30_000);
      await h.kit.control.settlePaymentIntent(paymentIntentId);
      const applied = await waitForView(next, (v) => v.roundsCompleted === 1 && v.roundInProgress === null, 60_000);
      assert.ok(
        applied.members.every((m) => m.paidInMinor === '1000'),
        'every member paid once',
      );
      const charges = await h.kit.control.requests({ method: 'POST', pathPrefix: '/v1/payment_intents', secretKey: h.kit.secretKey });
      const created = charges.filter((r) => r.idempotencyKey?.includes(poolId) && r.objectId !== null).map((r) => r.objectId);
      assert.equal(new Set(created).size, 3, 'three PaymentIntents, one a member, however often the round was run');
      await next.executeUpdate(cancelPoolUpdate, { args: [{ reason: 'test done' }] });
      assert.deepEqual(await h.ledgerViolations(poolId), []);
    }),
  );
});
