-- Notifications: what each member and manager was told (the in-app feed), each delivery keyed by
-- (notice, channel, recipient) under a unique key so retries and crashes never send twice, everyone's
-- preferences, each pool's reminder lead times, and managers' webhook endpoints with their ordered
-- delivery queues.

CREATE TABLE notification_preferences (
  subject_id      TEXT PRIMARY KEY,                -- the auth subject (member or manager)
  language        TEXT NOT NULL DEFAULT 'en',
  email_enabled   BOOL NOT NULL DEFAULT true,
  mute_reminders  BOOL NOT NULL DEFAULT false,
  -- Members are written to at their profile's address (members.email); managers give one here.
  email           TEXT,
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE notification_pool_settings (
  pool_id              TEXT PRIMARY KEY,
  reminder_lead_hours  JSONB NOT NULL,             -- e.g. [72, 24]
  updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The feed: one row per (notice, recipient), written once whatever the retries.
CREATE TABLE notifications (
  notification_id  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  notice_key       TEXT NOT NULL,
  recipient_id     TEXT NOT NULL,
  recipient_role   TEXT NOT NULL CHECK (recipient_role IN ('member', 'manager')),
  pool_id          TEXT NOT NULL,
  type             TEXT NOT NULL,
  title            TEXT NOT NULL,
  body             TEXT NOT NULL,
  data             JSONB NOT NULL,
  occurred_at      TIMESTAMPTZ NOT NULL,           -- workflow time of the event
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  read_at          TIMESTAMPTZ,
  UNIQUE (notice_key, recipient_id)
);
CREATE INDEX notifications_by_recipient ON notifications (recipient_id, created_at DESC, notification_id);

-- One row per (notice, channel, recipient): the claim that makes a delivery happen once.
CREATE TABLE notification_deliveries (
  delivery_key   TEXT PRIMARY KEY,                 -- {channel}:{recipient}:{notice key}
  notice_key     TEXT NOT NULL,
  channel        TEXT NOT NULL CHECK (channel IN ('email')),
  recipient_id   TEXT NOT NULL,
  pool_id        TEXT NOT NULL,
  type           TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'skipped')),
  attempts       INT8 NOT NULL DEFAULT 0,
  address        TEXT,
  language       TEXT,
  message_id     TEXT,
  last_error     TEXT,
  occurred_at    TIMESTAMPTZ NOT NULL,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  sent_at        TIMESTAMPTZ
);
CREATE INDEX notification_deliveries_by_status ON notification_deliveries (status, created_at);
CREATE INDEX notification_deliveries_by_pool ON notification_deliveries (pool_id, created_at);

CREATE TABLE webhook_endpoints (
  endpoint_id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  manager_id                  TEXT NOT NULL,
  url                         TEXT NOT NULL,
  event_types                 JSONB NOT NULL,
  status                      TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
  disabled_reason             TEXT,
  secret                      TEXT NOT NULL,
  -- After a rotation the previous secret also signs, until it expires, so receivers can switch over.
  previous_secret             TEXT,
  previous_secret_expires_at  TIMESTAMPTZ,
  created_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at                  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_by_manager ON webhook_endpoints (manager_id, created_at);

-- Each endpoint's queue, delivered strictly in `seq` order (the order the notices were created).
CREATE TABLE webhook_deliveries (
  delivery_id       UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  endpoint_id       UUID NOT NULL REFERENCES webhook_endpoints (endpoint_id),
  seq               INT8 NOT NULL,
  event_id          TEXT NOT NULL,                 -- the notice key, sent as the webhook-id header
  type              TEXT NOT NULL,
  pool_id           TEXT NOT NULL,
  payload           TEXT NOT NULL,                 -- the exact body, so every attempt sends the same bytes
  status            TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'refused')),
  attempts          INT8 NOT NULL DEFAULT 0,
  last_status_code  INT8,
  last_error        TEXT,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  delivered_at      TIMESTAMPTZ,
  UNIQUE (endpoint_id, event_id),
  UNIQUE (endpoint_id, seq)
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, status, seq);
