// The verdict and live view of an account: objectives and how far along they are, violations with their
// explanations, warnings at 80 % of a loss limit, and the exact room left today and overall.
import { type AccountState, type AccountStatus, type Violation, type Warning } from './account-state';
import { basisValueMinor, currentPhase, dailyLossFigures, deadlineMs, maxLossFigures } from './limits';
import { objectiveProgress, type ObjectiveProgress } from './objectives';
import { explainViolation, explainWarning } from './explain';
import { ruleOf, type PhaseKind, type RuleOf, type RulePack } from './rule-pack';
import { nextDayStartMs } from './trading-day';

export interface LiveFigures {
  day: string;
  balanceMinor: string;
  equityMinor: string;
  openPositions: number;
  /** The line today's daily-loss basis may not fall below, and how much may still be lost today. */
  dailyFloorMinor?: string;
  todayPermittedLossMinor?: string;
  /** The maximum-loss floor and how much may still be lost before it. */
  maxLossFloorMinor?: string;
  maximumPermittedLossMinor?: string;
  /** When today's trading day ends (the day-close timer), and the phase's deadline if it has one. */
  dayEndsAtMs: number;
  deadlineMs?: number;
}

export interface Evaluation {
  status: AccountStatus;
  phase: { index: number; name: string; kind: PhaseKind };
  objectives: ObjectiveProgress[];
  objectivesMet: boolean;
  violations: (Violation & { explanation: string })[];
  warnings: (Warning & { explanation: string })[];
  live: LiveFigures;
}

const nonNegative = (value: bigint): bigint => (value > 0n ? value : 0n);

type LossRule = RuleOf<'daily-loss'> | RuleOf<'max-loss'>;

/** The live fields that show each loss limit's floor and how much may still be lost before it. */
const LOSS_FIELDS = {
  'daily-loss': { floor: 'dailyFloorMinor', permitted: 'todayPermittedLossMinor' },
  'max-loss': { floor: 'maxLossFloorMinor', permitted: 'maximumPermittedLossMinor' },
} as const satisfies Record<LossRule['type'], { floor: keyof LiveFigures; permitted: keyof LiveFigures }>;

/**
 * Where the account stands against one loss limit: the floor, how much may still be lost before it, and
 * a warning once 80 % of the limit is used (until the floor is crossed, which is a violation instead).
 */
function lossStanding(state: AccountState, rule: LossRule): { floorMinor: string; permittedMinor: string; warning: Warning | null } {
  const { floorMinor, referenceMinor, limitMinor } = rule.type === 'daily-loss' ? dailyLossFigures(state, rule) : maxLossFigures(state, rule);
  const value = basisValueMinor(state, rule.basis);
  const used = referenceMinor - value;
  const warned = used * 10n >= limitMinor * 8n && value >= floorMinor;
  return {
    floorMinor: floorMinor.toString(),
    permittedMinor: nonNegative(value - floorMinor).toString(),
    warning: warned
      ? { rule: rule.type, atMs: state.lastEventAtMs, day: state.today.day, usedMinor: used.toString(), limitMinor: limitMinor.toString() }
      : null,
  };
}

/** The account's standing under its pack. Pure: the same state and pack always give the same evaluation. */
export function evaluate(state: AccountState, pack: RulePack): Evaluation {
  const phase = currentPhase(state, pack);
  const objectives = objectiveProgress(state, pack);
  const live: LiveFigures = {
    day: state.today.day,
    balanceMinor: state.balanceMinor,
    equityMinor: state.equityMinor,
    openPositions: state.positions.length,
    dayEndsAtMs: nextDayStartMs(pack.tradingDay, state.lastEventAtMs),
  };
  const warnings: Warning[] = [];
  for (const type of ['daily-loss', 'max-loss'] as const) {
    const rule = ruleOf(phase, type);
    if (rule === undefined) continue;
    const standing = lossStanding(state, rule);
    live[LOSS_FIELDS[type].floor] = standing.floorMinor;
    live[LOSS_FIELDS[type].permitted] = standing.permittedMinor;
    if (standing.warning) warnings.push(standing.warning);
  }
  const deadline = deadlineMs(state, pack);
  if (deadline !== undefined) live.deadlineMs = deadline;
  return {
    status: state.status,
    phase: { index: state.phaseIndex, name: phase.name, kind: phase.kind },
    objectives,
    objectivesMet: phase.kind !== 'funded' && objectives.every((objective) => objective.met),
    violations: state.violations.map((violation) => ({ ...violation, explanation: explainViolation(violation, pack.currency) })),
    warnings: warnings.map((warning) => ({ ...warning, explanation: explainWarning(warning, pack.currency) })),
    live,
  };
}
