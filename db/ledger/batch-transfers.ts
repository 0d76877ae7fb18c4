// Posts many transfers in one SERIALIZABLE transaction and one statement: each keeps its own
// idempotency key (an honest retry of a batch, or of part of one, records nothing twice), while the
// accounts they share are updated once with the batch's net amounts. A round records its members'
// contributions this way, so the pot's row is written once per batch instead of once per member.
import type { Currency } from '../../domain/core/money';
import type { Db, Queryable } from '../pool';
import { transaction, type TransactionOptions } from '../transaction';
import { LedgerConflictError, LedgerFloorError, LedgerValidationError } from './errors';
import { type TransferRequest, validateTransferRequest, type ValidTransferRequest } from './transfer-request';

/** The most transfers one batch records (a 1,000-member round's contributions fit in one). */
export const TRANSFERS_PER_BATCH_MAX = 1_000;

export interface BatchTransferOutcome {
  idempotencyKey: string;
  transferId: string;
  /** True when this key had already recorded this very transfer: nothing was written for it. */
  replayed: boolean;
}

// $1-$4: one row per transfer (key, currency, fingerprint, metadata as JSON text), in request order;
// $5-$8: one row per leg (its transfer's position, account, direction, amount). Only transfers whose
// key is new are inserted; their legs are summed per account, and each account is updated once, within
// its floor, which is checked against the batch's net effect (the batch commits whole or not at all).
// Postings are written for moved accounts only, so that an unknown account is explained, not a
// foreign-key error.
const POST_BATCH_SQL = `
  WITH transfers AS (
    SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[]) WITH ORDINALITY
      AS t (idempotency_key, currency, fingerprint, metadata, position)
  ),
  legs AS (
    SELECT * FROM unnest($5::INT8[], $6::TEXT[], $7::TEXT[], $8::INT8[]) AS l (position, account_key, direction, amount_minor)
  ),
  inserted AS (
    INSERT INTO ledger_transfers (idempotency_key, currency, fingerprint, state, metadata)
    SELECT idempotency_key, currency, fingerprint, 'posted', metadata::JSONB FROM transfers
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING transfer_id, idempotency_key, currency, created_at
  ),
  new_legs AS (
    SELECT i.transfer_id, i.currency, i.created_at, l.account_key, l.direction, l.amount_minor
    FROM inserted AS i JOIN transfers AS t ON t.idempotency_key = i.idempotency_key JOIN legs AS l ON l.position = t.position
  ),
  deltas AS (
    SELECT account_key, currency,
      SUM(CASE WHEN direction = 'debit' THEN amount_minor ELSE 0 END)::INT8 AS debits,
      SUM(CASE WHEN direction = 'credit' THEN amount_minor ELSE 0 END)::INT8 AS credits
    FROM new_legs GROUP BY account_key, currency
  ),
  moved AS (
    UPDATE ledger_accounts AS a SET
      debits_posted = a.debits_posted + d.debits,
      credits_posted = a.credits_posted + d.credits
    FROM deltas AS d
    WHERE a.account_key = d.account_key
      AND a.currency = d.currency
      AND (a.floor <> 'debits_must_not_exceed_credits' OR a.debits_posted + d.debits + a.debits_pending <= a.credits_posted + d.credits)
      AND (a.floor <> 'credits_must_not_exceed_debits' OR a.credits_posted + d.credits + a.credits_pending <= a.debits_posted + d.debits)
    RETURNING a.account_key, a.currency
  ),
  written AS (
    INSERT INTO ledger_postings (transfer_id, account_key, direction, amount_minor, created_at)
    SELECT n.transfer_id, n.account_key, n.direction, n.amount_minor, n.created_at
    FROM new_legs AS n JOIN moved AS m ON m.account_key = n.account_key AND m.currency = n.currency
  )
  SELECT
    ARRAY(SELECT idempotency_key FROM inserted) AS inserted_keys,
    ARRAY(SELECT transfer_id::TEXT FROM inserted) AS inserted_ids,
    ARRAY(SELECT account_key || ' ' || currency FROM moved) AS moved_keys`;

/**
 * Records every transfer (all final at once) or none. A key already recorded with the same content is
 * a replay and is reported as such; with other content it is a LedgerConflictError and nothing of the
 * batch is written. A floor broken by the batch's net effect on an account is a LedgerFloorError naming
 * the batch's transfers that touch it.
 */
