-- Workers claim a queue's jobs in the order their events arrived: by
-- created_at (a webhook event's receipt time, a poll's time), then ID.
-- Only open jobs are in the index, so a claim never walks past finished
-- ones.
CREATE INDEX jobs_claim_order ON jobs (tenant_id, queue, created_at, id)
	WHERE target = 'queue' AND status IN ('pending', 'claimed');

-- A connection's triggers in ID order (a poll reads them, and the API
-- lists them) without walking every trigger of the tenant: with only
-- (tenant_id, connection_id), SQLite preferred the (tenant_id, id) key to
-- save the sort.
DROP INDEX triggers_connection;
CREATE INDEX triggers_connection ON triggers (tenant_id, connection_id, id);
