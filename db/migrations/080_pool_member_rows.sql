-- A pool's member rows hold every field of a member's part of the pool view, and the pool version that
-- last wrote each row: a change of the pool projects only the rows it touched, in any order, and the
-- API assembles the view from the pool's summary (pools.view) and these rows.
-- Pools projected before this carry their members inside pools.view; the first change projected after it
-- copies the two new fields from there (activities/pool-projections.ts), so no backfill is needed here.
ALTER TABLE pool_members ADD COLUMN commitment_minor INT8;
ALTER TABLE pool_members ADD COLUMN replaced_member_id TEXT;
ALTER TABLE pool_members ADD COLUMN version INT8 NOT NULL DEFAULT 0;
