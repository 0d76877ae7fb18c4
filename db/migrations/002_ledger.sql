-- The double-entry ledger: accounts with stored balances, transfers keyed by an idempotency key, and
-- the postings that make each transfer balance. The chart of accounts is described in db/ledger/chart.ts;
-- the rules (floors, two-phase transfers) in db/ledger/README.md. Portable to CockroachDB.

-- One account per business key; an account holds one currency for life. Balances are stored so that
-- floors can be enforced in the same statement that moves money, and are always equal to the sum of
-- the account's postings (db/ledger/invariants.ts checks it):
--   *_posted  sum of postings of transfers that are 'posted' or 'posted_from_pending';
--   *_pending sum of postings of transfers that are still 'pending' (reserved, not yet final).
CREATE TABLE ledger_accounts (
  account_key     TEXT PRIMARY KEY,
  currency        TEXT NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  floor           TEXT NOT NULL CHECK (floor IN ('none', 'debits_must_not_exceed_credits', 'credits_must_not_exceed_debits')),
  debits_posted   INT8 NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_posted  INT8 NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  debits_pending  INT8 NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
  credits_pending INT8 NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  -- A backstop for the check the posting statement makes itself: pending debits (or credits) count
  -- against the floor at once, pending credits (or debits) only once they are posted.
  CONSTRAINT ledger_accounts_floor_holds CHECK (
    (floor <> 'debits_must_not_exceed_credits' OR debits_posted + debits_pending <= credits_posted)
    AND (floor <> 'credits_must_not_exceed_debits' OR credits_posted + credits_pending <= debits_posted)
  )
);

-- A transfer is a balanced set of postings in one currency. idempotency_key is built from business
-- identifiers by the caller; fingerprint is a hash of the request's canonical content, so that a replay
-- with the same key and different content is told apart from an honest retry.
-- state: 'posted' (final at once), 'pending' (two-phase: amounts reserved), then 'posted_from_pending'
-- or 'voided'. Postings never change; only a pending transfer's state does, once.
CREATE TABLE ledger_transfers (
  transfer_id     UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  idempotency_key TEXT NOT NULL UNIQUE,
  currency        TEXT NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  fingerprint     TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('posted', 'pending', 'posted_from_pending', 'voided')),
  metadata        JSONB NOT NULL DEFAULT '{}',
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  -- When a pending transfer was posted or voided; NULL while pending and for transfers posted at once.
  resolved_at     TIMESTAMPTZ,
  CONSTRAINT ledger_transfers_resolved_when_final CHECK ((resolved_at IS NULL) = (state IN ('posted', 'pending')))
);

-- One posting per account per transfer: a transfer touches each account once, on one side.
-- created_at repeats the transfer's, so that an account's postings are listed in order from the index.
CREATE TABLE ledger_postings (
  transfer_id  UUID NOT NULL REFERENCES ledger_transfers (transfer_id),
  account_key  TEXT NOT NULL REFERENCES ledger_accounts (account_key),
  direction    TEXT NOT NULL CHECK (direction IN ('debit', 'credit')),
  amount_minor INT8 NOT NULL CHECK (amount_minor > 0),
  created_at   TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (transfer_id, account_key)
);

CREATE INDEX ledger_postings_by_account ON ledger_postings (account_key, created_at, transfer_id);
