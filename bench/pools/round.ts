// One large round on Temporal against bare Temporal, in the same run on the same dev server: a round of
// BENCH_ROUND_MEMBERS members (default 1,000; cards that succeed, no grace period, the pot paid to one
// member), started as its pool starts it, against a baseline workflow running one no-op activity per
// member at once; BENCH_REPEATS pairs (default 3). Prints each round's time, the baseline's, their
// ratio, and the round's history events and activities, with min / median / max.
// Run: set -a; . .data/test.env; set +a; npx tsx bench/pools/round.ts   (see bench/README.md)
import { loadavg } from 'node:os';
import type { WorkflowHandle } from '@temporalio/client';
import { createPoolLedgerActivities } from '../../activities/pools/pool-ledger';
import { chunks } from '../../domain/pools/contribution-batches';
import { GIVEN_ROUND_SHAPE } from '../../domain/pools/round-types';
import { roundInputRows } from '../../domain/pools/round-input';
import { roundResultOf } from '../../domain/pools/round-report';
import { poolflowDataConverter } from '../../temporal-config/data-converter';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { contributionRound, type RoundInput } from '../../workflows/pools/round';
import { benchSetting } from '../settings';
import { benchClient, connectBenchStack, inBatches, median, startPoolsBenchWorkers, recordBenchAgreements, rotatingBenchConfig } from '../support';
import type { baselinePool } from './workflows';

const MEMBERS = benchSetting('BENCH_ROUND_MEMBERS', 1_000);
const REPEATS = benchSetting('BENCH_REPEATS', 3);
/** A round slower than this fails the run rather than hang it. */
const ROUND_MS_MAX = 300_000;
const CONTRIBUTION_MINOR = 1_000;
/** A thousand members are set up this many at a time (the sandbox keeps up; ten at a time takes minutes). */
const MEMBER_SETUP_CONCURRENCY_MAX = 50;
/** Members whose ledger accounts one call opens (two each, within ensureAccounts' 500). */
const OPENED_MEMBERS_PER_CALL_MAX = 200;

const startedAtMs = Date.now();
const loadBefore = loadavg();
const stack = await connectBenchStack('round');
const { run, db } = stack;
const client = benchClient(stack, poolflowDataConverter());
const ledger = createPoolLedgerActivities({ db });

const { poolsQueue, baselineQueue, shutdown } = await startPoolsBenchWorkers(stack, client, 'round');

/** The members of every round: a card that succeeds; only the first (the pot's winner) needs a payout account. */
async function setUpMembers(): Promise<string[]> {
  const memberIds = Array.from({ length: MEMBERS }, (_, i) => `round-${run}-m${i}`);
  await inBatches(memberIds, MEMBER_SETUP_CONCURRENCY_MAX, async (memberId) => {
    await stack.members.registerMember({ memberId, displayName: 'Bench Member', email: `${memberId}@example.com` });
    await stack.members.attachPaymentMethod(memberId, 'pm_card_visa');
  });
  await stack.sandbox.onboardAccount((await stack.members.ensureConnectAccount(memberIds[0]!)).accountId);
  return memberIds;
}

async function baselinePhase(label: string): Promise<number> {
  const started = performance.now();
  await client.workflow.execute<typeof baselinePool>('baselinePool', {
    taskQueue: baselineQueue,
    workflowId: `bench/${run}/round-baseline/${label}`,
    args: [{ members: MEMBERS, rounds: 1 }],
  });
  return performance.now() - started;
}

interface RoundRun {
  elapsedMs: number;
  events: number;
  activities: number;
  /** Per activity type: from the round's start to its first scheduling and to its last completion, in seconds. */
  phases: string;
  /** The round's input and result as JSON (before the payload codec), bytes. */
  inputBytes: number;
  resultBytes: number;
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** Where a round's time went, from its history: each activity type's span from the round's start. */
function phasesOf(events: HistoryEvent[]): string {
  const seconds = (e: HistoryEvent) => Number(e.eventTime?.seconds ?? 0) + (e.eventTime?.nanos ?? 0) / 1e9;
  const startS = seconds(events[0]!);
  const typeOf = new Map<string, string>();
  const spans = new Map<string, { firstS: number; lastS: number; count: number }>();
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const type = scheduled.activityType?.name ?? '?';
      typeOf.set(String(e.eventId), type);
      const span = spans.get(type) ?? { firstS: seconds(e) - startS, lastS: 0, count: 0 };
      span.count++;
      spans.set(type, span);
    }
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed) spans.get(typeOf.get(String(completed.scheduledEventId))!)!.lastS = seconds(e) - startS;
  }
  return [...spans].map(([type, s]) => `${type}×${s.count} ${s.firstS.toFixed(1)}–${s.lastS.toFixed(1)} s`).join(', ');
}

