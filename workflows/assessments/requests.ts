// What traders and ops may send an assessment, as zod schemas shared by the API (request bodies) and the
// workflow (update validators): market orders, imported fill batches, payouts and ops actions. Every
// list has a named maximum; prices and quantities are exact decimal strings.
import { z } from 'zod';
import { isDecimal, parseDecimal } from '../../domain/assessments/decimal';

/** Fills one import may carry. */
export const IMPORTED_FILLS_MAX = 200;
/** Reasons given by ops are kept whole in the audit trail, up to this length. */
export const REASON_LENGTH_MAX = 500;

const positiveDecimal = z
  .string()
  .max(24)
  .refine((text) => isDecimal(text) && parseDecimal(text) > 0n, 'must be a positive decimal such as "0.5" (at most 8 fractional digits)');
const symbol = z.string().regex(/^[A-Z0-9][A-Z0-9._-]{0,31}$/, 'must be an upper-case symbol such as BTC-USD');
const positionId = z.string().regex(/^[A-Za-z0-9_.:-]{1,160}$/, 'must be a position ID as the account lists it');
const externalId = z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be 1-100 of A-Z a-z 0-9 _ . : -');
const minor = z.string().regex(/^(0|[1-9][0-9]{0,15})$/, 'must be a non-negative integer amount in minor units, as a string');
/** Epoch milliseconds within years 2000-2100, so a typo in the unit is refused. */
const epochMs = z.int().min(946_684_800_000).max(4_102_444_800_000);

export const openOrderSchema = z.strictObject({
  action: z.literal('open'),
  symbol,
  side: z.enum(['long', 'short']),
  quantity: positiveDecimal,
  stopLoss: positiveDecimal.optional(),
  takeProfit: positiveDecimal.optional(),
});
export const closeOrderSchema = z.strictObject({ action: z.literal('close'), positionId, quantity: positiveDecimal.optional() });
export const orderRequestSchema = z.discriminatedUnion('action', [openOrderSchema, closeOrderSchema]).meta({ id: 'AssessmentOrder' });
export type OrderRequest = z.infer<typeof orderRequestSchema>;

const importedOpen = z.strictObject({
  externalId,
  kind: z.literal('open'),
  symbol,
  side: z.enum(['long', 'short']),
  quantity: positiveDecimal,
  price: positiveDecimal,
  commissionMinor: minor,
  executedAtMs: epochMs,
  stopLoss: positiveDecimal.optional(),
  takeProfit: positiveDecimal.optional(),
});
const importedClose = z.strictObject({
  externalId,
  kind: z.literal('close'),
  /** The externalId of the fill that opened the position. */
  openedBy: externalId,
  quantity: positiveDecimal,
  price: positiveDecimal,
  commissionMinor: minor,
  executedAtMs: epochMs,
});
export const importedFillSchema = z.discriminatedUnion('kind', [importedOpen, importedClose]);
export const fillBatchSchema = z
  .strictObject({ fills: z.array(importedFillSchema).min(1).max(IMPORTED_FILLS_MAX) })
  .refine((batch) => new Set(batch.fills.map((fill) => fill.externalId)).size === batch.fills.length, 'externalId must be unique within a batch')
  .meta({ id: 'AssessmentFillBatch' });
export type FillBatch = z.infer<typeof fillBatchSchema>;

export const opsActionSchema = z
  .strictObject({
    action: z.enum(['override-pass', 'override-fail', 'emergency-stop', 'resume']),
    reason: z.string().trim().min(5).max(REASON_LENGTH_MAX),
  })
  .meta({ id: 'AssessmentOpsAction' });
export type OpsActionRequest = z.infer<typeof opsActionSchema>;

/** The position ID an order or an imported fill gives the position it opens. */
export const orderFillId = (orderKey: string) => `o:${orderKey}`;
export const importedFillId = (externalId: string) => `x:${externalId}`;
