-- Which join an agreement was given for, and until when that join may still be sent. An accept records
-- the agreement before it sends the pool its join (or replacement) update under `join_update_id`, and
-- sends it only before `join_lease_until`; once the lease has passed and the pool says that update is
-- neither pending nor the member's way in, the agreement can be ended as stale (api/pools/stale-agreement.ts).
-- Agreements recorded before this (and an assessment purchase's) have neither.
ALTER TABLE charge_agreements ADD COLUMN join_update_id TEXT;
ALTER TABLE charge_agreements ADD COLUMN join_lease_until TIMESTAMPTZ;
