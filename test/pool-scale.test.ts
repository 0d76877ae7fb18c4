// A pool at the configured maximum of members stays within bounded history on the real dev server:
// 1,000 members join through the real update path, eight commands in flight at a time, the pool is
// activated and runs a round, and every run of the pool workflow stays far below Temporal's limits —
// because commands answer and project only what changed, members are carried compactly, and a run that
// Temporal asks to continue as new refuses new commands (sent again by the client) until it hands over.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { History } from '@temporalio/common/lib/proto-utils';
import proto from '@temporalio/proto';
import { executePoolUpdate } from '../api/pools/pool-commands';
import { agreementTerms, recordAgreement } from '../db/consent';
import { poolViews } from '../db/pools/pool-views';
import { POOL_MEMBERS_MAX } from '../domain/pools/pool-config';
import { workflowIds } from '../temporal-config/workflow-ids';
import { activatePoolUpdate, joinPoolUpdate, poolStateQuery, runRoundNowSignal } from '../workflows/pools/pool';
import { startDevPoolHarness, type DevPoolHarness } from './support/dev-pool-harness';
import { uniqueId } from './support/env';
import { eventually } from './support/eventually';
import { rotatingPool } from './support/pool-harness';

/** Joins in flight at once, as the API would send them for members accepting together. */
const JOINS_IN_FLIGHT = 8;
/** Members registered with the Stripe sandbox at once while the test sets up. */
const REGISTRATIONS_IN_FLIGHT = 32;
/** The bounds every run of the pool workflow must stay within (Temporal's own: 50 MB, 51,200 events, 2 MB). */
const RUN_HISTORY_BYTES_MAX = 10 * 1024 * 1024;
const RUN_EVENTS_MAX = 10_000;
const PAYLOAD_BYTES_MAX = 256 * 1024;
const ROUND_WAIT_MS = 600_000;
/** The longest member ID the API accepts (ID_PART_PATTERN). */
const MEMBER_ID_CHARS_MAX = 64;

type Payload = proto.temporal.api.common.v1.IPayload;

/** Every payload in a history event, wherever it sits (inputs, results, signals, update requests, markers). */
function* payloadsIn(value: unknown): Generator<Payload> {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
  const candidate = value as Payload;
  if (candidate.data instanceof Uint8Array && candidate.metadata && typeof candidate.metadata === 'object') {
    yield candidate;
    return;
  }
  for (const child of Object.values(value as Record<string, unknown>)) yield* payloadsIn(child);
}

interface RunSize {
  runId: string;
  events: number;
  bytes: number;
  largestPayloadBytes: number;
}

/** The size of one run's history and of its largest payload. */
function runSize(runId: string, history: History): RunSize {
  const events = history.events ?? [];
  let largestPayloadBytes = 0;
  for (const event of events) {
    for (const payload of payloadsIn(event))
      largestPayloadBytes = Math.max(largestPayloadBytes, proto.temporal.api.common.v1.Payload.encode(payload).finish().length);
  }
  return { runId, events: events.length, bytes: proto.temporal.api.history.v1.History.encode(history).finish().length, largestPayloadBytes };
}

