// Tiers as versioned rule packs: the schema every pack is validated against (by the API when ops save one
// and by the workflow when an assessment starts), and the pack's life draft -> active -> superseded.
// A pack is data: every rule names its parameters, its basis and what a breach does.
import { z } from 'zod';
import { assertNever } from '../pools/pool-lifecycle';
import { currencyCode, minorAmount, positiveMinorAmount } from '../pools/pool-config';
import { isDecimal, parseDecimal } from './decimal';
import { TIME_ZONES } from './trading-day';

export const PHASES_MAX = 4;
export const RULES_PER_PHASE_MAX = 16;
export const INSTRUMENTS_MAX = 64;
const BPS_MAX = 10_000;

const bps = z.int().min(1).max(BPS_MAX);
const positiveDecimal = z
  .string()
  .refine(isDecimal, 'must be a decimal such as "0.5" with at most 8 fractional digits')
  .refine((text) => isDecimal(text) && parseDecimal(text) > 0n, 'must be greater than zero');
const nonNegativeDecimal = z
  .string()
  .refine(isDecimal, 'must be a decimal such as "0.5" with at most 8 fractional digits')
  .refine((text) => isDecimal(text) && parseDecimal(text) >= 0n, 'must not be negative');

/** Hard: the phase fails at once. Soft: the order is refused, or the account is paused until the next trading day. */
export const severitySchema = z.enum(['hard', 'soft']);
export type Severity = z.infer<typeof severitySchema>;

/**
 * A limit stated as a share of the initial balance, as a share of the balance the trading day started
 * with (daily loss only: programs that let the daily limit grow with the account), or as a fixed amount.
 */
export const limitAmountSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('percent-of-initial'), bps }),
  z.strictObject({ kind: z.literal('percent-of-day-start-balance'), bps }),
  z.strictObject({ kind: z.literal('amount'), amountMinor: positiveMinorAmount }),
]);
export type LimitAmount = z.infer<typeof limitAmountSchema>;

/** A breach is counted only once the limit is exceeded by more than this many minor units. */
const toleranceMinor = minorAmount.default('0');

export const dayBoundarySchema = z.strictObject({
  timeZone: z.enum(TIME_ZONES),
  resetTime: z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be a time of day HH:MM'),
});

/** Limits measured against the whole phase: a share of the initial balance or an amount. */
const phaseLimitSchema = limitAmountSchema.refine(
  (limit) => limit.kind !== 'percent-of-day-start-balance',
  "a share of the day's starting balance applies to the daily loss only",
);

const profitTarget = z.strictObject({
  type: z.literal('profit-target'),
  target: phaseLimitSchema,
  /** Whether the target counts only with every position closed (it is then measured on the balance). */
  requireFlat: z.boolean().default(true),
});

const dailyLoss = z.strictObject({
  type: z.literal('daily-loss'),
  limit: limitAmountSchema,
  /** balance: realised P/L, commissions and swaps. equity: the balance plus floating P/L of open positions. */
  basis: z.enum(['balance', 'equity']),
  /** What today's loss is measured from: the previous day's closing balance, or the higher of start-of-day balance and equity. */
  reference: z.enum(['previous-close-balance', 'start-of-day-higher-of-balance-equity']),
  severity: severitySchema,
  toleranceMinor,
});

const maxLoss = z.strictObject({
  type: z.literal('max-loss'),
  limit: phaseLimitSchema,
  /**
   * static: the floor is the initial balance less the limit. trailing-end-of-day: it follows the highest
   * end-of-day balance. trailing-intraday-equity: it follows the highest equity seen on any price.
   */
  mode: z.enum(['static', 'trailing-end-of-day', 'trailing-intraday-equity']),
  basis: z.enum(['balance', 'equity']),
  /** A trailing floor stops rising once it reaches the initial balance plus lockOffsetMinor. */
  lockAtInitialBalance: z.boolean().default(false),
  lockOffsetMinor: minorAmount.default('0'),
  severity: severitySchema,
  toleranceMinor,
});

