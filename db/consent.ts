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
  /** The pool update (a join or a replacement) this agreement was given for; null when given otherwise. */
  joinUpdateId: string | null;
  /** Until when that update may still be sent to the pool (after it, only the pool's answer can tell). */
  joinLeaseUntil: Date | null;
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
  'join_update_id',
  'join_lease_until',
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
 * The pool update an accept sends after recording its agreement, and how long it may take to send it:
 * an agreement on its way to the pool is not stale, whatever the pool says meanwhile.
 */
export interface JoinLease {
  updateId: string;
  leaseMs: number;
}

/**
 * Records the member's agreement to be charged off-session on these terms (`created`), unless one is in
 * force for the pool already: on the same terms that one stands and is returned (a retried or
 * concurrent accept); on other terms this throws AgreementTermsConflict and changes nothing. An
 * agreement's terms never change once written, so the one in force is the one its member joined on.
 * With `join`, the agreement names the update that carries it to the pool: a new agreement takes
 * `join.updateId`, one already in force keeps its own (the caller sends that one again, so both accepts
 * meet in one update), and either way its lease runs at least `join.leaseMs` from now.
 */
export async function recordAgreement(
  db: Queryable,
  agreement: { poolId: string; memberId: string; terms: AgreementTerms; requestId: string; join?: JoinLease },
): Promise<{ agreement: AgreementRow; created: boolean }> {
  const { terms, join } = agreement;
  const values = [terms.kind, terms.currency, terms.contributionMinor, terms.commitmentMinor, terms.lateFeeMinor, agreement.requestId];
  for (let attempt = 0; attempt < AGREEMENT_CLAIM_ATTEMPTS_MAX; attempt++) {
    // One statement, so concurrent accepts of the same member meet at the unique index of the agreement
    // in force: exactly one inserts, the others wait for it and insert nothing.
    const { rows } = await db.query<AgreementRow>(
      `INSERT INTO charge_agreements (agreement_id, pool_id, member_id, kind, currency, contribution_minor, commitment_minor, late_fee_minor, request_id,
         off_session, join_update_id, join_lease_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, true, $10, now() + $11::INT8 * interval '1 millisecond')
       ON CONFLICT (pool_id, member_id) WHERE withdrawn_at IS NULL DO NOTHING
       RETURNING ${camelColumns(AGREEMENT_COLUMNS)}`,
      [randomUUID(), agreement.poolId, agreement.memberId, ...values, join?.updateId ?? null, join?.leaseMs ?? null],
    );
    if (rows[0]) return { agreement: rows[0], created: true };
    const inForce = await findAgreementInForce(db, agreement.poolId, agreement.memberId);
    if (!inForce) continue; // withdrawn between the two statements: try to insert again
    if (!sameTerms(inForce, terms)) throw new AgreementTermsConflict(inForce);
    if (!join) return { agreement: inForce, created: false };
    const renewed = await renewJoinLease(db, inForce.agreementId, join);
    if (renewed) return { agreement: renewed, created: false };
  }
  throw new Error(`the agreement of member ${agreement.memberId} in pool ${agreement.poolId} kept changing while it was recorded`);
}

/**
 * Extends the lease of an agreement still in force (never shortens it), so that it cannot be ended as
 * stale while this accept sends its update; null when it was withdrawn meanwhile. An agreement recorded
 * without an update (before leases existed) takes this accept's.
 */
async function renewJoinLease(db: Queryable, agreementId: string, join: JoinLease): Promise<AgreementRow | null> {
  const { rows } = await db.query<AgreementRow>(
    `UPDATE charge_agreements
        SET join_update_id = COALESCE(join_update_id, $2),
            join_lease_until = GREATEST(COALESCE(join_lease_until, now()), now() + $3::INT8 * interval '1 millisecond')
      WHERE agreement_id = $1 AND withdrawn_at IS NULL
      RETURNING ${camelColumns(AGREEMENT_COLUMNS)}`,
    [agreementId, join.updateId, join.leaseMs],
  );
  return rows[0] ?? null;
}

