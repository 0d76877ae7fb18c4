// The configuration a fund manager gives a pool, as zod schemas shared by the API (validating requests)
// and the pool workflow (validating its input and updates), so both refuse exactly the same things.
// Each is built on first use (domain/core/lazy.ts): a workflow that never validates one pays nothing.
import { z } from 'zod';
import { lazily } from '../core/lazy';
import { isCurrency, MINOR_MAX } from '../core/money';

/** A pool never has more members than this; it bounds every per-member loop in a round. */
export const POOL_MEMBERS_MAX = 1_000;
export const DUNNING_ATTEMPTS_MAX = 5;
export const BASIS_POINTS_MAX = 10_000;

/**
 * An amount in minor units. Accepted as a JSON integer or a canonical decimal string (for amounts past
 * 2^53), always handed on as the canonical string; fractions, exponents and negatives are refused.
 */
export const minorAmount = lazily(() =>
  z.union([z.int().nonnegative(), z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'must be a whole number of minor units')]).transform((value, context) => {
    const amount = BigInt(value);
    if (amount > MINOR_MAX) {
      context.addIssue({ code: 'custom', message: 'is larger than the largest amount that can be stored' });
      return z.NEVER;
    }
    return amount.toString();
  }),
);

export const positiveMinorAmount = lazily(() => minorAmount.refine((value) => value !== '0', 'must be greater than zero'));

export const currencyCode = lazily(() => z.string().refine(isCurrency, 'must be a lower-case ISO-4217 currency code such as "usd"'));

const hourUtc = z.int().min(0).max(23);

/** How often rounds come: a fixed interval, or a day of the week or month at an hour (UTC). */
export const cadenceSchema = lazily(() =>
  z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('interval'), every: z.int().min(1).max(366), unit: z.enum(['hours', 'days', 'weeks']) }),
    z.strictObject({
      type: z.literal('weekly'),
      dayOfWeek: z.enum(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']),
      hourUtc,
    }),
    // Days 29-31 do not exist in every month, so a monthly cadence may only name days 1-28.
    z.strictObject({ type: z.literal('monthly'), dayOfMonth: z.int().min(1).max(28), hourUtc }),
  ]),
);
export type Cadence = z.infer<typeof cadenceSchema>;

export const DEFAULT_POLICIES = ['cover-from-reserve', 'suspend', 'expel'] as const;
export type DefaultPolicy = (typeof DEFAULT_POLICIES)[number];
export const PAYOUT_ORDERS = ['fixed', 'random', 'bid'] as const;

/** The fields of every kind of pool (a function: its schemas are built with the kind's). */
const commonFields = () => ({
  name: z.string().trim().min(1).max(120),
  currency: currencyCode,
  cadence: cadenceSchema,
  membersMin: z.int().min(2).max(POOL_MEMBERS_MAX),
  membersMax: z.int().min(2).max(POOL_MEMBERS_MAX),
  gracePeriodHours: z
    .int()
    .min(0)
    .max(24 * 30)
    .default(72),
  lateFeeMinor: minorAmount.default('0'),
  /** Hours after the first failed charge at which it is tried again. */
  dunningRetryHours: z
    .array(
      z
        .int()
        .min(1)
        .max(24 * 30),
    )
    .max(DUNNING_ATTEMPTS_MAX)
    .default([24, 48]),
  defaultPolicy: z.enum(DEFAULT_POLICIES).default('suspend'),
  platformFeeBps: z.int().min(0).max(2_000).default(0),
});

export const rotatingPoolConfig = lazily(() =>
  z.strictObject({
    kind: z.literal('rotating'),
    ...commonFields(),
    contributionMinor: positiveMinorAmount,
    payoutOrder: z.enum(PAYOUT_ORDERS).default('fixed'),
    /** How long members may bid before a bid round closes. */
    bidWindowHours: z
      .int()
      .min(1)
      .max(24 * 14)
      .default(24),
  }),
);

export const investmentPoolConfig = lazily(() =>
  z.strictObject({
    kind: z.literal('investment'),
    ...commonFields(),
    /** Each capital call asks for this share of every member's commitment. */
    capitalCallBps: z.int().min(1).max(BASIS_POINTS_MAX).default(2_500),
    managementFeeBps: z.int().min(0).max(1_000).default(0),
  }),
);

const checkMemberBounds = (config: { membersMin: number; membersMax: number }) => config.membersMin <= config.membersMax;
const boundsIssue = { message: 'membersMin must not exceed membersMax', path: ['membersMin'] };

export const poolConfigSchema = lazily(() => z.discriminatedUnion('kind', [rotatingPoolConfig, investmentPoolConfig]).refine(checkMemberBounds, boundsIssue));

export type PoolConfig = z.output<typeof poolConfigSchema>;
export type PoolConfigInput = z.input<typeof poolConfigSchema>;
