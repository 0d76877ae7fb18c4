-- Read models of the pools, written by the pool workflows' projection activities and read by the API.
-- Temporal holds the truth; these tables answer lists and reports. Every pool row carries the
-- workflow's version counter, and a write only lands when its version is newer, so a retried or
-- late activity can never roll a projection back.
CREATE TABLE pools (
  pool_id           TEXT PRIMARY KEY,
  manager_id        TEXT NOT NULL,
  name              TEXT NOT NULL,
  kind              TEXT NOT NULL CHECK (kind IN ('rotating', 'investment')),
  currency          TEXT NOT NULL,
  status            TEXT NOT NULL,
  rounds_completed  INT8 NOT NULL DEFAULT 0,
  rounds_planned    INT8 NOT NULL DEFAULT 0,
  members_count     INT8 NOT NULL DEFAULT 0,
  view              JSONB NOT NULL,
  version           INT8 NOT NULL,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX pools_by_manager ON pools (manager_id, created_at DESC);
CREATE INDEX pools_by_status ON pools (status, created_at DESC);

CREATE TABLE pool_members (
  pool_id        TEXT NOT NULL REFERENCES pools (pool_id),
  member_id      TEXT NOT NULL,
  status         TEXT NOT NULL,
  join_seq       INT8 NOT NULL,
  received       BOOL NOT NULL DEFAULT false,
  paid_in_minor  INT8 NOT NULL DEFAULT 0,
  arrears_minor  INT8 NOT NULL DEFAULT 0,
  PRIMARY KEY (pool_id, member_id)
);
CREATE INDEX pool_members_by_member ON pool_members (member_id);

CREATE TABLE pool_rounds (
  pool_id          TEXT NOT NULL REFERENCES pools (pool_id),
  round            INT8 NOT NULL,
  kind             TEXT NOT NULL,
  pot_minor        INT8 NOT NULL,
  fee_minor        INT8 NOT NULL,
  discount_minor   INT8 NOT NULL,
  winner_member_id TEXT,
  finished_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (pool_id, round)
);

CREATE TABLE pool_contributions (
  pool_id           TEXT NOT NULL,
  round             INT8 NOT NULL,
  member_id         TEXT NOT NULL,
  outcome           TEXT NOT NULL,
  paid_minor        INT8 NOT NULL,
  late_fee_minor    INT8 NOT NULL,
  payment_intent_id TEXT,
  failure_code      TEXT,
  PRIMARY KEY (pool_id, round, member_id),
  FOREIGN KEY (pool_id, round) REFERENCES pool_rounds (pool_id, round)
);

CREATE TABLE pool_payouts (
  pool_id      TEXT NOT NULL,
  round        INT8 NOT NULL,
  member_id    TEXT NOT NULL,
  purpose      TEXT NOT NULL,
  amount_minor INT8 NOT NULL,
  PRIMARY KEY (pool_id, round, member_id, purpose),
  FOREIGN KEY (pool_id, round) REFERENCES pool_rounds (pool_id, round)
);
