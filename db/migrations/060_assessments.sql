-- Prop-trading assessments: tiers as versioned rule packs (draft → active → superseded, at most one
-- active pack per tier), purchases and the assessments they start, the event log the workflow applied
-- (replayable), closed trades, violations with their numbers, ops actions (audited), reports
-- and funded-phase payouts. Each assessment points at the exact pack it was bought with.

CREATE TABLE assessment_rule_packs (
  pack_id       TEXT PRIMARY KEY,                  -- `{tier}-v{version}`
  tier          TEXT NOT NULL,
  version       INT8 NOT NULL CHECK (version > 0),
  status        TEXT NOT NULL CHECK (status IN ('draft', 'active', 'superseded')),
  price_minor   INT8 NOT NULL CHECK (price_minor > 0),
  currency      TEXT NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  pack          JSONB NOT NULL,                    -- the whole rule pack, as domain/assessments parses it
  created_by    TEXT NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  activated_at  TIMESTAMPTZ,
  superseded_at TIMESTAMPTZ,
  CONSTRAINT assessment_rule_packs_tier_version UNIQUE (tier, version)
);
CREATE UNIQUE INDEX assessment_rule_packs_one_active ON assessment_rule_packs (tier) WHERE status = 'active';

-- One row per purchase, created before the charge; the assessment workflow `assessment/{id}` runs
-- only once the payment succeeded. `purchase_key` is the trader's Idempotency-Key, so a repeated
-- purchase request finds the same row and the same PaymentIntent.
CREATE TABLE assessments (
  assessment_id     TEXT PRIMARY KEY,
  trader_id         TEXT NOT NULL,
  display_name      TEXT NOT NULL,
  tier              TEXT NOT NULL,
  pack_id           TEXT NOT NULL REFERENCES assessment_rule_packs (pack_id),
  purchase_key      TEXT NOT NULL,
  price_minor       INT8 NOT NULL CHECK (price_minor > 0),
  currency          TEXT NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  status            TEXT NOT NULL CHECK (status IN ('payment_pending', 'payment_failed', 'paid', 'active', 'passed', 'failed', 'stopped', 'refunding', 'refunded')),
  phase_index       INT8 NOT NULL DEFAULT 0,
  payment_intent_id TEXT,
  decline_code      TEXT,
  started_at        TIMESTAMPTZ,
  ended_at          TIMESTAMPTZ,
  verdict           JSONB,
  summary           JSONB,                          -- the latest standing, as the workflow published it
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT assessments_purchase UNIQUE (trader_id, purchase_key)
);
CREATE INDEX assessments_by_trader ON assessments (trader_id, created_at DESC);
CREATE INDEX assessments_by_tier_status ON assessments (tier, status);

-- The assessment's event log: every fill, price and day close the workflow applied to the account, in
-- the order it applied them (`seq`), with a `phase-start` event opening each phase. Replaying a phase's
-- events through domain/assessments from its start reproduces the account and the verdict exactly.
-- `event_key` is the business key (an order's Idempotency-Key, an imported fill's external ID, …).
CREATE TABLE assessment_events (
  assessment_id TEXT NOT NULL REFERENCES assessments (assessment_id),
  seq           INT8 NOT NULL CHECK (seq >= 0),
  event_key     TEXT NOT NULL,
  phase_index   INT8 NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('phase-start', 'fill', 'tick', 'day-close', 'charge')),
  source        TEXT NOT NULL CHECK (source IN ('workflow', 'order', 'import', 'risk-monitor', 'timer', 'ops')),
  event         JSONB NOT NULL,
  occurred_at   TIMESTAMPTZ NOT NULL,
  recorded_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (assessment_id, seq),
  CONSTRAINT assessment_events_key UNIQUE (assessment_id, event_key)
);

-- Closed trades (round trips), for reports and statistics.
CREATE TABLE assessment_trades (
  assessment_id TEXT NOT NULL REFERENCES assessments (assessment_id),
  close_id      TEXT NOT NULL,
  phase_index   INT8 NOT NULL,
  reason        TEXT NOT NULL,
  trade         JSONB NOT NULL,
  closed_at     TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (assessment_id, close_id)
);
CREATE INDEX assessment_trades_by_phase ON assessment_trades (assessment_id, phase_index, closed_at);

CREATE TABLE assessment_violations (
  assessment_id TEXT NOT NULL REFERENCES assessments (assessment_id),
  violation_key TEXT NOT NULL,                     -- phase, rule and the event that breached it
  phase_index   INT8 NOT NULL,
  rule          TEXT NOT NULL,
  severity      TEXT NOT NULL CHECK (severity IN ('hard', 'soft', 'warning')),
  detail        JSONB NOT NULL,                    -- the numbers and the plain-language explanation
  occurred_at   TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (assessment_id, violation_key)
);

-- Overrides and emergency stops by operations staff: who, what, why, when. Never updated or deleted.
CREATE TABLE assessment_ops_actions (
  assessment_id TEXT NOT NULL REFERENCES assessments (assessment_id),
  action_key    TEXT NOT NULL,                     -- the request's Idempotency-Key
  action        TEXT NOT NULL CHECK (action IN ('override-pass', 'override-fail', 'emergency-stop', 'resume', 'refund')),
  actor         TEXT NOT NULL,
  reason        TEXT NOT NULL,
  acted_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (assessment_id, action_key)
);

CREATE TABLE assessment_reports (
  assessment_id TEXT NOT NULL REFERENCES assessments (assessment_id),
  phase_index   INT8 NOT NULL,
  report        JSONB NOT NULL,
  svg           TEXT NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (assessment_id, phase_index)
);

-- Funded-phase payouts: one row per payout number, written when the workflow decides it; the ledger
-- and Stripe transfer carry keys built from (assessment, payout number).
CREATE TABLE assessment_payouts (
  assessment_id    TEXT NOT NULL REFERENCES assessments (assessment_id),
  payout_number    INT8 NOT NULL CHECK (payout_number > 0),
  split_minor      INT8 NOT NULL CHECK (split_minor >= 0),
  fee_refund_minor INT8 NOT NULL CHECK (fee_refund_minor >= 0),
  currency         TEXT NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  status           TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
  transfer_id      TEXT,
  fee_refund_id    TEXT,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (assessment_id, payout_number)
);
