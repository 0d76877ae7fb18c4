-- Simulation batches. A batch's ID is the hash of (model, parameters, seed, path count), so asking for the
-- same batch again finds it, running or done, instead of computing it twice.
CREATE TABLE simulation_batches (
  batch_id     TEXT PRIMARY KEY,
  model        TEXT NOT NULL,
  params       JSONB NOT NULL,
  seed         INT8 NOT NULL CHECK (seed >= 0),
  path_count   INT8 NOT NULL CHECK (path_count > 0),
  chunk_count  INT8 NOT NULL CHECK (chunk_count > 0),
  status       TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
  pool_id      TEXT,
  result       JSONB,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  completed_at TIMESTAMPTZ
);
CREATE INDEX simulation_batches_by_pool ON simulation_batches (pool_id);

-- Who asked for a batch: they (and ops) may read it. One row per subject, however often they ask.
CREATE TABLE simulation_requests (
  batch_id   TEXT NOT NULL REFERENCES simulation_batches (batch_id),
  subject    TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (batch_id, subject)
);

-- A finished chunk's merged statistics, written once: a chunk found here is never computed again.
CREATE TABLE simulation_chunks (
  batch_id    TEXT NOT NULL REFERENCES simulation_batches (batch_id),
  chunk_index INT8 NOT NULL CHECK (chunk_index >= 0),
  first_block INT8 NOT NULL,
  block_count INT8 NOT NULL,
  paths       INT8 NOT NULL,
  summary     JSONB NOT NULL,
  worker      TEXT NOT NULL,
  -- Blocks taken over from an earlier attempt's last heartbeat rather than computed again.
  resumed_blocks INT8 NOT NULL DEFAULT 0,
  computed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (batch_id, chunk_index)
);
