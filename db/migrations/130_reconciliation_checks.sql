-- The scheduled reconciliation's last word on each pool (workflows/core/reconciliation-sweep.ts): when it
-- was last compared with Stripe and what differed, so the page for a mismatch can name the pool. A pool
-- is due again once its check is older than the sweep's recheck interval; never-checked pools go first.
CREATE TABLE reconciliation_checks (
  pool_id         TEXT PRIMARY KEY,
  checked_at      TIMESTAMPTZ NOT NULL,
  mismatch_count  INT8 NOT NULL CHECK (mismatch_count >= 0),
  -- The mismatches as reconciliation lists them (activities/core/reconciliation.ts), capped in number.
  mismatches      JSONB NOT NULL
);
CREATE INDEX reconciliation_checks_by_time ON reconciliation_checks (checked_at);
CREATE INDEX reconciliation_checks_with_mismatches ON reconciliation_checks (checked_at DESC) WHERE mismatch_count > 0;
