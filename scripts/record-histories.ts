// Records the event histories that test/replay.test.ts replays against the current workflow code. Runs
// representative pools on the test stack's dev server (a full rotating pool, a bid round, a default, an
// investment pool's capital call and distribution, a cancellation mid-round), on a dev server of its
// own that suggests continue-as-new after 40 events (between rounds, and in the middle of a round held
// by a processing charge), and on the time-skipping server (dunning retries a day apart), then writes every pool, round and round-trigger history as Temporal's proto JSON to
// test/histories/<scenario>.<workflow>.json.
//
// Run with the test stack up:   set -a; . .data/test.env; set +a; npx tsx scripts/record-histories.ts
// When: after an intentional, versioned workflow change (patched()), so that the new paths are
// recorded too. Move the files it replaces into a subfolder of test/histories/ first when workflows
// of the old shape may still be running somewhere: the replay test reads every subfolder as well.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { PoolConfigInput } from '../domain/pools/pool-config';
import { createLogger } from '../observability/log';
import { TEST_WEBHOOK_SECRET } from '../test/support/payments-kit';
import { createWebhookRouter } from '../payments/webhook-router';
import { workflowIds } from '../temporal-config/workflow-ids';
import type { DevPoolHarness } from '../test/support/dev-pool-harness';
import { historyToProtoJson } from '../test/support/history-json';
import { loadTestStackEnv } from '../test/support/stack-env';

loadTestStackEnv();
// Imported after the environment is loaded: the test support reads it.
const { startDevPoolHarness } = await import('../test/support/dev-pool-harness');
const { eventually } = await import('../test/support/eventually');
const { startOwnDevServer } = await import('../test/support/own-dev-server');
const { startWebhookReceiver } = await import('../test/support/webhook-receiver');
const { activate, joinAll, startPoolHarness, waitForView } = await import('../test/support/pool-harness');
const { cancelPoolUpdate, distributeUpdate, pausePoolUpdate, placeBidUpdate, poolStateQuery, resumePoolUpdate, roundDueSignal } =
  await import('../workflows/pools/pool');
const { roundProgressQuery } = await import('../workflows/pools/round');

const OUT_DIR = fileURLToPath(new URL('../test/histories/', import.meta.url));
const base = {
  kind: 'rotating',
  currency: 'usd',
  cadence: { type: 'monthly', dayOfMonth: 28, hourUtc: 3 },
  membersMin: 3,
  membersMax: 3,
  contributionMinor: 2_000,
  gracePeriodHours: 0,
} as const;

/** File name → content; written at the end, so that a failed run leaves the old recordings alone. */
const recorded = new Map<string, string>();

/** Writes one run's history; every run of the workflow when `runs` (following continue-as-new). */
async function save(name: string, client: Client, workflowId: string, options: { runId?: string; runs?: boolean } = {}): Promise<void> {
  let runId = options.runId;
  const files: Array<[string, unknown]> = [];
  for (let run = 1; ; run++) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    files.push([`${name}${options.runs ? `.run-${run}` : ''}.json`, historyToProtoJson(history)]);
    const next = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!options.runs || !next) break;
    runId = next;
  }
  if (!options.runs && files.length !== 1) throw new Error(`${workflowId} has more than one run`);
  for (const [file, json] of files) recorded.set(file, `${JSON.stringify(json, null, 1)}\n`);
}

/** Cancels the pool, waits for its workflow to end, and saves its history and its first `rounds` rounds'. */
async function cancelAndSave(client: Client, handle: WorkflowHandle, reason: string, name: string, poolId: string, rounds = 1): Promise<void> {
  await handle.executeUpdate(cancelPoolUpdate, { args: [{ reason }] });
  await handle.result();
  await save(`${name}.pool`, client, handle.workflowId);
  for (let round = 1; round <= rounds; round++) await save(`${name}.round-${round}`, client, workflowIds.round(poolId, round));
}

const poolIdOf = async (handle: WorkflowHandle) => (await handle.query(poolStateQuery)).poolId;

/** Fires the pool's next round as its schedule would. */
const fireRound = (client: Client, poolId: string) => client.schedule.getHandle(workflowIds.poolSchedule(poolId)).trigger();

/**
 * Lets Stripe's payment webhooks reach the harness's rounds as in production: the sandbox delivers them
 * to a receiver that hands them to the webhook router. The caller closes the receiver it returns.
 */
async function receiveWebhooks(h: DevPoolHarness): Promise<{ close(): Promise<void> }> {
  const router = createWebhookRouter({ db: h.db, temporal: h.client, stripe: h.kit.stripe, log: createLogger('record-histories') });
  const receiver = await startWebhookReceiver({ stripe: h.kit.stripe, secret: TEST_WEBHOOK_SECRET, router });
  try {
    await h.kit.control.addWebhookEndpoint({
      url: receiver.url,
      secretKey: h.kit.secretKey,
      eventTypes: ['payment_intent.succeeded', 'payment_intent.payment_failed'],
    });
  } catch (error) {
    await receiver.close();
    throw error;
  }
  return receiver;
}