/** What makes a trading day count towards the minimum. */
export const countedDaySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('any-fill') }),
  z.strictObject({ kind: z.literal('position-opened') }),
  z.strictObject({ kind: z.literal('min-profit'), amountMinor: positiveMinorAmount }),
]);

const minTradingDays = z.strictObject({
  type: z.literal('min-trading-days'),
  days: z.int().min(1).max(366),
  countsWhen: countedDaySchema.default({ kind: 'any-fill' }),
});

const timeLimit = z.strictObject({
  type: z.literal('time-limit'),
  /** Calendar days from the phase start; the phase fails when they end with an objective unmet. */
  days: z.int().min(1).max(366),
});

const riskPerTrade = z.strictObject({
  type: z.literal('risk-per-trade'),
  /** The loss if the stop-loss is hit, as a share of the balance when the position opens. */
  maxBps: bps,
  /** position: each position alone. symbol: the new position plus every open one in the same symbol. */
  scope: z.enum(['position', 'symbol']).default('position'),
  severity: severitySchema,
  toleranceMinor,
});

const consistency = z.strictObject({
  type: z.literal('consistency'),
  /** The best day's profit must stay strictly below this share of the total profit. */
  bestDayShareBelowBps: bps,
});

const maxOpenPositions = z.strictObject({ type: z.literal('max-open-positions'), count: z.int().min(1).max(200), severity: severitySchema });

const maxPositionSize = z.strictObject({
  type: z.literal('max-position-size'),
  /** The largest total quantity open in one symbol. */
  quantity: positiveDecimal,
  severity: severitySchema,
});

export const ruleSchema = z.discriminatedUnion('type', [
  profitTarget,
  dailyLoss,
  maxLoss,
  minTradingDays,
  timeLimit,
  riskPerTrade,
  consistency,
  maxOpenPositions,
  maxPositionSize,
]);
export type Rule = z.infer<typeof ruleSchema>;
export type RuleType = Rule['type'];
export type RuleOf<T extends RuleType> = Extract<Rule, { type: T }>;

export const PHASE_KINDS = ['challenge', 'verification', 'funded'] as const;
export type PhaseKind = (typeof PHASE_KINDS)[number];

export const phaseSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(60),
    kind: z.enum(PHASE_KINDS),
    rules: z.array(ruleSchema).max(RULES_PER_PHASE_MAX),
  })
  .refine((phase) => new Set(phase.rules.map((rule) => rule.type)).size === phase.rules.length, 'a phase has at most one rule of each type')
  .refine(
    (phase) => phase.kind === 'funded' || phase.rules.some((rule) => rule.type === 'profit-target'),
    'a challenge or verification phase needs a profit target',
  )
  .refine((phase) => phase.kind !== 'funded' || !phase.rules.some((rule) => rule.type === 'profit-target'), 'a funded phase has no profit target');
export type Phase = z.infer<typeof phaseSchema>;

/** How an instrument trades: its contract size, the spread around the quoted price and the commission. */
export const instrumentSchema = z.strictObject({
  symbol: z.string().regex(/^[A-Z0-9][A-Z0-9._-]{0,31}$/, 'must be an upper-case symbol such as BTC-USD'),
  /** Currency units per one unit of price per one unit of quantity. */
  contractSize: positiveDecimal,
  /** Buys fill at price + halfSpread and longs are valued at price - halfSpread; sells the other way. */
  halfSpread: nonNegativeDecimal,
  /** Commission per unit of quantity per fill, rounded up to a whole minor unit. */
  commissionPerUnitMinor: minorAmount.default('0'),
});
export type Instrument = z.infer<typeof instrumentSchema>;