/** A fresh pool's accounts and agreements (not measured), then its round: from its start to its result. */
async function roundPhase(memberIds: string[], label: string): Promise<RoundRun> {
  const poolId = `round-${run}-${label}`;
  const config = rotatingBenchConfig('Round bench pool', MEMBERS);
  // Two accounts a member; ensureAccounts takes 500 accounts a call.
  for (const batch of chunks(memberIds, OPENED_MEMBERS_PER_CALL_MAX)) await ledger.openPoolAccounts({ poolId, currency: 'usd', memberIds: batch });
  await recordBenchAgreements(stack, poolId, config, memberIds);
  const input: RoundInput = {
    poolId,
    round: 1,
    currency: 'usd',
    dues: memberIds.map((memberId) => ({ memberId, amountMinor: String(CONTRIBUTION_MINOR), arrearsMinor: '0' })),
    gracePeriodHours: 0,
    lateFeeMinor: '0',
    dunningRetryHours: [],
    defaultPolicy: 'suspend',
    payout: { kind: 'order', candidates: [memberIds[0]!], members: memberIds, platformFeeBps: 0 },
    // As a pool of the current shape starts it: the round reports by completing, in rows.
    shape: GIVEN_ROUND_SHAPE,
  };
  const start = roundInputRows(input);
  const started = performance.now();
  const round = await client.workflow.start(contributionRound, { taskQueue: poolsQueue, workflowId: workflowIds.round(poolId, 1), args: [start] });
  const timeout = setTimeout(() => void round.terminate('bench: the round took too long').catch(() => {}), ROUND_MS_MAX);
  const report = await round.result();
  const result = roundResultOf(report);
  const elapsedMs = performance.now() - started;
  clearTimeout(timeout);
  const paid = result.members.filter((m) => m.outcome === 'paid').length;
  if (paid !== MEMBERS || result.payout?.winnerMemberId !== memberIds[0])
    throw new Error(`round ${poolId}: ${paid} of ${MEMBERS} paid, winner ${result.payout?.winnerMemberId}`);
  const events = (await round.fetchHistory()).events ?? [];
  return {
    elapsedMs,
    events: events.length,
    activities: events.filter((e) => e.activityTaskScheduledEventAttributes).length,
    phases: phasesOf(events),
    inputBytes: JSON.stringify(start).length,
    resultBytes: JSON.stringify(report).length,
  };
}

const fmt = (values: number[], digits = 1) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `min ${sorted[0]!.toFixed(digits)} / median ${median(sorted).toFixed(digits)} / max ${sorted.at(-1)!.toFixed(digits)}`;
};

try {
  const memberIds = await setUpMembers();
  const setUpS = (Date.now() - startedAtMs) / 1_000;
  // Warm-ups (bundles loaded into both workers, connections made), not counted.
  await baselinePhase('warm');
  const rows: Array<{ baselineMs: number; round: RoundRun }> = [];
  for (let i = 0; i < REPEATS; i++) {
    // Alternating which runs first spreads the machine's drift over both.
    const baselineFirst = i % 2 === 0;
    const baselineMs = baselineFirst ? await baselinePhase(String(i)) : 0;
    const round = await roundPhase(memberIds, String(i));
    const row = { baselineMs: baselineFirst ? baselineMs : await baselinePhase(String(i)), round };
    rows.push(row);
    console.log(
      `  repeat ${i + 1}: round of ${MEMBERS} members ${(round.elapsedMs / 1_000).toFixed(1)} s, baseline ${(row.baselineMs / 1_000).toFixed(1)} s, round/baseline ${(round.elapsedMs / row.baselineMs).toFixed(2)}×; ${round.events} history events (${(round.events / MEMBERS).toFixed(2)} per member), ${round.activities} activities; input ${round.inputBytes} B, result ${round.resultBytes} B\n    phases: ${round.phases}`,
    );
  }
  console.log(`pools-round benchmark: ${REPEATS} rounds of ${MEMBERS} members (dev server ${stack.env.TEMPORAL_ADDRESS}); set-up ${setUpS.toFixed(0)} s`);
  console.log(`  round seconds:              ${fmt(rows.map((r) => r.round.elapsedMs / 1_000))}  (goal < 15 s)`);
  console.log(`  baseline seconds (${MEMBERS} no-op activities): ${fmt(rows.map((r) => r.baselineMs / 1_000))}`);
  console.log(
    `  round / baseline:           ${fmt(
      rows.map((r) => r.round.elapsedMs / r.baselineMs),
      2,
    )}`,
  );
  console.log(
    `  round history events per member: ${fmt(
      rows.map((r) => r.round.events / MEMBERS),
      2,
    )}; activities per round ${fmt(
      rows.map((r) => r.round.activities),
      0,
    )}`,
  );
  console.log(
    `  load average (1/5/15 min) before ${loadBefore.map((l) => l.toFixed(2)).join(' / ')}, after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}; whole run ${((Date.now() - startedAtMs) / 1_000).toFixed(0)} s`,
  );
} finally {
  await shutdown();
  await stack.close();
}
