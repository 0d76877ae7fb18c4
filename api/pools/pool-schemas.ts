// The pools API's request and response schemas: what the route definitions in api/pools/pools.ts,
// api/pools/members.ts, api/audit.ts and api/probes.ts validate and document. Amounts cross the API as
// decimal strings of minor units; times as ISO-8601 strings.
import { z } from 'zod';
import { PAYOUT_DRAW_SCHEME } from '../../domain/pools/payout-draw';
import { poolConfigSchema } from '../../domain/pools/pool-config';
import { POOL_STATUSES } from '../../domain/pools/pool-lifecycle';
import { ID_PART_PATTERN } from '../../temporal-config/workflow-ids';
import { POOL_ID_PATTERN } from './pool-access';

/** The pages the list routes return at most. */
export const POOLS_PAGE_MAX = 100;
export const AUDIT_PAGE_MAX = 200;
/** Rounds are numbered from 1; no pool runs more than this many. */
export const ROUND_NUMBER_MAX = 1_000_000;

const minorString = z.string().regex(/^-?\d+$/, 'a whole number of minor units');
const isoTime = z.iso.datetime({ offset: true });
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

// --- Path parameters --------------------------------------------------------------------------------
// A pool ID is checked by the access middleware (404 for anything else) before these run.

const poolIdParam = z.string().regex(POOL_ID_PATTERN);
const memberIdParam = z.string();
const roundParam = z.coerce.number().int().min(1).max(ROUND_NUMBER_MAX);

export const poolParams = z.object({ poolId: poolIdParam });
export const poolMemberParams = z.object({ poolId: poolIdParam, memberId: memberIdParam });
export const poolRoundParams = z.object({ poolId: poolIdParam, round: roundParam });

// --- Requests -----------------------------------------------------------------------------------------

export const listPoolsQuery = z.strictObject({
  status: z.enum(POOL_STATUSES).optional(),
  kind: z.enum(['rotating', 'investment']).optional(),
  limit: z.coerce.number().int().min(1).max(POOLS_PAGE_MAX).default(20),
  /** The created_at of the last pool on the previous page, as returned in `next`. */
  before: z.iso.datetime().optional(),
});

export const acceptInvitationBody = z.strictObject({
  memberId: z.string().optional(),
  commitmentMinor: z.union([z.string(), z.number()]).optional(),
  /** The member's agreement to be charged off-session for this pool, on its terms: must be given. */
  agreeToCharges: z.literal(true, "must be true: joining means agreeing to be charged off-session on the pool's terms"),
});
export const invitationBody = z.strictObject({ memberId: z.string().regex(ID_PART_PATTERN, 'must be 1-64 letters, digits, "_" or "-"') });
export const roundTriggerBody = z.strictObject({ round: z.int().min(1).max(ROUND_NUMBER_MAX).optional() });

export const auditQuery = z.strictObject({
  poolId: z.string().regex(POOL_ID_PATTERN).optional(),
  subject: z.string().min(1).max(200).optional(),
  before: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(50),
});

// --- Responses ----------------------------------------------------------------------------------------

const memberView = z.object({
  memberId: z.string(),
  status: z.enum(['active', 'suspended', 'expelled', 'left']),
  joinSeq: z.int(),
  commitmentMinor: minorString.nullable(),
  paidInMinor: minorString,
  arrearsMinor: minorString,
  received: z.boolean(),
  replacedMemberId: z.string().nullable(),
});

const roundSummary = z.object({
  round: z.int(),
  kind: z.enum(['contribution', 'distribution']),
  potMinor: minorString,
  feeMinor: minorString,
  discountMinor: minorString,
  winnerMemberId: z.string().nullable(),
  paidCount: z.int(),
  defaultedCount: z.int(),
});

