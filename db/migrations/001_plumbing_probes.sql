-- A minimal table written by the plumbing probe workflow, which proves that an API call reaches a
-- worker whose activity can write to the database.
CREATE TABLE plumbing_probes (
  probe_id   TEXT PRIMARY KEY,
  message    TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
