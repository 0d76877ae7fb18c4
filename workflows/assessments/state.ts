// The assessment workflow's state and its rules: a small object holding the virtual account, whose every
// change goes through domain/assessments (applyEvent, prices of orders, phase advance, failAccount), and
// a record of what each change must write (events, closed trades, violations, warnings). Pure and
// deterministic, so the workflow, its tests and a replay of the event log agree on every verdict.
import {
  advancePhase,
  applyEvent,
  failAccount,
  isClosed,
  startPhase,
  type AccountEvent,
  type AccountState,
  type AccountStep,
  type ClosedTrade,
  type Violation,
  type Warning,
} from '../../domain/assessments/account';
import { evaluate, type Evaluation } from '../../domain/assessments/evaluate';
import { assessmentRecordKeys } from '../../domain/core/idempotency-keys';
import type { RulePack } from '../../domain/assessments/rule-pack';

/** Business keys of applied orders and fills remembered, so a repeated one is recognised. */
export const APPLIED_KEYS_MAX = 2_000;

export type AssessmentStatus = 'active' | 'passed' | 'failed' | 'stopped';
export type EventSource = 'workflow' | 'order' | 'import' | 'risk-monitor' | 'timer' | 'ops';

export interface AssessmentState {
  assessmentId: string;
  traderId: string;
  tier: string;
  packId: string;
  pack: RulePack;
  status: AssessmentStatus;
  account: AccountState;
  /** Bumped on every change; the risk monitor and the live stream order snapshots by it. */
  version: number;
  /** The next event's position in the assessment's event log. */
  eventSeq: number;
  appliedKeys: string[];
  /** Funded phase: payouts made, and the profit already split by them (minor units). */
  payoutsMade: number;
  profitSplitPaidMinor: string;
  /** Why the assessment ended, in plain words, when it has. */
  endedReason: string | null;
}

/** One entry of the event log, as recorded in assessment_events. */
export interface LoggedEvent {
  seq: number;
  key: string;
  phaseIndex: number;
  source: EventSource;
  event: AccountEvent | { kind: 'phase-start'; phaseIndex: number; atMs: number };
  atMs: number;
}

/** What a change must write: appended to by each step, handed to the recording activity, then cleared. */
export interface Changes {
  events: LoggedEvent[];
  trades: Array<ClosedTrade & { phaseIndex: number }>;
  violations: Array<Violation & { phaseIndex: number; key: string }>;
  warnings: Array<Warning & { phaseIndex: number; key: string }>;
  /** Phases that ended in this change, with their result and final account, for reports. */
  phasesEnded: PhaseEnded[];
}

export interface PhaseEnded {
  phaseIndex: number;
  result: 'passed' | 'failed' | 'stopped';
  evaluation: Evaluation;
  account: AccountState;
}

export const noChanges = (): Changes => ({ events: [], trades: [], violations: [], warnings: [], phasesEnded: [] });

export function initialState(input: { assessmentId: string; traderId: string; tier: string; packId: string; pack: RulePack; startedAtMs: number }): {
  state: AssessmentState;
  changes: Changes;
} {
  const state: AssessmentState = {
    assessmentId: input.assessmentId,
    traderId: input.traderId,
    tier: input.tier,
    packId: input.packId,
    pack: input.pack,
    status: 'active',
    account: startPhase(input.pack, 0, input.startedAtMs),
    version: 0,
    eventSeq: 0,
    appliedKeys: [],
    payoutsMade: 0,
    profitSplitPaidMinor: '0',
    endedReason: null,
  };
  const changes = noChanges();
  log(state, changes, `phase-start:0`, 'workflow', { kind: 'phase-start', phaseIndex: 0, atMs: input.startedAtMs }, input.startedAtMs);
  return { state, changes };
}

function log(s: AssessmentState, changes: Changes, key: string, source: EventSource, event: LoggedEvent['event'], atMs: number): void {
  changes.events.push({ seq: s.eventSeq++, key, phaseIndex: s.account.phaseIndex, source, event, atMs });
}

export function wasApplied(s: AssessmentState, key: string): boolean {
  return s.appliedKeys.includes(key);
}

function remember(s: AssessmentState, key: string): void {
  s.appliedKeys = [...s.appliedKeys, key].slice(-APPLIED_KEYS_MAX);
}

/** Collects a step's outcomes into the changes to write. */
function collect(s: AssessmentState, changes: Changes, step: AccountStep, eventKey: string): void {
  const phaseIndex = step.state.phaseIndex;
  for (const outcome of step.outcomes) {
    switch (outcome.kind) {
      case 'trade-closed':
        changes.trades.push({ ...outcome.trade, phaseIndex });
        break;
      case 'violation':
        changes.violations.push({ ...outcome.violation, phaseIndex, key: assessmentRecordKeys.violation(phaseIndex, outcome.violation.rule, eventKey) });
        break;
      case 'warning':
        changes.warnings.push({ ...outcome.warning, phaseIndex, key: assessmentRecordKeys.warning(phaseIndex, outcome.warning.rule, outcome.warning.day) });
        break;
      case 'day-closed':
      case 'status':
        break;
    }
  }
  s.account = step.state;
}