/**
 * Starts a three-member pool and its first round, in which the third member's charge stays processing
 * (the sandbox is told to settle charges an hour late): the round stays open until the caller settles
 * that charge, and then restores the sandbox's settlement delay.
 */
async function startHeldRound(h: DevPoolHarness, name: string) {
  const { settlementDelayMs } = await h.kit.control.settings();
  await h.kit.control.updateSettings({ settlementDelayMs: 3_600_000 });
  const members = [await h.member(), await h.member(), await h.member('pm_card_sandbox_processing')];
  const handle = await h.startPool({ ...base, name, gracePeriodHours: 1, dunningRetryHours: [] });
  const poolId = await poolIdOf(handle);
  await joinAll(handle, members);
  await activate(handle);
  await fireRound(h.client, poolId);
  const round = h.client.workflow.getHandle(workflowIds.round(poolId, 1));
  const processing = await eventually('a charge to be processing', async () =>
    (await round.query(roundProgressQuery)).members.find((m) => m.state === 'processing'),
  );
  return {
    handle,
    poolId,
    processingPaymentIntentId: processing.paymentIntentId!,
    restoreSettlementDelay: () => h.kit.control.updateSettings({ settlementDelayMs }),
  };
}

// --- On the test stack's dev server -------------------------------------------------------------
{
  const h = await startDevPoolHarness();
  const receiver = await receiveWebhooks(h);
  try {
    // A full rotating pool, fixed order, platform fee: three rounds, each fired by its schedule.
    {
      const members = [await h.member(), await h.member(), await h.member()];
      const handle = await h.startPool({ ...base, name: 'Rotating, fixed order', platformFeeBps: 100 });
      const poolId = await poolIdOf(handle);
      await joinAll(handle, members);
      await activate(handle);
      let firstTrigger: { workflowId: string; firstExecutionRunId: string } | undefined;
      for (let round = 1; round <= 3; round++) {
        await fireRound(h.client, poolId);
        await h.roundResult(poolId, round);
        if (round === 1) firstTrigger = (await h.client.schedule.getHandle(workflowIds.poolSchedule(poolId)).describe()).info.recentActions[0]?.action.workflow;
        await waitForView(handle, (v) => v.roundsCompleted === round && v.roundInProgress === null);
      }
      await handle.result();
      await save('rotating-fixed.pool', h.client, handle.workflowId);
      for (let round = 1; round <= 3; round++) await save(`rotating-fixed.round-${round}`, h.client, workflowIds.round(poolId, round));
      await save('rotating-fixed.round-trigger', h.client, firstTrigger!.workflowId, { runId: firstTrigger!.firstExecutionRunId });
    }

    // A bid round: every eligible member bids, the window closes early, the highest discount wins.
    {
      const members = [await h.member(), await h.member(), await h.member()];
      const handle = await h.startPool({ ...base, name: 'Chit fund', payoutOrder: 'bid', bidWindowHours: 1, contributionMinor: 3_000 });
      const poolId = await poolIdOf(handle);
      await joinAll(handle, members);
      await activate(handle);
      await fireRound(h.client, poolId);
      await waitForView(handle, (v) => v.bidding !== null);
      for (const [index, memberId] of members.entries()) {
        await handle.executeUpdate(placeBidUpdate, { args: [{ memberId, round: 1, discountMinor: [300, 450, 150][index]! }] });
      }
      await h.roundResult(poolId, 1);
      await waitForView(handle, (v) => v.roundsCompleted === 1 && v.roundInProgress === null);
      await cancelAndSave(h.client, handle, 'recorded one bid round', 'bid-round', poolId);
    }

    // A default: a declined card, no grace period, a reserve too small to cover it (member suspended).
    {
      const members = [await h.member(), await h.member(), await h.member('pm_card_chargeDeclined')];
      const handle = await h.startPool({ ...base, name: 'Default', defaultPolicy: 'cover-from-reserve' });
      const poolId = await poolIdOf(handle);
      await joinAll(handle, members);
      await activate(handle);
      await fireRound(h.client, poolId);
      await h.roundResult(poolId, 1);
      await waitForView(handle, (v) => v.roundsCompleted === 1 && v.roundInProgress === null);
      await cancelAndSave(h.client, handle, 'recorded one default', 'default-round', poolId);
    }

    // An investment pool: a capital call pro-rata to commitments, a distribution with a fee, then a
    // cancellation that winds up the rest of the pot.
    {
      const members = [await h.member(), await h.member()];
      const handle = await h.startPool({
        kind: 'investment',
        name: 'Investment club',
        currency: 'usd',
        cadence: base.cadence,
        membersMin: 2,
        membersMax: 2,
        gracePeriodHours: 0,
        capitalCallBps: 5_000,
        managementFeeBps: 100,
      });
      const poolId = await poolIdOf(handle);
      await joinAll(handle, members, ['10000', '30000']);
      await activate(handle);
      await fireRound(h.client, poolId);
      await h.roundResult(poolId, 1);
      await waitForView(handle, (v) => v.roundsCompleted === 1 && v.roundInProgress === null);
      await handle.executeUpdate(distributeUpdate, { args: [{ amountMinor: 8_000 }] });
      await h.roundResult(poolId, 2);
      await waitForView(handle, (v) => v.recentRounds.length === 2 && v.roundInProgress === null);
      await cancelAndSave(h.client, handle, 'recorded a capital call and a distribution', 'investment', poolId, 3);
    }

    // A cancellation mid-round: one charge still processing, which settles (by webhook) after the
    // cancellation; every paid contribution is refunded.
    {
      const { handle, poolId, processingPaymentIntentId, restoreSettlementDelay } = await startHeldRound(h, 'Cancelled mid-round');
      await handle.executeUpdate(cancelPoolUpdate, { args: [{ reason: 'the group disbanded' }] });
      await h.kit.control.settlePaymentIntent(processingPaymentIntentId);
      await handle.result();
      await restoreSettlementDelay();
      await save('cancel-mid-round.pool', h.client, handle.workflowId);
      await save('cancel-mid-round.round-1', h.client, workflowIds.round(poolId, 1));
    }
  } finally {
    await h.close();
    await receiver.close();
  }
}