/**
 * Cuts an agreement's lease down to `settleMs` from now, once its accept knows it sends the update no
 * more (its call to the pool ended without an answer): a later accept need not wait out the whole lease.
 */
export async function shortenJoinLease(db: Queryable, agreementId: string, settleMs: number): Promise<void> {
  await db.query(
    `UPDATE charge_agreements SET join_lease_until = LEAST(join_lease_until, now() + $2::INT8 * interval '1 millisecond')
      WHERE agreement_id = $1 AND withdrawn_at IS NULL`,
    [agreementId, settleMs],
  );
}

/** How long the agreement's join may still be sent (0 when its lease has passed or it has none), or null when it is no longer in force. */
export async function joinLeaseLeftMs(db: Queryable, agreementId: string): Promise<number | null> {
  const { rows } = await db.query<{ leftMs: string }>(
    `SELECT GREATEST(0, COALESCE(EXTRACT(EPOCH FROM (join_lease_until - now())) * 1000, 0))::INT8 AS "leftMs"
       FROM charge_agreements WHERE agreement_id = $1 AND withdrawn_at IS NULL`,
    [agreementId],
  );
  return rows[0] ? Number(rows[0].leftMs) : null;
}

/** The agreement in force for the member in this pool, or null: then nobody may charge them for it. */
export async function findAgreementInForce(db: Queryable, poolId: string, memberId: string): Promise<AgreementRow | null> {
  return findCurrent(db, { table: 'charge_agreements', columns: AGREEMENT_COLUMNS, condition: 'withdrawn_at IS NULL' }, poolId, memberId);
}

/** An agreement in force as a charge reads it: with the commitment its member joined the pool on, as the pool projected it. */
export interface ChargeAgreementRow extends AgreementRow {
  /** The member's commitment in the pool's `pool_members` row; null for a rotating pool, or with no row (an assessment purchase). */
  joinedCommitmentMinor: bigint | null;
}

/**
 * The agreements in force of these members of one pool, each with the commitment its member joined on, in
 * one query: the charge checks the one against the other, so an agreement left from another accept (a
 * join on other terms that reached the pool late) charges nobody.
 */
export async function findChargeAgreements(db: Queryable, poolId: string, memberIds: readonly string[]): Promise<Map<string, ChargeAgreementRow>> {
  const { rows } = await db.query<ChargeAgreementRow>(
    `SELECT ${camelColumns(AGREEMENT_COLUMNS, 'a')}, m.commitment_minor AS "joinedCommitmentMinor"
       FROM charge_agreements a LEFT JOIN pool_members m ON m.pool_id = a.pool_id AND m.member_id = a.member_id
      WHERE a.pool_id = $1 AND a.member_id = ANY($2::TEXT[]) AND a.withdrawn_at IS NULL`,
    [poolId, memberIds],
  );
  return new Map(rows.map((row) => [row.memberId, row]));
}

/**
 * Ends the agreement in force (the member left, was replaced, or their join was refused); with
 * `agreementId`, only if that is the one in force, so a refused accept ends its own agreement and no other;
 * with `afterJoinLease`, only once its join can no longer be sent (a stale agreement, see
 * api/pools/stale-agreement.ts), checked in the same statement that ends it.
 */
export async function withdrawAgreement(
  db: Queryable,
  withdrawal: { poolId: string; memberId: string; reason: string; requestId: string; agreementId?: string; afterJoinLease?: boolean },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE charge_agreements SET withdrawn_at = now(), withdrawn_reason = $3, withdrawn_request_id = $4
     WHERE pool_id = $1 AND member_id = $2 AND withdrawn_at IS NULL AND ($5::TEXT IS NULL OR agreement_id = $5)
       AND (NOT $6::BOOL OR join_lease_until IS NULL OR join_lease_until <= now())`,
    [withdrawal.poolId, withdrawal.memberId, withdrawal.reason, withdrawal.requestId, withdrawal.agreementId ?? null, withdrawal.afterJoinLease ?? false],
  );
  return (rowCount ?? 0) > 0;
}
