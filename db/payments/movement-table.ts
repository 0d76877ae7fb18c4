// One table of recorded Stripe money movements (payment intents, transfers, refunds), declared by its
// columns: the row every such table shares, the queries by business key, Stripe ID and pool, the
// first-write-wins insert and the status update, built once from the column lists.
import type pg from 'pg';
import type { StatusSource } from '../../payments/status-order';
import type { Queryable } from '../pool';

/** The business identity and amount every movement row starts with. */
export interface MovementIdentity {
  idempotencyKey: string;
  poolId: string;
  round: number;
  memberId: string;
  purpose: string;
  amountMinor: bigint;
  currency: string;
}

/** When (Stripe's clock, unix seconds), from where and by which event the stored status was observed. */
export interface MovementStatus {
  statusAt: number;
  statusSource: StatusSource;
  statusEventId: string | null;
}

/** Row fields by the column holding them. */
type Columns<Fields> = { readonly [K in keyof Fields]-?: string };

const identityColumns: Columns<MovementIdentity> = {
  idempotencyKey: 'idempotency_key',
  poolId: 'pool_id',
  round: 'round',
  memberId: 'member_id',
  purpose: 'purpose',
  amountMinor: 'amount_minor',
  currency: 'currency',
};

const statusColumns: Columns<MovementStatus> = { statusAt: 'status_at', statusSource: 'status_source', statusEventId: 'status_event_id' };

/** INT8 columns read as bigint (db/pool.ts) that the row holds as plain numbers: never money. */
const numberFields: ReadonlySet<string> = new Set(['round', 'statusAt']);
/** The INT8 columns of the movement tables (every other column is TEXT), for typed arrays in batched inserts. */
const int8Fields: ReadonlySet<string> = new Set([...numberFields, 'amountMinor', 'amountReversedMinor']);

export interface MovementTableSpec<Row extends MovementIdentity & Status, Status extends MovementStatus> {
  name: string;
  /** The row field holding Stripe's ID of the object. */
  idField: keyof Row & string;
  /** The table's own fields naming the object (Stripe's ID among them), by column. */
  objectColumns: Columns<Omit<Row, keyof MovementIdentity | keyof Status>>;
  /** The table's own status fields, set on every observation, by column. */
  ownStatusColumns: Columns<Omit<Status, keyof MovementStatus>>;
}

export interface MovementTable<Row, Status> {
  /** Stripe's ID of the object a row records. */
  stripeIdOf(row: Row): string;
  byKey(db: Queryable, idempotencyKey: string): Promise<Row | null>;
  /** The rows recorded under any of `idempotencyKeys` (a batch's, read in one query), in no particular order. */
  byKeys(db: Queryable, idempotencyKeys: readonly string[]): Promise<Row[]>;
  byId(db: Queryable, stripeId: string): Promise<Row | null>;
  /** All of a pool's rows, in round, member and purpose order. */
  byPool(db: Queryable, poolId: string): Promise<Row[]>;
  /**
   * Records a row unless its business key or its Stripe ID is recorded already (a webhook may have got
   * there first); returns the row now stored under the business key, which the caller compares with
   * what it tried to insert.
   */
  insert(db: Queryable, row: Row): Promise<Row | null>;
  /**
   * Records many rows in one statement (one array per column), each unless its business key or Stripe
   * ID is recorded already; returns the business keys of the rows it inserted (the others are for the
   * caller to compare).
   */
  insertMany(db: Queryable, rows: readonly Row[]): Promise<Set<string>>;
  /** Sets the status fields of the row recording Stripe's object `stripeId`. */
  updateStatus(db: Queryable, stripeId: string, status: Status): Promise<void>;
}

export function movementTable<Row extends MovementIdentity & Status, Status extends MovementStatus>(
  spec: MovementTableSpec<Row, Status>,
): MovementTable<Row, Status> {
  const status = Object.entries({ ...spec.ownStatusColumns, ...statusColumns } as Record<string, string>);
  const all = [...Object.entries({ ...identityColumns, ...spec.objectColumns } as Record<string, string>), ...status];
  const idColumn = all.find(([field]) => field === spec.idField)?.[1];
  if (!idColumn) throw new Error(`${spec.name}: the ID field ${spec.idField} has no column`);
  const select = `SELECT ${all.map(([, column]) => column).join(', ')} FROM ${spec.name}`;
  const toRow = (dbRow: pg.QueryResultRow): Row =>
    Object.fromEntries(all.map(([field, column]) => [field, numberFields.has(field) ? Number(dbRow[column]) : dbRow[column]])) as Row;
  const first = async (db: Queryable, column: string, value: string) => {
    const { rows } = await db.query(`${select} WHERE ${column} = $1`, [value]);
    return rows[0] ? toRow(rows[0]) : null;
  };
  const insertSql = `INSERT INTO ${spec.name} (${all.map(([, column]) => column).join(', ')})
    VALUES (${all.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT DO NOTHING`;
  const insertManySql = `INSERT INTO ${spec.name} (${all.map(([, column]) => column).join(', ')})
    SELECT * FROM unnest(${all.map(([field], i) => `$${i + 1}::${int8Fields.has(field) ? 'INT8' : 'TEXT'}[]`).join(', ')})
    ON CONFLICT DO NOTHING RETURNING ${identityColumns.idempotencyKey}`;
  const statusSets = status.map(([, column], i) => `${column} = $${i + 2}`);
  const updateSql = `UPDATE ${spec.name} SET ${statusSets.join(', ')}, updated_at = now() WHERE ${idColumn} = $1`;
  const table: MovementTable<Row, Status> = {
    stripeIdOf: (row) => String(row[spec.idField]),
    byKey: (db, idempotencyKey) => first(db, identityColumns.idempotencyKey, idempotencyKey),
    async byKeys(db, idempotencyKeys) {
      const { rows } = await db.query(`${select} WHERE ${identityColumns.idempotencyKey} = ANY($1::TEXT[])`, [idempotencyKeys]);
      return rows.map(toRow);
    },
    byId: (db, stripeId) => first(db, idColumn, stripeId),
    async byPool(db, poolId) {
      const { rows } = await db.query(`${select} WHERE pool_id = $1 ORDER BY round, member_id, purpose`, [poolId]);
      return rows.map(toRow);
    },
    async insert(db, row) {
      await db.query(
        insertSql,
        all.map(([field]) => row[field as keyof Row]),
      );
      return table.byKey(db, row.idempotencyKey);
    },
    async insertMany(db, rows) {
      if (rows.length === 0) return new Set();
      const { rows: inserted } = await db.query<{ idempotency_key: string }>(
        insertManySql,
        all.map(([field]) => rows.map((row) => row[field as keyof Row])),
      );
      return new Set(inserted.map((row) => row.idempotency_key));
    },
    async updateStatus(db, stripeId, fields) {
      await db.query(updateSql, [stripeId, ...status.map(([field]) => fields[field as keyof Status])]);
    },
  };
  return table;
}
