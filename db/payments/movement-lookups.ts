// The lookups every table of recorded Stripe money movements shares (payment intents, transfers,
// refunds): one row by business key (the idempotency key), the rows of many keys in one query, one by
// Stripe's ID, all of a pool's in order.
import type pg from 'pg';
import type { Queryable } from '../pool';

export interface MovementTable<DbRow, Row> {
  name: string;
  /** The column holding Stripe's ID of the object. */
  idColumn: string;
  columns: string;
  toRow: (row: DbRow) => Row;
}

export function movementLookups<DbRow extends pg.QueryResultRow, Row>(table: MovementTable<DbRow, Row>) {
  const select = `SELECT ${table.columns} FROM ${table.name}`;
  const first = async (db: Queryable, where: string, value: string) => {
    const { rows } = await db.query<DbRow>(`${select} WHERE ${where} = $1`, [value]);
    return rows[0] ? table.toRow(rows[0]) : null;
  };
  return {
    byKey: (db: Queryable, idempotencyKey: string): Promise<Row | null> => first(db, 'idempotency_key', idempotencyKey),
    /** The rows recorded under any of `idempotencyKeys` (a batch's, read in one query), in no particular order. */
    async byKeys(db: Queryable, idempotencyKeys: readonly string[]): Promise<Row[]> {
      const { rows } = await db.query<DbRow>(`${select} WHERE idempotency_key = ANY($1::TEXT[])`, [idempotencyKeys]);
      return rows.map(table.toRow);
    },
    byId: (db: Queryable, stripeId: string): Promise<Row | null> => first(db, table.idColumn, stripeId),
    async byPool(db: Queryable, poolId: string): Promise<Row[]> {
      const { rows } = await db.query<DbRow>(`${select} WHERE pool_id = $1 ORDER BY round, member_id, purpose`, [poolId]);
      return rows.map(table.toRow);
    },
  };
}
