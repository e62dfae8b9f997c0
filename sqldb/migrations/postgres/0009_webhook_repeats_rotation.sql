-- A rotated webhook URL: the token it replaced keeps working until
-- previous_webhook_token_expires_at, and intake finds the trigger by
-- either hash (both unique; NULL where there is none).
ALTER TABLE triggers ADD COLUMN previous_webhook_token_hash BYTEA;
ALTER TABLE triggers ADD COLUMN previous_webhook_token_expires_at BIGINT;
CREATE UNIQUE INDEX triggers_previous_webhook_token ON triggers (previous_webhook_token_hash);

-- Deliveries refused for their signature are counted, one record per
-- trigger and minute, rather than recorded one by one: anyone can post to
-- a hook URL. The unique index is what the counting upsert conflicts on,
-- so servers sharing the database count into one record.
ALTER TABLE trigger_records ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
CREATE UNIQUE INDEX trigger_records_rejected_signature ON trigger_records (tenant_id, trigger_id, at)
	WHERE status = 'rejected_signature';
