-- Members and the Stripe objects made for them, and every PaymentIntent, transfer and refund Poolflow
-- asks Stripe for, each under a UNIQUE business key that is also the idempotency key sent to Stripe;
-- plus every verified Stripe webhook event, stored once by its event id with what routing it needs.
-- Status columns follow payments/status-order.ts: `status_at` is Stripe's clock (unix seconds),
-- `status_source` says whether an API response or a webhook event set it.

CREATE TABLE members (
  member_id    TEXT PRIMARY KEY,                   -- the auth subject
  display_name TEXT NOT NULL,
  email        TEXT NOT NULL,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE stripe_customers (
  member_id                 TEXT PRIMARY KEY REFERENCES members (member_id),
  customer_id               TEXT NOT NULL UNIQUE,
  default_payment_method_id TEXT,
  created_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at                TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Saved payment methods: only what a member needs to recognise the card, never card data.
CREATE TABLE stripe_payment_methods (
  payment_method_id TEXT PRIMARY KEY,
  member_id         TEXT NOT NULL REFERENCES members (member_id),
  customer_id       TEXT NOT NULL REFERENCES stripe_customers (customer_id),
  method_type       TEXT NOT NULL,
  card_brand        TEXT,
  card_last4        TEXT,
  card_exp_month    INT8,
  card_exp_year     INT8,
  attached_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX stripe_payment_methods_by_member ON stripe_payment_methods (member_id);

CREATE TABLE stripe_connect_accounts (
  member_id         TEXT PRIMARY KEY REFERENCES members (member_id),
  account_id        TEXT NOT NULL UNIQUE,
  charges_enabled   BOOL NOT NULL DEFAULT false,
  payouts_enabled   BOOL NOT NULL DEFAULT false,
  details_submitted BOOL NOT NULL DEFAULT false,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Contribution charges. The business key (pool, round, member, purpose) and the idempotency key built
-- from it are both unique, so no second PaymentIntent can ever be recorded for one charge.
CREATE TABLE stripe_payment_intents (
  idempotency_key   TEXT PRIMARY KEY,
  pool_id           TEXT NOT NULL,
  round             INT8 NOT NULL,
  member_id         TEXT NOT NULL,
  purpose           TEXT NOT NULL,
  payment_intent_id TEXT NOT NULL UNIQUE,
  customer_id       TEXT,
  payment_method_id TEXT,
  amount_minor      INT8 NOT NULL CHECK (amount_minor > 0),
  currency          TEXT NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  status            TEXT NOT NULL,                 -- Stripe's PaymentIntent status
  failure_code      TEXT,
  decline_code      TEXT,
  failure_message   TEXT,
  status_at         INT8 NOT NULL,
  status_source     TEXT NOT NULL CHECK (status_source IN ('api', 'webhook')),
  status_event_id   TEXT,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT stripe_payment_intents_business_key UNIQUE (pool_id, round, member_id, purpose)
);

-- Payout transfers to members' connected accounts. Transfers have no status: what changes is the
-- amount reversed, which only grows.
CREATE TABLE stripe_transfers (
  idempotency_key        TEXT PRIMARY KEY,
  pool_id                TEXT NOT NULL,
  round                  INT8 NOT NULL,
  member_id              TEXT NOT NULL,
  purpose                TEXT NOT NULL,
  transfer_id            TEXT NOT NULL UNIQUE,
  destination_account_id TEXT NOT NULL,
  amount_minor           INT8 NOT NULL CHECK (amount_minor > 0),
  currency               TEXT NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  amount_reversed_minor  INT8 NOT NULL CHECK (amount_reversed_minor >= 0),
  status_at              INT8 NOT NULL,
  status_source          TEXT NOT NULL CHECK (status_source IN ('api', 'webhook')),
  status_event_id        TEXT,
  created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT stripe_transfers_business_key UNIQUE (pool_id, round, member_id, purpose)
);

-- Refunds of contributions (pool cancellation, corrections).
CREATE TABLE stripe_refunds (
  idempotency_key   TEXT PRIMARY KEY,
  pool_id           TEXT NOT NULL,
  round             INT8 NOT NULL,
  member_id         TEXT NOT NULL,
  purpose           TEXT NOT NULL,
  refund_id         TEXT NOT NULL UNIQUE,
  payment_intent_id TEXT NOT NULL,                 -- no foreign key: webhook ingestion never fails on arrival order
  amount_minor      INT8 NOT NULL CHECK (amount_minor > 0),
  currency          TEXT NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  status            TEXT NOT NULL,                 -- Stripe's refund status
  failure_reason    TEXT,
  status_at         INT8 NOT NULL,
  status_source     TEXT NOT NULL CHECK (status_source IN ('api', 'webhook')),
  status_event_id   TEXT,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT stripe_refunds_business_key UNIQUE (pool_id, round, member_id, purpose)
);

-- Every verified webhook event, once. Ingestion decides in the same transaction what the event means
-- (`outcome`) and, when a workflow must hear of it, the signal to send; delivery happens after commit,
-- and `routed_at` stays NULL until it succeeded, so an undelivered event is re-sent later.
CREATE TABLE stripe_webhook_events (
  event_id           TEXT PRIMARY KEY,
  event_type         TEXT NOT NULL,
  object_id          TEXT,
  event_created      INT8 NOT NULL,                -- Stripe's clock, unix seconds
  livemode           BOOL NOT NULL,
  payload            JSONB NOT NULL,
  pool_id            TEXT,
  outcome            TEXT NOT NULL CHECK (outcome IN ('signal', 'stale', 'ignored', 'conflict')),
  signal_workflow_id TEXT,
  signal_name        TEXT,
  signal_payload     JSONB,
  route_attempts     INT8 NOT NULL DEFAULT 0,
  last_route_error   TEXT,
  routed_at          TIMESTAMPTZ,
  received_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX stripe_webhook_events_unrouted ON stripe_webhook_events (received_at) WHERE routed_at IS NULL;
-- For looking up everything Stripe said about one object.
CREATE INDEX stripe_webhook_events_by_object ON stripe_webhook_events (object_id);
CREATE INDEX stripe_webhook_events_by_pool ON stripe_webhook_events (pool_id);
