-- Idempotency-Key records of the API's POSTs, kept in the database so that what a key was first used
-- for outlives any cache: a key used again with another request is refused for as long as the row
-- lives, and a response is answered again exactly as it was. A request holds its key through a short
-- lease (locked_until, lock_token) that it renews while it runs, so a crashed request frees it quickly.
CREATE TABLE idempotency_keys (
  subject               TEXT NOT NULL,
  idempotency_key       TEXT NOT NULL,
  request_hash          TEXT NOT NULL,
  lock_token            TEXT,
  locked_until          TIMESTAMPTZ,
  response_status       INT4,
  response_content_type TEXT,
  response_body         TEXT,
  created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
  completed_at          TIMESTAMPTZ,
  PRIMARY KEY (subject, idempotency_key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