// --- On a dev server of our own that suggests continue-as-new after 40 events --------------------
{
  const server = await startOwnDevServer({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } });
  const h = await startDevPoolHarness({ address: server.address });
  const receiver = await receiveWebhooks(h);
  try {
    const members = [await h.member(), await h.member(), await h.member()];
    const handle = await h.startPool({ ...base, name: 'Continued as new' });
    const poolId = await poolIdOf(handle);
    await joinAll(handle, members);
    await activate(handle);
    for (let round = 1; round <= 3; round++) {
      await fireRound(h.client, poolId);
      await h.roundResult(poolId, round);
      await waitForView(handle, (v) => v.roundsCompleted === round && v.roundInProgress === null);
    }
    await handle.result();
    await save('continue-as-new.pool', h.client, handle.workflowId, { runId: handle.firstExecutionRunId, runs: true });
    await save('continue-as-new.round-2', h.client, workflowIds.round(poolId, 2));

    // A handover mid-round: a processing charge holds round 1 while firings the paused pool ignores
    // lengthen its history until it continues as new; the new run asks the round to report by signal.
    {
      const { handle: midRound, poolId: heldPoolId, processingPaymentIntentId, restoreSettlementDelay } = await startHeldRound(h, 'Handed over mid-round');
      await midRound.executeUpdate(pausePoolUpdate, { args: [{ reason: 'recording a handover mid-round' }] });
      // The run that started the round (the pool may have handed over before it, on the firing).
      const startedBy = (await midRound.describe()).runId;
      for (let sent = 0; (await midRound.describe()).runId === startedBy; sent++) {
        if (sent >= 60) throw new Error('the pool did not continue as new mid-round after 60 firings');
        await midRound.signal(roundDueSignal);
      }
      await waitForView(midRound, (v) => v.roundInProgress === 1);
      await midRound.executeUpdate(resumePoolUpdate, { args: [] });
      await h.kit.control.settlePaymentIntent(processingPaymentIntentId);
      await h.roundResult(heldPoolId, 1);
      await waitForView(midRound, (v) => v.roundsCompleted === 1 && v.roundInProgress === null);
      await restoreSettlementDelay();
      await midRound.executeUpdate(cancelPoolUpdate, { args: [{ reason: 'recorded a handover mid-round' }] });
      await midRound.result();
      await save('mid-round-handover.pool', h.client, midRound.workflowId, { runId: midRound.firstExecutionRunId, runs: true });
      await save('mid-round-handover.round-1', h.client, workflowIds.round(heldPoolId, 1));
    }
  } finally {
    await h.close();
    await receiver.close();
    await server.stop();
  }
}

// --- On the time-skipping server: dunning retries a day apart, a late fee, then the default --------
{
  const h = await startPoolHarness();
  try {
    const members = [await h.member(), await h.member(), await h.member('pm_card_chargeDeclinedInsufficientFunds')];
    const handle = await h.startPool({
      ...base,
      name: 'Dunning',
      gracePeriodHours: 72,
      dunningRetryHours: [24, 48],
      lateFeeMinor: 500,
      defaultPolicy: 'suspend',
    } satisfies PoolConfigInput);
    const poolId = await poolIdOf(handle);
    await joinAll(handle, members);
    await activate(handle);
    await h.runRound(handle);
    await cancelAndSave(h.client, handle, 'recorded one dunning round', 'dunning-round', poolId);
  } finally {
    await h.close();
  }
}

// The top level is this script's; subfolders hold older recordings kept on purpose.
await mkdir(OUT_DIR, { recursive: true });
for (const file of await readdir(OUT_DIR)) if (file.endsWith('.json')) await rm(`${OUT_DIR}${file}`);
for (const [file, content] of recorded) await writeFile(`${OUT_DIR}${file}`, content);
console.log(`recorded ${recorded.size} histories in test/histories/:\n  ${[...recorded.keys()].join('\n  ')}`);