/**
 * Applies one account event (a fill, a price, a day close) and logs it. After it the phase may have
 * ended: `settlePhase` decides what follows.
 */
export function apply(s: AssessmentState, changes: Changes, key: string, source: EventSource, event: AccountEvent): AccountStep {
  const step = applyEvent(s.account, s.pack, event);
  const atMs = event.kind === 'fill' ? event.fill.atMs : event.kind === 'tick' ? event.tick.atMs : event.kind === 'charge' ? event.charge.atMs : event.atMs;
  log(s, changes, key, source, event, atMs);
  collect(s, changes, step, key);
  if (source === 'order' || source === 'import') remember(s, key);
  return step;
}

/**
 * After a step: a passed phase advances to the next one with a fresh virtual account; a failed phase
 * ends the assessment. Returns whether the assessment ended.
 */
export function settlePhase(s: AssessmentState, changes: Changes, atMs: number): boolean {
  if (s.status !== 'active' || !isClosed(s.account)) return s.status !== 'active';
  const evaluation = evaluate(s.account, s.pack);
  const phaseIndex = s.account.phaseIndex;
  if (s.account.status === 'failed') {
    changes.phasesEnded.push({ phaseIndex, result: 'failed', evaluation, account: s.account });
    s.status = 'failed';
    s.endedReason = failureReason(evaluation);
    return true;
  }
  changes.phasesEnded.push({ phaseIndex, result: 'passed', evaluation, account: s.account });
  if (phaseIndex + 1 >= s.pack.phases.length) {
    s.status = 'passed';
    s.endedReason = `passed the last phase (${evaluation.phase.name})`;
    return true;
  }
  s.account = advancePhase(s.account, s.pack, atMs);
  log(
    s,
    changes,
    `phase-start:${s.account.phaseIndex}`,
    'workflow',
    { kind: 'phase-start', phaseIndex: s.account.phaseIndex, atMs: s.account.phaseStartedAtMs },
    s.account.phaseStartedAtMs,
  );
  return false;
}

function failureReason(evaluation: Evaluation): string {
  const hard = evaluation.violations.filter((violation) => violation.consequence === 'phase-failed');
  return hard.length > 0
    ? hard.map((violation) => violation.explanation).join(' ')
    : `failed ${evaluation.phase.name}: the time limit ended with an objective unmet`;
}

/** Ops end the phase: `fail` as a failure, `stop` as an emergency stop; positions close at the last prices. */
export function endByOps(s: AssessmentState, changes: Changes, action: 'fail' | 'stop', reason: string, atMs: number): void {
  const phaseIndex = s.account.phaseIndex;
  const step = failAccount(s.account, s.pack, Math.max(atMs, s.account.lastEventAtMs));
  collect(s, changes, step, `ops-${action}`);
  changes.phasesEnded.push({ phaseIndex, result: action === 'fail' ? 'failed' : 'stopped', evaluation: evaluate(s.account, s.pack), account: s.account });
  s.status = action === 'fail' ? 'failed' : 'stopped';
  s.endedReason = `${action === 'fail' ? 'failed' : 'stopped'} by operations: ${reason}`;
}

/** Ops pass the current phase whatever its objectives say (audited by the caller). */
export function passByOps(s: AssessmentState, changes: Changes, reason: string, atMs: number): boolean {
  s.account = { ...s.account, status: 'passed' };
  const ended = settlePhase(s, changes, Math.max(atMs, s.account.lastEventAtMs));
  if (ended) s.endedReason = `passed by operations: ${reason}`;
  return ended;
}

/** The symbols the account holds positions in (whose prices move its equity). */
export function heldSymbols(s: AssessmentState): string[] {
  return [...new Set(s.account.positions.map((position) => position.symbol))].sort();
}

/** Funded phase: the profit not yet split, and the trader's share of it and fee refund (if the first). */
export function payableSplit(s: AssessmentState, priceMinor: bigint): { profitMinor: bigint; splitMinor: bigint; feeRefundMinor: bigint } {
  const profit = BigInt(s.account.balanceMinor) - BigInt(s.account.initialBalanceMinor) - BigInt(s.profitSplitPaidMinor);
  const profitMinor = profit > 0n ? profit : 0n;
  const splitMinor = (profitMinor * BigInt(s.pack.profitSplitBps)) / 10_000n;
  const feeRefundMinor = s.payoutsMade === 0 && s.pack.refundFeeOnFirstPayout && splitMinor > 0n ? priceMinor : 0n;
  return { profitMinor, splitMinor, feeRefundMinor };
}
