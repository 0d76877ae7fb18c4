// The assessment workflow's activities: begin a paid assessment, read prices, record every change
// (event log, closed trades, violations, standing) in one transaction and then publish it to Redis for
// the risk monitor, the live stream and the leaderboard, write phase reports, and audit ops actions.
import { ApplicationFailure } from '@temporalio/common';
import type { Redis } from '../../cache/redis';
import { findAssessment, moveStatus, saveSummary } from '../../db/assessments/assessments';
import { insertEvents, insertOpsAction, insertTrades, insertViolations } from '../../db/assessments/events';
import { findPack } from '../../db/assessments/rule-packs';
import type { Db } from '../../db/pool';
import { transaction } from '../../db/transaction';
import type { Tick } from '../../domain/assessments/account';
import type { Evaluation } from '../../domain/assessments/evaluate';
import { assessmentRecordKeys } from '../../domain/core/idempotency-keys';
import type { RulePack } from '../../domain/assessments/rule-pack';
import type { AssessmentStatus as WorkflowStatus, Changes } from '../../workflows/assessments/state';
import { latestPrice } from '../../workers/assessments/market-data/publisher';
import type { Purchases } from './purchases';
import { publishLiveEvent, publishMonitoredAccount, returnBps, updateLeaderboard, type MonitoredAccount } from './live';
import { writePhaseReports } from './reports';

/** A price older than this is not good enough to fill an order at. */
export const QUOTE_AGE_MS_MAX = 60_000;

/** The stable `type` of the assessment activities' non-retryable failures. */
export const AssessmentFailureType = {
  /** No fresh price for the symbol: the order cannot be filled now. */
  noPrice: 'NoPrice',
  /** The assessment row or its pack is missing: a bug or a hand edit, not something a retry fixes. */
  missing: 'AssessmentMissing',
} as const;

export interface BeginResult {
  /** False when the purchase was refunded (or is being) before the workflow could begin it. */
  began: boolean;
  status: string;
  traderId: string;
  displayName: string;
  tier: string;
  packId: string;
  pack: RulePack;
  priceMinor: string;
  currency: string;
}

/** The standing the workflow publishes after each change: what the API, the Web UI and SSE show. */
export interface AssessmentView {
  assessmentId: string;
  tier: string;
  packId: string;
  status: WorkflowStatus;
  version: number;
  endedReason: string | null;
  payoutsMade: number;
  initialBalanceMinor: string;
  evaluation: Evaluation;
}

export interface RecordInput {
  assessmentId: string;
  displayName: string;
  changes: Changes;
  view: AssessmentView;
  /** The account for the risk monitor while the assessment runs; null once it ended. */
  monitored: MonitoredAccount | null;
}

export function createAssessmentActivities(deps: { db: Db; redis: Redis; purchases: Purchases }) {
  const { db, redis } = deps;

  return {
    async beginAssessment(input: { assessmentId: string }): Promise<BeginResult> {
      const row = await findAssessment(db, input.assessmentId);
      if (!row) throw ApplicationFailure.nonRetryable(`assessment ${input.assessmentId} does not exist`, AssessmentFailureType.missing);
      const pack = await findPack(db, row.packId);
      if (!pack) throw ApplicationFailure.nonRetryable(`rule pack ${row.packId} does not exist`, AssessmentFailureType.missing);
      // paid → active is the claim: a refund that claimed the row first (paid → refunding) wins.
      const began = (await moveStatus(db, row.assessmentId, ['paid'], 'active')) || (await findAssessment(db, row.assessmentId))!.status === 'active';
      if (began) await deps.purchases.recordFee((await findAssessment(db, row.assessmentId))!);
      return {
        began,
        status: began ? 'active' : row.status,
        traderId: row.traderId,
        displayName: row.displayName,
        tier: row.tier,
        packId: row.packId,
        pack: pack.pack,
        priceMinor: row.priceMinor.toString(),
        currency: row.currency,
      };
    },

    /** The latest published price of `symbol`, as a tick; fails (non-retryable) when there is none fresh. */
    async currentPrice(input: { symbol: string }): Promise<Tick> {
      const latest = await latestPrice(redis, input.symbol);
      if (!latest || Date.now() - latest.atMs > QUOTE_AGE_MS_MAX) {
        throw ApplicationFailure.nonRetryable(`no price for ${input.symbol} in the last ${QUOTE_AGE_MS_MAX / 1000} s`, AssessmentFailureType.noPrice);
      }
      return { symbol: input.symbol, price: latest.price, atMs: latest.atMs };
    },

    /** The latest prices of the symbols that have one (for a day close). */
    async currentPrices(input: { symbols: string[] }): Promise<Tick[]> {
      const ticks: Tick[] = [];
      for (const symbol of input.symbols) {
        const latest = await latestPrice(redis, symbol);
        if (latest) ticks.push({ symbol, price: latest.price, atMs: latest.atMs });
      }
      return ticks;
    },

    /**
     * Writes one change of the workflow's state: the log entries, closed trades, violations, warnings,
     * the standing, the reports of phases that ended and — when the assessment ended — its final status,
     * all in one transaction; then Redis (risk monitor, live stream, leaderboard).
     */
    async recordChanges(input: RecordInput): Promise<void> {
      const { assessmentId, changes, view } = input;
      await transaction(db, async (client) => {
        await insertEvents(
          client,
          assessmentId,
          changes.events.map((e) => ({ seq: e.seq, key: e.key, phaseIndex: e.phaseIndex, kind: e.event.kind, source: e.source, event: e.event, atMs: e.atMs })),
        );
        await insertTrades(client, assessmentId, changes.trades);
        await insertViolations(client, assessmentId, [
          ...changes.violations.map((v) => ({ key: v.key, phaseIndex: v.phaseIndex, rule: v.rule, severity: v.severity, detail: v, atMs: v.atMs })),
          ...changes.warnings.map((w) => ({
            key: assessmentRecordKeys.storedWarning(w.key),
            phaseIndex: w.phaseIndex,
            rule: w.rule,
            severity: 'warning' as const,
            detail: w,
            atMs: w.atMs,
          })),
        ]);
        await saveSummary(client, assessmentId, view.evaluation.phase.index, view);
        // In the same transaction: a phase seen as ended always has its report.
        await writePhaseReports(client, assessmentId, view.packId, changes.phasesEnded);
        if (view.status !== 'active') {
          await moveStatus(client, assessmentId, ['active'], view.status, {
            verdict: { status: view.status, reason: view.endedReason, phase: view.evaluation.phase },
          });
        }
      });
      await publishMonitoredAccount(redis, assessmentId, input.monitored);
      await publishLiveEvent(redis, assessmentId, view.version, view);
      await updateLeaderboard(redis, view.tier, assessmentId, input.displayName, returnBps(view.evaluation.live.balanceMinor, view.initialBalanceMinor));
    },

    async recordOpsAction(input: { assessmentId: string; actionKey: string; action: string; actor: string; reason: string }): Promise<void> {
      await insertOpsAction(db, input);
    },
  };
}

export type AssessmentActivities = ReturnType<typeof createAssessmentActivities>;
