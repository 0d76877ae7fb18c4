// Validates a transfer request before it touches the database and computes its fingerprint: a hash of
// the request's canonical content, which tells an honest retry of an idempotency key from a reuse.
import { createHash } from 'node:crypto';
import { type Currency, isCurrency, MINOR_MAX } from '../../domain/core/money';
import { ACCOUNT_KEY_LENGTH_MAX, ACCOUNT_KEY_PATTERN } from './chart';
import { LedgerValidationError } from './errors';

export type Direction = 'debit' | 'credit';
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type TransferMetadata = Record<string, JsonValue>;
/** How a transfer is recorded: final at once, or reserved now and posted or voided later. */
export type TransferKind = 'posted' | 'pending';

export interface PostingInput {
  accountKey: string;
  direction: Direction;
  amountMinor: bigint;
}

export interface TransferRequest {
  /** Built from business identifiers (pool, round, member, purpose), never from run IDs or randomness. */
  idempotencyKey: string;
  currency: string;
  postings: PostingInput[];
  metadata?: TransferMetadata;
}

export interface ValidTransferRequest {
  idempotencyKey: string;
  currency: Currency;
  kind: TransferKind;
  /** Sorted by account key, which is also the order rows are locked in (fewer deadlocks). */
  postings: PostingInput[];
  metadata: TransferMetadata;
  fingerprint: string;
}

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]+$/;
export const IDEMPOTENCY_KEY_LENGTH_MAX = 200;
export const POSTINGS_PER_TRANSFER_MAX = 32;
export const METADATA_BYTES_MAX = 4_096;

const invalid = (message: string) => new LedgerValidationError('invalid_request', message);

export function validateIdempotencyKey(key: string): string {
  if (typeof key !== 'string' || key.length > IDEMPOTENCY_KEY_LENGTH_MAX || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw invalid(`idempotency key must be 1-${IDEMPOTENCY_KEY_LENGTH_MAX} printable ASCII characters without spaces`);
  }
  return key;
}

export function validateAccountKey(key: string): string {
  if (typeof key !== 'string' || key.length > ACCOUNT_KEY_LENGTH_MAX || !ACCOUNT_KEY_PATTERN.test(key)) {
    throw invalid(`account key ${JSON.stringify(key)} must be 1-${ACCOUNT_KEY_LENGTH_MAX} of A-Z a-z 0-9 _ : . -`);
  }
  return key;
}

export function validateTransferRequest(request: TransferRequest, kind: TransferKind): ValidTransferRequest {
  const idempotencyKey = validateIdempotencyKey(request.idempotencyKey);
  if (!isCurrency(request.currency)) throw invalid(`"${request.currency}" is not a lower-case ISO-4217 currency code`);
  const { postings } = request;
  if (!Array.isArray(postings) || postings.length < 2 || postings.length > POSTINGS_PER_TRANSFER_MAX) {
    throw invalid(`a transfer needs 2-${POSTINGS_PER_TRANSFER_MAX} postings`);
  }
  const seen = new Set<string>();
  let debitsMinor = 0n;
  let creditsMinor = 0n;
  for (const posting of postings) {
    validateAccountKey(posting.accountKey);
    if (seen.has(posting.accountKey)) {
      throw new LedgerValidationError('duplicate_account', `account "${posting.accountKey}" appears twice in one transfer`);
    }
    seen.add(posting.accountKey);
    if (typeof posting.amountMinor !== 'bigint' || posting.amountMinor <= 0n || posting.amountMinor > MINOR_MAX) {
      throw invalid(`posting to "${posting.accountKey}" needs an amount between 1 and ${MINOR_MAX} minor units`);
    }
    if (posting.direction === 'debit') debitsMinor += posting.amountMinor;
    else if (posting.direction === 'credit') creditsMinor += posting.amountMinor;
    else throw invalid(`posting to "${posting.accountKey}" has direction ${JSON.stringify(posting.direction)}`);
  }
  if (debitsMinor !== creditsMinor) {
    throw new LedgerValidationError('unbalanced', `debits (${debitsMinor}) and credits (${creditsMinor}) differ`);
  }
  if (debitsMinor > MINOR_MAX) throw new LedgerValidationError('overflow', `the transfer's total ${debitsMinor} exceeds INT8`);

  const metadata = request.metadata ?? {};
  if (typeof metadata !== 'object' || Array.isArray(metadata)) throw invalid('metadata must be an object');
  const metadataJson = canonicalJson(metadata);
  if (Buffer.byteLength(metadataJson) > METADATA_BYTES_MAX) throw invalid(`metadata exceeds ${METADATA_BYTES_MAX} bytes`);
  const sorted = postings
    .map(({ accountKey, direction, amountMinor }) => ({ accountKey, direction, amountMinor }))
    .sort((a, b) => (a.accountKey < b.accountKey ? -1 : 1));
  // Everything that defines the transfer goes into the fingerprint, in one order and one spelling.
  const canonical = JSON.stringify(['ledger-transfer/1', kind, request.currency, sorted.map((p) => [p.accountKey, p.direction, p.amountMinor.toString()])]);
  const fingerprint = createHash('sha256').update(canonical).update('\n').update(metadataJson).digest('hex');
  return { idempotencyKey, currency: request.currency, kind, postings: sorted, metadata, fingerprint };
}

/** JSON with object keys sorted at every level; refuses what JSON (or JSONB) cannot hold faithfully. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid('metadata numbers must be finite');
    return JSON.stringify(value);
  }
  if (typeof value === 'string') {
    // PostgreSQL's JSONB cannot store the NUL character.
    if (value.includes('\u0000')) throw invalid('metadata strings may not contain NUL');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${canonicalJson(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  throw invalid(`metadata may hold only JSON values, not ${typeof value}`);
}
