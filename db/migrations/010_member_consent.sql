-- Member consent. A manager invites (by member ID, or for a replacement); only the member accepts, and
-- accepting records their agreement to be charged off-session for this pool on these terms. The charge
-- activity refuses to create a PaymentIntent unless an agreement is in force for the pool and member.
CREATE TABLE pool_invitations (
  pool_id             TEXT NOT NULL,
  member_id           TEXT NOT NULL,
  invited_by          TEXT NOT NULL,
  -- Set when the invitee is to take this member's place in an active pool.
  replaces_member_id  TEXT,
  request_id          TEXT NOT NULL,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  accepted_at         TIMESTAMPTZ,
  PRIMARY KEY (pool_id, member_id)
);
CREATE INDEX pool_invitations_by_member ON pool_invitations (member_id, created_at DESC);

-- One row per agreement given; a withdrawn agreement stays as evidence, and at most one is in force.
CREATE TABLE charge_agreements (
  agreement_id          TEXT PRIMARY KEY,
  pool_id               TEXT NOT NULL,
  member_id             TEXT NOT NULL,
  kind                  TEXT NOT NULL CHECK (kind IN ('rotating', 'investment')),
  currency              TEXT NOT NULL,
  -- The amount terms: a rotating pool's contribution per round, or the member's own commitment.
  contribution_minor    INT8 CHECK (contribution_minor > 0),
  commitment_minor      INT8 CHECK (commitment_minor > 0),
  late_fee_minor        INT8 NOT NULL CHECK (late_fee_minor >= 0),
  off_session           BOOL NOT NULL,
  agreed_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
  request_id            TEXT NOT NULL,
  withdrawn_at          TIMESTAMPTZ,
  withdrawn_reason      TEXT,
  withdrawn_request_id  TEXT,
  CHECK ((kind = 'rotating' AND contribution_minor IS NOT NULL) OR (kind = 'investment' AND commitment_minor IS NOT NULL))
);
CREATE UNIQUE INDEX charge_agreements_in_force ON charge_agreements (pool_id, member_id) WHERE withdrawn_at IS NULL;
