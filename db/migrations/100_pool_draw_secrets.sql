-- The server-held secret behind each pool's random draws (commit-reveal, domain/payout-draw.ts). The
-- workflow's input carries only the commitment; the secret leaves this table when the pool activates,
-- and is published with the pool's view from then on.
CREATE TABLE pool_draw_secrets (
  pool_id      TEXT PRIMARY KEY,
  -- 32 random bytes as 64 hex digits.
  secret       TEXT NOT NULL CHECK (length(secret) = 64),
  -- SHA-256 (hex) of the secret's text.
  commitment   TEXT NOT NULL CHECK (length(commitment) = 64),
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  revealed_at  TIMESTAMPTZ
);