export const poolView = z
  .object({
    poolId: z.string(),
    managerId: z.string(),
    config: poolConfigSchema,
    status: z.enum(POOL_STATUSES),
    members: z.array(memberView),
    payoutOrder: z.array(z.string()).nullable(),
    roundsCompleted: z.int(),
    roundsPlanned: z.int(),
    roundInProgress: z.int().nullable(),
    bidding: z.object({ round: z.int(), closesAt: z.string(), bids: z.int() }).nullable(),
    potMinor: minorString,
    recentRounds: z.array(roundSummary),
    roundEscalation: z.object({ round: z.int(), reason: z.string() }).nullable().optional(),
    drawCommitment: sha256Hex.optional().describe("SHA-256 of the server-held secret that seeds the pool's draws, fixed at creation"),
    payoutDraw: z
      .object({
        scheme: z.literal(PAYOUT_DRAW_SCHEME),
        commitment: sha256Hex,
        secret: sha256Hex,
        poolId: z.string(),
        memberIds: z.array(z.string()),
        seed: sha256Hex,
      })
      .optional()
      .describe('Published at activation, so that anyone can check the payout order'),
    version: z.int(),
  })
  .meta({ id: 'PoolView', description: "A pool as its workflow last reported it: the source of every pool's read model" });

export const poolPage = z.object({ pools: z.array(poolView), next: isoTime.nullable().describe('Pass as `before` for the next page; null on the last') });

export const invitation = z
  .object({
    poolId: z.string(),
    memberId: z.string(),
    invitedBy: z.string(),
    replacesMemberId: z.string().nullable(),
    createdAt: isoTime,
    acceptUrl: z.string(),
  })
  .meta({ id: 'Invitation' });

export const invitationsPage = z.object({ invitations: z.array(invitation.extend({ terms: poolConfigSchema.nullable() })) });

export const roundTriggered = z.object({ triggered: z.literal(true), round: z.int(), nextRound: z.int() });

const chargeState = z.enum(['charging', 'processing', 'failed', 'paid', 'covered', 'defaulted', 'refunded']);
export const roundInProgress = z.object({
  round: z.int(),
  status: z.literal('in-progress'),
  progress: z.object({
    round: z.int(),
    phase: z.enum(['collecting', 'collection-escalated', 'paying-out', 'payout-escalated', 'done']),
    members: z.array(z.object({ memberId: z.string(), state: chargeState, attempts: z.int(), paymentIntentId: z.string().nullable() })),
  }),
});
export const roundFinished = z.object({
  round: z.int(),
  status: z.literal('finished'),
  kind: z.enum(['contribution', 'distribution']),
  potMinor: minorString,
  feeMinor: minorString,
  discountMinor: minorString,
  winnerMemberId: z.string().nullable(),
  finishedAt: isoTime,
  contributions: z.array(
    z.object({
      memberId: z.string(),
      outcome: z.string(),
      paidMinor: minorString,
      lateFeeMinor: minorString,
      paymentIntentId: z.string().nullable().describe('Only for the member themselves and operations'),
      failureCode: z.string().nullable().describe('Only for the member themselves and operations'),
    }),
  ),
  payouts: z.array(z.object({ memberId: z.string(), purpose: z.string(), amountMinor: minorString })),
});
export const roundReport = z.union([roundFinished, roundInProgress]).meta({ id: 'Round' });

export const poolLedger = z.object({
  currency: z.string(),
  balances: z.array(
    z.object({
      account: z.string(),
      debitsPostedMinor: minorString,
      creditsPostedMinor: minorString,
      debitsPendingMinor: minorString,
      creditsPendingMinor: minorString,
      balanceMinor: minorString,
    }),
  ),
  potEntries: z.array(
    z.object({
      transferId: z.string(),
      idempotencyKey: z.string(),
      state: z.string(),
      direction: z.enum(['debit', 'credit']),
      amountMinor: minorString,
      createdAt: isoTime,
    }),
  ),
  invariants: z.object({ balanced: z.boolean(), violations: z.array(z.object({ kind: z.string(), subject: z.string(), detail: z.string() })) }),
});

export const auditPage = z.object({
  events: z.array(
    z.object({
      at: isoTime,
      subject: z.string(),
      role: z.string(),
      method: z.string(),
      path: z.string(),
      poolId: z.string().nullable(),
      requestId: z.string(),
      outcome: z.int(),
    }),
  ),
  next: isoTime.nullable(),
});

export const probeRecord = z.object({ probeId: z.string(), message: z.string(), createdAt: z.string() });