/** Runs `work` over `items` with at most `inFlight` at once. */
async function inBatches<T>(items: T[], inFlight: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

/** Runs what it is given with at most `inFlight` at once. */
function semaphore(inFlight: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (work) => {
    while (running >= inFlight) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

describe('a pool of the maximum size', () => {
  let h: DevPoolHarness;

  before(async () => (h = await startDevPoolHarness()));
  after(async () => h?.close());

  test('1,000 members join eight at a time and a round runs; no run of the pool outgrows its bounds', { timeout: 1_200_000 }, async (t) => {
    const startedAtMs = Date.now();
    // The first member in the fixed order wins round 1 and needs a payout account; the others pay only.
    const winner = await h.member();
    // Payers' IDs are of the longest length allowed (ID_PART_PATTERN): every member list is at its largest.
    const payers = Array.from({ length: POOL_MEMBERS_MAX - 1 }, () => uniqueId('m').padEnd(MEMBER_ID_CHARS_MAX, '0'));
    const members = [winner, ...payers];

    const config = rotatingPool(POOL_MEMBERS_MAX, { name: 'Scale circle', contributionMinor: 1_000, gracePeriodHours: 0, dunningRetryHours: [] });
    const handle = await h.startPool(config);
    const { poolId, config: parsed } = await eventually('the pool to open', async () => {
      const view = await handle.query(poolStateQuery);
      return view.status === 'open' ? view : undefined;
    });

    // The winner joins first so that the fixed order pays them; then everyone else, eight at a time.
    const join = async (memberId: string) => {
      await recordAgreement(h.db, { poolId, memberId, terms: agreementTerms(parsed, null), requestId: `scale-${memberId}` });
      const result = await executePoolUpdate(handle, joinPoolUpdate, { args: [{ memberId }], updateId: `join-${memberId}` });
      assert.deepEqual(
        result.members.map((m) => m.memberId),
        [memberId],
        'a join answers with the new member’s row only',
      );
    };
    await join(winner);
    // Each member joins as soon as their card is saved, with at most JOINS_IN_FLIGHT joins at once.
    const joins = semaphore(JOINS_IN_FLIGHT);
    await inBatches(payers, REGISTRATIONS_IN_FLIGHT, async (memberId) => {
      await h.kit.members.registerMember({ memberId, displayName: 'Scale Member', email: `${memberId}@example.com` });
      await h.kit.members.attachPaymentMethod(memberId, 'pm_card_visa');
      await joins(() => join(memberId));
    });
    const joinedAtMs = Date.now();

    const joined = await handle.query(poolStateQuery);
    assert.equal(joined.members.length, POOL_MEMBERS_MAX);
    assert.equal(new Set(joined.members.map((m) => m.memberId)).size, POOL_MEMBERS_MAX, 'no member is listed twice');
    // The read model holds every member too, assembled from the delta projections.
    const projected = (await poolViews(h.db, [poolId])).get(poolId)!;
    assert.deepEqual(projected.members.map((m) => m.memberId).sort(), [...members].sort());

    await executePoolUpdate(handle, activatePoolUpdate, { args: [] });
    await handle.signal(runRoundNowSignal, { requestId: `scale-${poolId}-round-1` });
    const result = await h.roundResult(poolId, 1, ROUND_WAIT_MS);
    assert.equal(result.members.filter((m) => m.outcome === 'paid').length, POOL_MEMBERS_MAX, 'every member paid round 1');
    assert.equal(result.payout?.winnerMemberId, winner);
    const after = await eventually(
      'the pool to apply round 1',
      async () => {
        const view = await handle.query(poolStateQuery);
        return view.roundsCompleted === 1 ? view : undefined;
      },
      120_000,
    );
    assert.equal(
      after.members
        .filter((m) => m.received)
        .map((m) => m.memberId)
        .join(),
      winner,
    );
    const roundAtMs = Date.now();

    // Every run of the pool, from the first, following each continue-as-new to the next.
    const runs: RunSize[] = [];
    for (let runId: string | null = handle.firstExecutionRunId; runId;) {
      const history: History = await h.client.workflow.getHandle(workflowIds.pool(poolId), runId).fetchHistory();
      runs.push(runSize(runId, history));
      runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? null;
    }
    // The round's own history holds its input (every member's dues) and its report (every member's outcome).
    const round = runSize('round 1', await h.client.workflow.getHandle(workflowIds.round(poolId, 1)).fetchHistory());
    t.diagnostic(
      `registration and joins ${((joinedAtMs - startedAtMs) / 1000).toFixed(1)} s, ` +
        `activation and round ${((roundAtMs - joinedAtMs) / 1000).toFixed(1)} s; runs: ` +
        [...runs, round]
          .map((r) => `${r.events} events / ${(r.bytes / 1024).toFixed(0)} KB / largest payload ${(r.largestPayloadBytes / 1024).toFixed(1)} KB`)
          .join('; '),
    );
    assert.ok(round.largestPayloadBytes <= PAYLOAD_BYTES_MAX, `round 1 has a payload of ${round.largestPayloadBytes} bytes`);

    assert.ok(runs.length > 1, 'the pool continued as new while members kept joining');
    for (const run of runs) {
      assert.ok(run.events <= RUN_EVENTS_MAX, `run ${run.runId} has ${run.events} events`);
      assert.ok(run.bytes <= RUN_HISTORY_BYTES_MAX, `run ${run.runId} has ${run.bytes} bytes of history`);
      assert.ok(run.largestPayloadBytes <= PAYLOAD_BYTES_MAX, `run ${run.runId} has a payload of ${run.largestPayloadBytes} bytes`);
    }
  });
});
