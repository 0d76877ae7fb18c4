// Queries for member consent: the manager's invitations and the members' agreements to be charged
// (db/migrations/010_member_consent.sql). An agreement is never deleted; withdrawing it stamps it.
import { randomUUID } from 'node:crypto';
import type { PoolConfig } from '../domain/pools/pool-config';
import type pg from 'pg';
import type { Queryable } from './pool';

export interface InvitationRow {
  poolId: string;
  memberId: string;
  invitedBy: string;
  replacesMemberId: string | null;
  requestId: string;
  createdAt: Date;
  acceptedAt: Date | null;
}

/** What the member agreed to be charged, in minor units of `currency`. */
export interface AgreementTerms {
  kind: 'rotating' | 'investment';
  currency: string;
  /** A rotating pool's contribution per round. */
  contributionMinor: bigint | null;
  /** The member's own commitment to an investment pool: the most its capital calls add up to. */
  commitmentMinor: bigint | null;
  lateFeeMinor: bigint;
}

export interface AgreementRow extends AgreementTerms {
  agreementId: string;
  poolId: string;
  memberId: string;
  offSession: boolean;
  agreedAt: Date;
  requestId: string;
}

/**
 * The select list that reads `columns` (of `table`, when a join makes names ambiguous) under their
 * camelCase names, so that rows come back as their row type with nothing to map.
 */
function camelColumns(columns: readonly string[], table?: string): string {
  return columns
    .map((column) => `${table ? `${table}.` : ''}${column} AS "${column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())}"`)
    .join(', ');
}

const INVITATION_COLUMNS = ['pool_id', 'member_id', 'invited_by', 'replaces_member_id', 'request_id', 'created_at', 'accepted_at'] as const;
const AGREEMENT_COLUMNS = [
  'agreement_id',
  'pool_id',
  'member_id',
  'kind',
  'currency',
  'contribution_minor',
  'commitment_minor',
  'late_fee_minor',
  'off_session',
  'agreed_at',
  'request_id',
] as const;

/** The terms a member agrees to by joining a pool with this configuration. */
export function agreementTerms(config: PoolConfig, commitmentMinor: bigint | null): AgreementTerms {
  return {
    kind: config.kind,
    currency: config.currency,
    contributionMinor: config.kind === 'rotating' ? BigInt(config.contributionMinor) : null,
    commitmentMinor: config.kind === 'investment' ? commitmentMinor : null,
    lateFeeMinor: BigInt(config.lateFeeMinor),
  };
}

/** Records (or renews) an invitation; a renewed one is pending again. */
export async function recordInvitation(db: Queryable, invitation: Omit<InvitationRow, 'createdAt' | 'acceptedAt'>): Promise<InvitationRow> {
  const { rows } = await db.query<InvitationRow>(
    `INSERT INTO pool_invitations (pool_id, member_id, invited_by, replaces_member_id, request_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (pool_id, member_id) DO UPDATE SET invited_by = excluded.invited_by, replaces_member_id = excluded.replaces_member_id,
       request_id = excluded.request_id, created_at = now(), accepted_at = NULL
     RETURNING ${camelColumns(INVITATION_COLUMNS)}`,
    [invitation.poolId, invitation.memberId, invitation.invitedBy, invitation.replacesMemberId, invitation.requestId],
  );
  return rows[0]!;
}

/**
 * A member's one current row in a pool (the unique indexes allow one pending invitation and one
 * agreement in force per member and pool), or null.
 */
async function findCurrent<Row extends pg.QueryResultRow>(
  db: Queryable,
  current: { table: 'pool_invitations' | 'charge_agreements'; columns: readonly string[]; condition: string },
  poolId: string,
  memberId: string,
): Promise<Row | null> {
  const { rows } = await db.query<Row>(
    `SELECT ${camelColumns(current.columns)} FROM ${current.table} WHERE pool_id = $1 AND member_id = $2 AND ${current.condition}`,
    [poolId, memberId],
  );
  return rows[0] ?? null;
}

export async function findPendingInvitation(db: Queryable, poolId: string, memberId: string): Promise<InvitationRow | null> {
  return findCurrent(db, { table: 'pool_invitations', columns: INVITATION_COLUMNS, condition: 'accepted_at IS NULL' }, poolId, memberId);
}

/** A member's pending invitations, newest first, with the pools' configurations (the terms on offer). */
export async function listPendingInvitations(db: Queryable, memberId: string, limit: number): Promise<Array<InvitationRow & { config: PoolConfig | null }>> {
  const { rows } = await db.query<InvitationRow & { config: PoolConfig | null }>(
    `SELECT ${camelColumns(INVITATION_COLUMNS, 'i')}, p.view->'config' AS config FROM pool_invitations i LEFT JOIN pools p ON p.pool_id = i.pool_id
     WHERE i.member_id = $1 AND i.accepted_at IS NULL ORDER BY i.created_at DESC LIMIT $2`,
    [memberId, limit],
  );
  return rows;
}

