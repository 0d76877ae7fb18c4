-- The audit trail: one row per command the API was given — who (subject and role), what, on which
-- pool, under which request ID, and how it ended. Append-only: the code only ever inserts and reads.
CREATE TABLE audit_events (
  audit_id     TEXT PRIMARY KEY,
  at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  subject      TEXT NOT NULL,
  role         TEXT NOT NULL,
  method       TEXT NOT NULL,
  path         TEXT NOT NULL,
  pool_id      TEXT,
  request_id   TEXT NOT NULL,
  -- The HTTP status the command was answered with.
  outcome      INT8 NOT NULL
);
CREATE INDEX audit_events_by_pool ON audit_events (pool_id, at DESC);
CREATE INDEX audit_events_by_time ON audit_events (at DESC);
