// Shapes of the assessment routes (the tier slug, the responses), named in the OpenAPI document. Money
// is minor units as decimal strings; the workflow's evaluation is passed through as the domain defines it.
import { z } from 'zod';
import type { AssessmentRow } from '../../db/assessments/assessments';
import type { RulePackRow } from '../../db/assessments/rule-packs';

const minor = z.string().regex(/^-?\d+$/);
const json = z.record(z.string(), z.unknown());

/** A tier's slug, as tiers are named in paths and purchases. */
export const tierSlug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a tier slug');
export const tierParam = z.object({ tier: tierSlug });

export const tierSchema = z
  .object({
    packId: z.string(),
    tier: z.string(),
    version: z.int(),
    status: z.enum(['draft', 'active', 'superseded']),
    name: z.string(),
    priceMinor: minor,
    currency: z.string(),
    pack: json,
  })
  .meta({ id: 'AssessmentTier' });

export const tierView = (row: RulePackRow): z.infer<typeof tierSchema> => ({
  packId: row.packId,
  tier: row.tier,
  version: row.version,
  status: row.status,
  name: row.pack.name,
  priceMinor: row.priceMinor.toString(),
  currency: row.currency,
  pack: row.pack as unknown as Record<string, unknown>,
});

export const assessmentSchema = z
  .object({
    assessmentId: z.string(),
    tier: z.string(),
    packId: z.string(),
    displayName: z.string(),
    status: z.string(),
    phaseIndex: z.int(),
    priceMinor: minor,
    currency: z.string(),
    paymentIntentId: z.string().nullable(),
    declineCode: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    verdict: z.unknown(),
    standing: z.unknown(),
  })
  .meta({ id: 'Assessment' });

export const assessmentView = (row: AssessmentRow, standing?: unknown): z.infer<typeof assessmentSchema> => ({
  assessmentId: row.assessmentId,
  tier: row.tier,
  packId: row.packId,
  displayName: row.displayName,
  status: row.status,
  phaseIndex: row.phaseIndex,
  priceMinor: row.priceMinor.toString(),
  currency: row.currency,
  paymentIntentId: row.paymentIntentId,
  declineCode: row.declineCode,
  createdAt: row.createdAt.toISOString(),
  startedAt: row.startedAt?.toISOString() ?? null,
  endedAt: row.endedAt?.toISOString() ?? null,
  verdict: row.verdict ?? null,
  standing: standing ?? row.summary ?? null,
});

export const purchaseSchema = z
  .object({
    assessment: assessmentSchema,
    payment: z.object({
      status: z.enum(['succeeded', 'processing', 'declined', 'authentication_required']),
      paymentIntentId: z.string().nullable(),
      declineCode: z.string().nullable(),
    }),
  })
  .meta({ id: 'AssessmentPurchase' });

export const workflowResultSchema = z.object({ view: json }).catchall(z.unknown()).meta({ id: 'AssessmentCommandResult' });

export const violationSchema = z.object({ phaseIndex: z.int(), rule: z.string(), severity: z.string(), occurredAt: z.string(), detail: z.unknown() });

export const leaderboardSchema = z
  .object({ tier: z.string(), rows: z.array(z.object({ rank: z.int(), assessmentId: z.string(), displayName: z.string(), returnBps: z.number() })) })
  .meta({ id: 'AssessmentLeaderboard' });
