// Reads a pool's ledger transfers by idempotency-key prefix, for reconciliation against Stripe. Read
// only: the ledger (db/ledger/) owns these tables and every write to them.
import type { Queryable } from '../pool';

export interface LedgerEntry {
  idempotencyKey: string;
  state: string;
  currency: string;
  metadata: Record<string, unknown>;
  /** The transfer's total on each side (equal, since every transfer balances). */
  amountMinor: bigint;
}

/** `LIKE` treats `_` and `%` as wildcards, and pool ids may contain `_`. */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function listLedgerEntriesByPrefix(db: Queryable, prefix: string, limit: number): Promise<LedgerEntry[]> {
  const { rows } = await db.query<{
    idempotency_key: string;
    state: string;
    currency: string;
    metadata: Record<string, unknown>;
    direction: string;
    amount_minor: bigint;
  }>(
    `SELECT t.idempotency_key, t.state, t.currency, t.metadata, p.direction, p.amount_minor
     FROM (SELECT transfer_id, idempotency_key, state, currency, metadata FROM ledger_transfers
           WHERE idempotency_key LIKE $1 ESCAPE '\\' ORDER BY idempotency_key LIMIT $2) AS t
     JOIN ledger_postings AS p ON p.transfer_id = t.transfer_id
     ORDER BY t.idempotency_key, p.account_key`,
    [likePrefix(prefix), limit],
  );
  // Summed here, not in SQL: SUM over INT8 is DECIMAL on CockroachDB.
  const entries = new Map<string, LedgerEntry>();
  for (const row of rows) {
    const entry = entries.get(row.idempotency_key) ?? {
      idempotencyKey: row.idempotency_key,
      state: row.state,
      currency: row.currency,
      metadata: row.metadata,
      amountMinor: 0n,
    };
    if (row.direction === 'debit') entry.amountMinor += row.amount_minor;
    entries.set(row.idempotency_key, entry);
  }
  return [...entries.values()];
}