export async function postTransfers(db: Db, requests: TransferRequest[], options?: TransactionOptions): Promise<BatchTransferOutcome[]> {
  if (!Array.isArray(requests) || requests.length === 0 || requests.length > TRANSFERS_PER_BATCH_MAX) {
    throw new LedgerValidationError('invalid_request', `a batch holds 1-${TRANSFERS_PER_BATCH_MAX} transfers`);
  }
  const valid = requests.map((request) => validateTransferRequest(request, 'posted'));
  const keys = new Set<string>();
  for (const request of valid) {
    if (keys.has(request.idempotencyKey))
      throw new LedgerValidationError('invalid_request', `idempotency key "${request.idempotencyKey}" appears twice in one batch`);
    keys.add(request.idempotencyKey);
  }
  const params = batchParams(valid);

  return transaction(
    db,
    async (client) => {
      const { rows } = await client.query<{ inserted_keys: string[]; inserted_ids: string[]; moved_keys: string[] }>({
        name: 'ledger_post_batch',
        text: POST_BATCH_SQL,
        values: params,
      });
      const { inserted_keys: insertedKeys, inserted_ids: insertedIds, moved_keys: movedKeys } = rows[0]!;
      const transferIdOf = new Map(insertedKeys.map((key, i) => [key, insertedIds[i]!]));
      const inserted = valid.filter((request) => transferIdOf.has(request.idempotencyKey));
      // Moved accounts come back as "account currency": an account met in two currencies moves once at most.
      const touched = new Set(inserted.flatMap((request) => request.postings.map((p) => `${p.accountKey} ${request.currency}`)));
      if (movedKeys.length !== touched.size) await explainBatchRefusal(client, inserted, new Set(movedKeys));

      const replays = valid.filter((request) => !transferIdOf.has(request.idempotencyKey));
      if (replays.length > 0) {
        const { rows: existing } = await client.query<{ idempotency_key: string; transfer_id: string; fingerprint: string }>(
          'SELECT idempotency_key, transfer_id::TEXT AS transfer_id, fingerprint FROM ledger_transfers WHERE idempotency_key = ANY($1::TEXT[])',
          [replays.map((request) => request.idempotencyKey)],
        );
        const byKey = new Map(existing.map((row) => [row.idempotency_key, row]));
        for (const request of replays) {
          const row = byKey.get(request.idempotencyKey);
          // ON CONFLICT saw the row, so it is visible here; anything else is a fault worth a retry.
          if (!row) throw new Error(`transfer "${request.idempotencyKey}" conflicted but cannot be read`);
          if (row.fingerprint !== request.fingerprint) throw new LedgerConflictError(request.idempotencyKey);
          transferIdOf.set(request.idempotencyKey, row.transfer_id);
        }
      }
      return valid.map((request) => ({
        idempotencyKey: request.idempotencyKey,
        transferId: transferIdOf.get(request.idempotencyKey)!,
        replayed: !inserted.includes(request),
      }));
    },
    options,
  );
}

function batchParams(valid: ValidTransferRequest[]): unknown[] {
  const legPositions: number[] = [];
  const legAccounts: string[] = [];
  const legDirections: string[] = [];
  const legAmounts: string[] = [];
  valid.forEach((request, index) => {
    for (const posting of request.postings) {
      legPositions.push(index + 1); // WITH ORDINALITY counts from 1
      legAccounts.push(posting.accountKey);
      legDirections.push(posting.direction);
      legAmounts.push(posting.amountMinor.toString());
    }
  });
  return [
    valid.map((r) => r.idempotencyKey),
    valid.map((r) => r.currency),
    valid.map((r) => r.fingerprint),
    valid.map((r) => JSON.stringify(r.metadata)),
    legPositions,
    legAccounts,
    legDirections,
    legAmounts,
  ];
}

/** Some account refused the batch: say which and why. Always throws, so the transaction rolls back. */
async function explainBatchRefusal(client: Queryable, inserted: ValidTransferRequest[], movedKeys: Set<string>): Promise<never> {
  const currencyByAccount = new Map<string, Currency>();
  for (const request of inserted) for (const posting of request.postings) currencyByAccount.set(posting.accountKey, request.currency);
  const keys = [...currencyByAccount.keys()];
  const { rows } = await client.query<{ account_key: string; currency: string }>(
    'SELECT account_key, currency FROM ledger_accounts WHERE account_key = ANY($1::TEXT[])',
    [keys],
  );
  const stored = new Map(rows.map((row) => [row.account_key, row.currency]));
  const unknown = keys.filter((key) => !stored.has(key));
  if (unknown.length > 0) throw new LedgerValidationError('unknown_account', `unknown account${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  const foreign = inserted.flatMap((request) =>
    request.postings
      .filter((p) => stored.get(p.accountKey) !== request.currency)
      .map((p) => `${p.accountKey} (${stored.get(p.accountKey)}) in ${request.idempotencyKey}`),
  );
  if (foreign.length > 0) throw new LedgerValidationError('mixed_currency', `transfers touch accounts of another currency: ${foreign.join(', ')}`);
  const held = keys.filter((key) => !movedKeys.has(`${key} ${currencyByAccount.get(key)}`));
  const culprits = inserted.filter((request) => request.postings.some((p) => held.includes(p.accountKey))).map((r) => r.idempotencyKey);
  throw new LedgerFloorError(culprits.join(', '), held);
}
