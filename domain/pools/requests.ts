// The commands a pool takes, as zod schemas, and the reasons it refuses one. The workflow's update
// validators and the API check the very same schemas, each built on first use (domain/core/lazy.ts);
// a refusal's type maps to an HTTP status.
import { z } from 'zod';
import { lazily } from '../core/lazy';
import { minorAmount, positiveMinorAmount } from './pool-config';

const memberId = lazily(() => z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"'));

export const joinRequestSchema = lazily(() => z.strictObject({ memberId, commitmentMinor: positiveMinorAmount.optional() }));
export const leaveRequestSchema = lazily(() => z.strictObject({ memberId }));
export const replaceRequestSchema = lazily(() => z.strictObject({ outgoingMemberId: memberId, incomingMemberId: memberId }));
export const reasonSchema = lazily(() => z.strictObject({ reason: z.string().max(500).optional() }));
export const bidRequestSchema = lazily(() => z.strictObject({ memberId, round: z.int().min(1), discountMinor: minorAmount }));
export const distributeRequestSchema = lazily(() => z.strictObject({ amountMinor: positiveMinorAmount }));
/**
 * "Run the next round now": `round` names the round the caller expects to start (omitted: the next one,
 * when none is under way); `requestId` identifies the command across retries and continue-as-new.
 */
export const runRoundRequestSchema = lazily(() => z.strictObject({ round: z.int().min(1).optional(), requestId: z.string().min(1).max(200) }));

export type JoinRequest = z.output<typeof joinRequestSchema>;
export type ReplaceRequest = z.output<typeof replaceRequestSchema>;
export type BidRequest = z.output<typeof bidRequestSchema>;
export type DistributeRequest = z.output<typeof distributeRequestSchema>;

/** Why a command was refused; the API maps each type to an HTTP status. */
export const PoolRejection = {
  invalidRequest: 'InvalidRequest',
  invalidState: 'InvalidPoolState',
  full: 'PoolFull',
  alreadyMember: 'AlreadyMember',
  notMember: 'NotAMember',
  notEligible: 'NotEligible',
  roundInProgress: 'RoundInProgress',
  /**
   * The pool's run is handing over to its next run (continue-as-new): the command was not applied and
   * may be sent again at once, when it lands on the next run. Clients retry it (api/pools/pool-commands.ts).
   */
  handingOver: 'PoolHandingOver',
} as const;

export type Rejection = (typeof PoolRejection)[keyof typeof PoolRejection];

/** A refused command: its type and a message for the caller. */
export interface Refusal {
  type: Rejection;
  message: string;
}

export const refusal = (type: Rejection, message: string): Refusal => ({ type, message });

/** Parses a command, or says which fields are wrong. */
export function parseCommand<S extends z.ZodType>(schema: S, value: unknown): { ok: true; value: z.output<S> } | { ok: false; refusal: Refusal } {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    refusal: refusal(PoolRejection.invalidRequest, result.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ')),
  };
}
