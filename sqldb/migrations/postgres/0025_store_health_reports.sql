-- What people were last told of an external credential store's health:
-- "unreachable" or "recovered". Each server watches the reads it makes
-- itself, so when a store goes down every server that reads from it sees
-- the outage; the row lets only the first tell people, and only the first
-- to see it answer again tell them it recovered.
CREATE TABLE store_health_reports (
	store_id   TEXT PRIMARY KEY REFERENCES credential_stores (id) ON DELETE CASCADE,
	tenant_id  TEXT NOT NULL,
	state      TEXT NOT NULL,
	changed_at BIGINT NOT NULL
);