export const rulePackSchema = z
  .strictObject({
    /** A stable slug for the tier; versions of one tier share it. */
    tierId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lower-case slug'),
    version: z.int().min(1).max(1_000_000),
    name: z.string().trim().min(1).max(120),
    currency: currencyCode,
    priceMinor: positiveMinorAmount,
    accountSizeMinor: positiveMinorAmount,
    /** One trading day for every rule of the pack: daily loss, trading-day counts and consistency agree on it. */
    tradingDay: dayBoundarySchema,
    instruments: z.array(instrumentSchema).min(1).max(INSTRUMENTS_MAX),
    phases: z.array(phaseSchema).min(1).max(PHASES_MAX),
    /** The trader's share of funded-phase profit. */
    profitSplitBps: z.int().min(0).max(BPS_MAX).default(8_000),
    refundFeeOnFirstPayout: z.boolean().default(false),
  })
  .refine((pack) => new Set(pack.instruments.map((instrument) => instrument.symbol)).size === pack.instruments.length, 'instrument symbols must be unique');
export type RulePack = z.infer<typeof rulePackSchema>;
/** What ops send: the schema's input side (defaults may be left out). */
export type RulePackInput = z.input<typeof rulePackSchema>;

export function parseRulePack(input: unknown): RulePack {
  return rulePackSchema.parse(input);
}

/** The rule of `type` in a phase, if it has one. */
export function ruleOf<T extends RuleType>(phase: Phase, type: T): RuleOf<T> | undefined {
  return phase.rules.find((rule): rule is RuleOf<T> => rule.type === type);
}

/**
 * A limit in minor units for an account that started with `initialMinor` and began today with
 * `dayStartBalanceMinor` (the schema allows that kind for daily loss only). Percentages round down.
 */
export function limitMinor(limit: LimitAmount, initialMinor: bigint, dayStartBalanceMinor: bigint = initialMinor): bigint {
  switch (limit.kind) {
    case 'amount':
      return BigInt(limit.amountMinor);
    case 'percent-of-initial':
      return (initialMinor * BigInt(limit.bps)) / BigInt(BPS_MAX);
    case 'percent-of-day-start-balance':
      return (dayStartBalanceMinor * BigInt(limit.bps)) / BigInt(BPS_MAX);
    default:
      return assertNever(limit);
  }
}

// The pack's life. Only an active pack is sold; activating a new version supersedes the tier's active one,
// while assessments keep the exact version they were bought with.
export const PACK_STATUSES = ['draft', 'active', 'superseded'] as const;
export type PackStatus = (typeof PACK_STATUSES)[number];
export type PackCommand = 'activate' | 'supersede';

const PACK_TRANSITIONS: Record<PackStatus, Partial<Record<PackCommand, PackStatus>>> = {
  draft: { activate: 'active' },
  active: { supersede: 'superseded' },
  superseded: {},
};

/** The status `command` leads to, or undefined when it is not allowed from `status`. */
export function nextPackStatus(status: PackStatus, command: PackCommand): PackStatus | undefined {
  return PACK_TRANSITIONS[status][command];
}

export interface PackVersionStatus {
  version: number;
  status: PackStatus;
}

/**
 * The status changes that activating `version` of a tier makes: that draft becomes active and the tier's
 * currently active version, if any, is superseded. Throws when `version` is not a draft of the tier.
 */
export function activationChanges(versions: readonly PackVersionStatus[], version: number): PackVersionStatus[] {
  const target = versions.find((entry) => entry.version === version);
  if (target === undefined) throw new RulePackError(`version ${version} does not exist`);
  const activated = nextPackStatus(target.status, 'activate');
  if (activated === undefined) throw new RulePackError(`version ${version} is ${target.status}; only a draft can be activated`);
  const superseded = versions
    .filter((entry) => entry.status === 'active')
    .map((entry) => ({ version: entry.version, status: nextPackStatus(entry.status, 'supersede')! }));
  return [...superseded, { version, status: activated }];
}

/** Thrown for a pack lifecycle command that its current status does not allow. */
export class RulePackError extends Error {
  override name = 'RulePackError';
}
