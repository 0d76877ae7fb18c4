// Queries for assessment_rule_packs: the versions of each tier, created as drafts by ops, activated
// (superseding the tier's active version in the same transaction) and read back exactly as stored.
import { activationChanges, type PackStatus, parseRulePack, type RulePack } from '../../domain/assessments/rule-pack';
import type { Queryable } from '../pool';

export interface RulePackRow {
  packId: string;
  tier: string;
  version: number;
  status: PackStatus;
  priceMinor: bigint;
  currency: string;
  pack: RulePack;
  createdBy: string;
  createdAt: Date;
  activatedAt: Date | null;
  supersededAt: Date | null;
}

interface DbRow {
  pack_id: string;
  tier: string;
  version: bigint;
  status: PackStatus;
  price_minor: bigint;
  currency: string;
  pack: unknown;
  created_by: string;
  created_at: Date;
  activated_at: Date | null;
  superseded_at: Date | null;
}

/** Tiers listed at once, and versions of one tier. */
export const TIERS_LIST_MAX = 200;
export const VERSIONS_LIST_MAX = 200;

const COLUMNS = 'pack_id, tier, version, status, price_minor, currency, pack, created_by, created_at, activated_at, superseded_at';

const toRow = (row: DbRow): RulePackRow => ({
  packId: row.pack_id,
  tier: row.tier,
  version: Number(row.version),
  status: row.status,
  priceMinor: row.price_minor,
  currency: row.currency,
  // Parsed again on the way out: a row edited by hand into something invalid fails loudly here.
  pack: parseRulePack(row.pack),
  createdBy: row.created_by,
  createdAt: row.created_at,
  activatedAt: row.activated_at,
  supersededAt: row.superseded_at,
});

export const packIdOf = (tier: string, version: number) => `${tier}-v${version}`;

/** Inserts a draft; false when that tier and version exist already (with the same or another content). */
export async function insertDraftPack(db: Queryable, pack: RulePack, createdBy: string): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO assessment_rule_packs (pack_id, tier, version, status, price_minor, currency, pack, created_by)
     VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [packIdOf(pack.tierId, pack.version), pack.tierId, pack.version, pack.priceMinor, pack.currency, JSON.stringify(pack), createdBy],
  );
  return result.rowCount === 1;
}

export async function findPack(db: Queryable, packId: string): Promise<RulePackRow | null> {
  const { rows } = await db.query<DbRow>(`SELECT ${COLUMNS} FROM assessment_rule_packs WHERE pack_id = $1`, [packId]);
  return rows[0] ? toRow(rows[0]) : null;
}

export async function findActivePack(db: Queryable, tier: string): Promise<RulePackRow | null> {
  const { rows } = await db.query<DbRow>(`SELECT ${COLUMNS} FROM assessment_rule_packs WHERE tier = $1 AND status = 'active'`, [tier]);
  return rows[0] ? toRow(rows[0]) : null;
}

/** Every tier's active pack, for the tier list traders buy from. */
export async function listActivePacks(db: Queryable): Promise<RulePackRow[]> {
  const { rows } = await db.query<DbRow>(`SELECT ${COLUMNS} FROM assessment_rule_packs WHERE status = 'active' ORDER BY tier LIMIT $1`, [TIERS_LIST_MAX]);
  return rows.map(toRow);
}

export async function listTierVersions(db: Queryable, tier: string): Promise<RulePackRow[]> {
  const { rows } = await db.query<DbRow>(`SELECT ${COLUMNS} FROM assessment_rule_packs WHERE tier = $1 ORDER BY version DESC LIMIT $2`, [
    tier,
    VERSIONS_LIST_MAX,
  ]);
  return rows.map(toRow);
}

/**
 * Activates a draft and supersedes the tier's active version, by the domain's rule; run inside a
 * SERIALIZABLE transaction so two activations of one tier cannot both win.
 */
export async function activatePack(db: Queryable, tier: string, version: number): Promise<void> {
  const { rows } = await db.query<{ version: bigint; status: PackStatus }>(`SELECT version, status FROM assessment_rule_packs WHERE tier = $1`, [tier]);
  const changes = activationChanges(
    rows.map((row) => ({ version: Number(row.version), status: row.status })),
    version,
  );
  // Superseded first: the partial unique index allows one active version per tier at any moment.
  for (const change of [...changes].sort((a, b) => (a.status === 'superseded' ? -1 : b.status === 'superseded' ? 1 : 0))) {
    await db.query(
      `UPDATE assessment_rule_packs SET status = $3,
         activated_at = CASE WHEN $3 = 'active' THEN now() ELSE activated_at END,
         superseded_at = CASE WHEN $3 = 'superseded' THEN now() ELSE superseded_at END
       WHERE tier = $1 AND version = $2`,
      [tier, change.version, change.status],
    );
  }
}
