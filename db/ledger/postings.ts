// An account's postings in the order they were written, a page at a time (keyset pagination, so a
// page costs the same however long the account's history is).
import type { Queryable } from '../pool';
import { LedgerValidationError } from './errors';
import { type Direction, validateAccountKey } from './transfer-request';
import type { TransferState } from './transfers';

export interface AccountPosting {
  transferId: string;
  idempotencyKey: string;
  /** The state of the posting's transfer: only 'posted' and 'posted_from_pending' postings are final. */
  state: TransferState;
  direction: Direction;
  amountMinor: bigint;
  createdAt: Date;
}

export interface AccountPostingsPage {
  postings: AccountPosting[];
  /** Pass as `afterTransferId` for the next page; null when this page is the last. */
  nextAfterTransferId: string | null;
}

export const POSTINGS_PAGE_MAX = 1_000;

const COLUMNS = `p.transfer_id, t.idempotency_key, t.state, p.direction, p.amount_minor, p.created_at`;

const FIRST_PAGE_SQL = `
  SELECT ${COLUMNS}
  FROM ledger_postings AS p JOIN ledger_transfers AS t ON t.transfer_id = p.transfer_id
  WHERE p.account_key = $1
  ORDER BY p.created_at, p.transfer_id
  LIMIT $2`;

// The cursor is a posting of this account; an unknown cursor yields an empty page.
const NEXT_PAGE_SQL = `
  SELECT ${COLUMNS}
  FROM ledger_postings AS c
  JOIN ledger_postings AS p ON p.account_key = c.account_key AND (p.created_at, p.transfer_id) > (c.created_at, c.transfer_id)
  JOIN ledger_transfers AS t ON t.transfer_id = p.transfer_id
  WHERE c.account_key = $1 AND c.transfer_id = $3
  ORDER BY p.created_at, p.transfer_id
  LIMIT $2`;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function listAccountPostings(
  db: Queryable,
  accountKey: string,
  page: { limit: number; afterTransferId?: string | null },
): Promise<AccountPostingsPage> {
  validateAccountKey(accountKey);
  if (!Number.isSafeInteger(page.limit) || page.limit < 1 || page.limit > POSTINGS_PAGE_MAX) {
    throw new LedgerValidationError('invalid_request', `page limit must be 1-${POSTINGS_PAGE_MAX}`);
  }
  const after = page.afterTransferId ?? null;
  if (after !== null && !UUID_PATTERN.test(after)) throw new LedgerValidationError('invalid_request', 'afterTransferId must be a transfer id');
  const { rows } = await db.query<{
    transfer_id: string;
    idempotency_key: string;
    state: TransferState;
    direction: Direction;
    amount_minor: bigint;
    created_at: Date;
  }>(after === null ? FIRST_PAGE_SQL : NEXT_PAGE_SQL, after === null ? [accountKey, page.limit] : [accountKey, page.limit, after]);
  const postings = rows.map((row) => ({
    transferId: row.transfer_id,
    idempotencyKey: row.idempotency_key,
    state: row.state,
    direction: row.direction,
    amountMinor: row.amount_minor,
    createdAt: row.created_at,
  }));
  return { postings, nextAfterTransferId: postings.length === page.limit ? postings.at(-1)!.transferId : null };
}