export async function markInvitationAccepted(db: Queryable, poolId: string, memberId: string): Promise<void> {
  await db.query('UPDATE pool_invitations SET accepted_at = now() WHERE pool_id = $1 AND member_id = $2 AND accepted_at IS NULL', [poolId, memberId]);
}

/**
 * Thrown when the member already has an agreement in force for the pool on other terms. Terms once
 * agreed are never restated: otherwise of two accepts at once the one the pool refused could rewrite the
 * terms the winning join was agreed on, and the member would be charged on terms they did not join with.
 */
export class AgreementTermsConflict extends Error {
  constructor(readonly inForce: AgreementRow) {
    super(`an agreement on other terms is already in force for member ${inForce.memberId} in pool ${inForce.poolId}`);
  }
}

/** Reads of the agreement in force when an insert met one that was withdrawn before it could be read. */
const AGREEMENT_CLAIM_ATTEMPTS_MAX = 3;

const sameTerms = (a: AgreementTerms, b: AgreementTerms) =>
  a.kind === b.kind &&
  a.currency === b.currency &&
  a.contributionMinor === b.contributionMinor &&
  a.commitmentMinor === b.commitmentMinor &&
  a.lateFeeMinor === b.lateFeeMinor;

/**
 * Records the member's agreement to be charged off-session on these terms (`created`), unless one is in
 * force for the pool already: on the same terms that one stands and is returned (a retried or
 * concurrent accept); on other terms this throws AgreementTermsConflict and changes nothing. An
 * agreement's terms never change once written, so the one in force is the one its member joined on.
 */
export async function recordAgreement(
  db: Queryable,
  agreement: { poolId: string; memberId: string; terms: AgreementTerms; requestId: string },
): Promise<{ agreement: AgreementRow; created: boolean }> {
  const { terms } = agreement;
  const values = [terms.kind, terms.currency, terms.contributionMinor, terms.commitmentMinor, terms.lateFeeMinor, agreement.requestId];
  for (let attempt = 0; attempt < AGREEMENT_CLAIM_ATTEMPTS_MAX; attempt++) {
    // One statement, so concurrent accepts of the same member meet at the unique index of the agreement
    // in force: exactly one inserts, the others wait for it and insert nothing.
    const { rows } = await db.query<AgreementRow>(
      `INSERT INTO charge_agreements (agreement_id, pool_id, member_id, kind, currency, contribution_minor, commitment_minor, late_fee_minor, request_id, off_session)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, true)
       ON CONFLICT (pool_id, member_id) WHERE withdrawn_at IS NULL DO NOTHING
       RETURNING ${camelColumns(AGREEMENT_COLUMNS)}`,
      [randomUUID(), agreement.poolId, agreement.memberId, ...values],
    );
    if (rows[0]) return { agreement: rows[0], created: true };
    const inForce = await findAgreementInForce(db, agreement.poolId, agreement.memberId);
    if (!inForce) continue; // withdrawn between the two statements: try to insert again
    if (!sameTerms(inForce, terms)) throw new AgreementTermsConflict(inForce);
    return { agreement: inForce, created: false };
  }
  throw new Error(`the agreement of member ${agreement.memberId} in pool ${agreement.poolId} kept changing while it was recorded`);
}

/** The agreement in force for the member in this pool, or null: then nobody may charge them for it. */
export async function findAgreementInForce(db: Queryable, poolId: string, memberId: string): Promise<AgreementRow | null> {
  return findCurrent(db, { table: 'charge_agreements', columns: AGREEMENT_COLUMNS, condition: 'withdrawn_at IS NULL' }, poolId, memberId);
}

/** The agreements in force of many members of one pool (a charge batch's), read in one query; members without one are absent. */
export async function findAgreementsInForce(db: Queryable, poolId: string, memberIds: readonly string[]): Promise<Map<string, AgreementRow>> {
  const { rows } = await db.query<AgreementRow>(
    `SELECT ${camelColumns(AGREEMENT_COLUMNS)} FROM charge_agreements WHERE pool_id = $1 AND member_id = ANY($2::TEXT[]) AND withdrawn_at IS NULL`,
    [poolId, memberIds],
  );
  return new Map(rows.map((row) => [row.memberId, row]));
}

/**
 * Ends the agreement in force (the member left, was replaced, or their join was refused); with
 * `agreementId`, only if that is the one in force, so a refused accept ends its own agreement and no other.
 */
export async function withdrawAgreement(
  db: Queryable,
  withdrawal: { poolId: string; memberId: string; reason: string; requestId: string; agreementId?: string },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE charge_agreements SET withdrawn_at = now(), withdrawn_reason = $3, withdrawn_request_id = $4
     WHERE pool_id = $1 AND member_id = $2 AND withdrawn_at IS NULL AND ($5::TEXT IS NULL OR agreement_id = $5)`,
    [withdrawal.poolId, withdrawal.memberId, withdrawal.reason, withdrawal.requestId, withdrawal.agreementId ?? null],
  );
  return (rowCount ?? 0) > 0;
}
