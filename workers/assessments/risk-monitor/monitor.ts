// The risk monitor's I/O: loads the accounts the assessment workflows publish (a Redis hash), follows
// their changes and the market-data tick stream with one blocking XREAD, evaluates each tick in memory
// (evaluator.ts) and signals a workflow only for a breach, a warning or a stop crossing.
import type { Client } from '@temporalio/client';
import type { Redis } from '../../../cache/redis';
import { type MonitoredAccount } from '../../../activities/assessments/live';
import { findPack } from '../../../db/assessments/rule-packs';
import type { Db } from '../../../db/pool';
import type { RulePack } from '../../../domain/assessments/index';
import type { Logger } from '../../../observability/log';
import { workflowIds } from '../../../temporal-config/workflow-ids';
import { riskSignal } from '../../../workflows/assessments/assessment';
import { ticksFromStream } from '../market-data/publisher';
import { pause } from '../market-data/source';
import { createRiskEvaluator, type OutgoingSignal } from './evaluator';
import { ACCOUNT_CHANGES_STREAM, MONITORED_ACCOUNTS_KEY, TICK_STREAM_KEY } from '../../../cache/keys';

/** Stream entries read per XREAD, and how long one read blocks (below Redis' command timeout). */
export const READ_BATCH_MAX = 1_000;
const BLOCK_MS = 1_000;
/** Signals in flight at once; more wait, so a market crash cannot open thousands of gRPC calls. */
export const SIGNALS_IN_FLIGHT_MAX = 64;

export interface RiskMonitorDeps {
  db: Db;
  /** Commands (the hash, the packs); the blocking reads get a connection of their own. */
  redis: Redis;
  reader: Redis;
  temporal: Client;
  log: Logger;
}

export function createRiskMonitor(deps: RiskMonitorDeps) {
  const evaluator = createRiskEvaluator();
  const packs = new Map<string, RulePack>();
  let inFlight = 0;
  let sent = 0;

  async function packOf(packId: string): Promise<RulePack | null> {
    const known = packs.get(packId);
    if (known) return known;
    const row = await findPack(deps.db, packId);
    if (row) packs.set(packId, row.pack);
    return row?.pack ?? null;
  }

  async function load(assessmentId: string): Promise<void> {
    const raw = await deps.redis.hget(MONITORED_ACCOUNTS_KEY, assessmentId);
    const entry = raw ? (JSON.parse(raw) as MonitoredAccount) : null;
    evaluator.update(assessmentId, entry, entry ? await packOf(entry.packId) : null);
  }

  async function send(out: OutgoingSignal): Promise<void> {
    while (inFlight >= SIGNALS_IN_FLIGHT_MAX) await new Promise((resolve) => setImmediate(resolve));
    inFlight++;
    try {
      await deps.temporal.workflow.getHandle(workflowIds.assessment(out.assessmentId)).signal(riskSignal, out.signal);
      sent++;
    } catch (error) {
      // The workflow ended meanwhile, or Temporal is away: the evaluator repeats after RESIGNAL_AFTER_MS.
      deps.log.warn('risk signal not delivered', { assessmentId: out.assessmentId, kind: out.signal.kind, error });
    } finally {
      inFlight--;
    }
  }

  return {
    evaluator,
    get signalsSent() {
      return sent;
    },

    /** Follows both streams until `signal` aborts; a Redis outage pauses it and it resumes where it was. */
    async run(signal: AbortSignal): Promise<void> {
      const lastId = async (key: string) => (await deps.redis.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
      // Positions first noted, then the accounts loaded: a change in between is read again, never missed.
      let tickId = await lastId(TICK_STREAM_KEY);
      let changeId = await lastId(ACCOUNT_CHANGES_STREAM);
      const all = await deps.redis.hgetall(MONITORED_ACCOUNTS_KEY);
      for (const [id, raw] of Object.entries(all)) {
        const entry = JSON.parse(raw) as MonitoredAccount;
        evaluator.update(id, entry, await packOf(entry.packId));
      }
      deps.log.info('risk monitor watching', { accounts: evaluator.size });
      while (!signal.aborted) {
        let result: Array<[string, Array<[string, string[]]>]> | null;
        try {
          result = (await deps.reader.xread(
            'COUNT',
            READ_BATCH_MAX,
            'BLOCK',
            BLOCK_MS,
            'STREAMS',
            ACCOUNT_CHANGES_STREAM,
            TICK_STREAM_KEY,
            changeId,
            tickId,
          )) as typeof result;
        } catch (error) {
          deps.log.warn('risk monitor read failed; retrying', { error });
          await pause(1_000, signal);
          continue;
        }
        for (const [key, entries] of result ?? []) {
          if (key.endsWith(ACCOUNT_CHANGES_STREAM)) {
            for (const [entryId, fields] of entries) {
              changeId = entryId;
              await load(fields[1]!);
            }
          } else {
            for (const tick of ticksFromStream(entries)) {
              tickId = tick.streamId;
              for (const out of evaluator.onTick(tick, Date.now())) void send(out);
            }
          }
        }
      }
    },
  };
}
