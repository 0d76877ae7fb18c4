// The three tiers Poolflow ships with, as rule packs: a two-step static-loss challenge, a one-step
// trailing end-of-day challenge, and a futures-style evaluation (trailing intraday equity, 5 pm New York).
import { parseRulePack, type RulePack, type RulePackInput } from './rule-pack';

/** The instruments every preset trades: the synthetic feed's symbols, and a prediction contract priced 0-1. */
const INSTRUMENTS: RulePackInput['instruments'] = [
  { symbol: 'BTC-USD', contractSize: '1', halfSpread: '5', commissionPerUnitMinor: '300' },
  { symbol: 'ETH-USD', contractSize: '1', halfSpread: '0.5', commissionPerUnitMinor: '50' },
  { symbol: 'SOL-USD', contractSize: '1', halfSpread: '0.02', commissionPerUnitMinor: '2' },
  { symbol: 'PRED-YES', contractSize: '1', halfSpread: '0.005', commissionPerUnitMinor: '1' },
];

type PhaseInput = RulePackInput['phases'][number];
type RuleInput = PhaseInput['rules'][number];

// Each tier's loss limits and caps hold in every phase, funded included: declared once per tier.

const twoStepLossLimits: RuleInput[] = [
  { type: 'daily-loss', limit: { kind: 'percent-of-initial', bps: 500 }, basis: 'equity', reference: 'previous-close-balance', severity: 'hard' },
  { type: 'max-loss', limit: { kind: 'percent-of-initial', bps: 1_000 }, mode: 'static', basis: 'equity', severity: 'hard' },
];
const twoStepPositionsCap: RuleInput = { type: 'max-open-positions', count: 20, severity: 'soft' };

/** A two-step evaluation phase: its own profit target and time limit within the tier's limits. */
const twoStepEvaluation = (name: string, kind: 'challenge' | 'verification', targetBps: number, days: number): PhaseInput => ({
  name,
  kind,
  rules: [
    { type: 'profit-target', target: { kind: 'percent-of-initial', bps: targetBps } },
    ...twoStepLossLimits,
    { type: 'min-trading-days', days: 4, countsWhen: { kind: 'position-opened' } },
    { type: 'time-limit', days },
    twoStepPositionsCap,
  ],
});

const twoStepStatic: RulePackInput = {
  tierId: 'two-step-100k',
  version: 1,
  name: 'Two-step challenge, $100,000, static maximum loss',
  currency: 'usd',
  priceMinor: '54000',
  accountSizeMinor: '10000000',
  tradingDay: { timeZone: 'Europe/Prague', resetTime: '00:00' },
  instruments: INSTRUMENTS,
  phases: [
    twoStepEvaluation('Challenge', 'challenge', 1_000, 30),
    twoStepEvaluation('Verification', 'verification', 500, 60),
    { name: 'Funded', kind: 'funded', rules: [...twoStepLossLimits, twoStepPositionsCap] },
  ],
  profitSplitBps: 8_000,
  refundFeeOnFirstPayout: true,
};

const oneStepLossLimits: RuleInput[] = [
  {
    type: 'daily-loss',
    limit: { kind: 'percent-of-initial', bps: 300 },
    basis: 'equity',
    reference: 'start-of-day-higher-of-balance-equity',
    severity: 'hard',
  },
  {
    type: 'max-loss',
    limit: { kind: 'percent-of-initial', bps: 600 },
    mode: 'trailing-end-of-day',
    basis: 'equity',
    lockAtInitialBalance: true,
    severity: 'hard',
  },
];
const oneStepCaps: RuleInput[] = [
  { type: 'risk-per-trade', maxBps: 200, severity: 'soft' },
  { type: 'max-open-positions', count: 10, severity: 'soft' },
];

const oneStepTrailingEod: RulePackInput = {
  tierId: 'one-step-50k',
  version: 1,
  name: 'One-step challenge, $50,000, trailing end-of-day maximum loss',
  currency: 'usd',
  priceMinor: '34500',
  accountSizeMinor: '5000000',
  tradingDay: { timeZone: 'UTC', resetTime: '00:00' },
  instruments: INSTRUMENTS,
  phases: [
    {
      name: 'Challenge',
      kind: 'challenge',
      rules: [
        { type: 'profit-target', target: { kind: 'percent-of-initial', bps: 1_000 } },
        ...oneStepLossLimits,
        { type: 'min-trading-days', days: 3, countsWhen: { kind: 'any-fill' } },
        ...oneStepCaps,
      ],
    },
    { name: 'Funded', kind: 'funded', rules: [...oneStepLossLimits, ...oneStepCaps] },
  ],
  profitSplitBps: 9_000,
};

const futuresLossLimits: RuleInput[] = [
  {
    type: 'max-loss',
    limit: { kind: 'amount', amountMinor: '250000' },
    mode: 'trailing-intraday-equity',
    basis: 'equity',
    lockAtInitialBalance: true,
    lockOffsetMinor: '10000',
    severity: 'hard',
  },
  { type: 'daily-loss', limit: { kind: 'amount', amountMinor: '100000' }, basis: 'equity', reference: 'previous-close-balance', severity: 'soft' },
];
const futuresSizeCap: RuleInput = { type: 'max-position-size', quantity: '10', severity: 'soft' };

const futuresStyle: RulePackInput = {
  tierId: 'futures-50k',
  version: 1,
  name: 'Futures-style evaluation, $50,000, trailing intraday drawdown',
  currency: 'usd',
  priceMinor: '16500',
  accountSizeMinor: '5000000',
  tradingDay: { timeZone: 'America/New_York', resetTime: '17:00' },
  instruments: INSTRUMENTS,
  phases: [
    {
      name: 'Evaluation',
      kind: 'challenge',
      rules: [
        { type: 'profit-target', target: { kind: 'amount', amountMinor: '300000' } },
        ...futuresLossLimits,
        { type: 'consistency', bestDayShareBelowBps: 5_000 },
        { type: 'min-trading-days', days: 5, countsWhen: { kind: 'any-fill' } },
        futuresSizeCap,
      ],
    },
    { name: 'Funded', kind: 'funded', rules: [...futuresLossLimits, futuresSizeCap] },
  ],
  profitSplitBps: 9_000,
};

/** The presets, validated by the same schema as any pack ops save. */
export const PRESET_PACKS: readonly RulePack[] = [twoStepStatic, oneStepTrailingEod, futuresStyle].map(parseRulePack);

export function presetPack(tierId: string): RulePack {
  const pack = PRESET_PACKS.find((candidate) => candidate.tierId === tierId);
  if (pack === undefined) throw new Error(`no preset tier "${tierId}"`);
  return pack;
}
