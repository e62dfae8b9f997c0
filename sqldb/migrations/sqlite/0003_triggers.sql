-- Triggers, their history, the jobs they start, the webhook events they
-- received and the state polling keeps between polls.

-- A trigger belongs to a connection: deleting the connection (or the
-- folder) deletes its triggers, and with them their history, jobs, events
-- and poll state. The sealed values a trigger points at (its webhook URL
-- token and its target's signing secret) are removed by the database
-- trigger below, so no ciphertext outlives a cascaded delete.
-- webhook_token_hash is the SHA-256 of the URL token; intake finds the
-- trigger by it alone, across tenants.
CREATE TABLE triggers (
	id                      TEXT PRIMARY KEY,
	tenant_id               TEXT NOT NULL,
	folder_id               TEXT NOT NULL,
	connection_id           TEXT NOT NULL,
	connector               TEXT NOT NULL,
	object                  TEXT NOT NULL,
	event                   TEXT NOT NULL,
	kind                    TEXT NOT NULL,
	filter                  TEXT NOT NULL DEFAULT '',
	parameters              TEXT NOT NULL DEFAULT '{}',
	target_type             TEXT NOT NULL,
	target_url              TEXT NOT NULL DEFAULT '',
	target_name             TEXT NOT NULL DEFAULT '',
	target_sealed_id        TEXT,
	enabled                 INTEGER NOT NULL DEFAULT 1,
	disabled_reason         TEXT NOT NULL DEFAULT '',
	consecutive_failures    INTEGER NOT NULL DEFAULT 0,
	last_success_at         BIGINT,
	last_failure_at         BIGINT,
	baseline_at             BIGINT,
	webhook_token_hash      BLOB UNIQUE,
	webhook_token_sealed_id TEXT,
	created_by              TEXT NOT NULL DEFAULT '',
	created_at              BIGINT NOT NULL,
	updated_at              BIGINT NOT NULL,
	UNIQUE (tenant_id, id),
	FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, folder_id) REFERENCES folders (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX triggers_connection ON triggers (tenant_id, connection_id);
CREATE INDEX triggers_folder ON triggers (tenant_id, folder_id, id);
CREATE INDEX triggers_polling ON triggers (connection_id, object, event) WHERE kind = 'polling' AND enabled;

CREATE TRIGGER triggers_delete_sealed AFTER DELETE ON triggers
BEGIN
	DELETE FROM sealed_values WHERE tenant_id = OLD.tenant_id
		AND id IN (OLD.target_sealed_id, OLD.webhook_token_sealed_id);
END;

CREATE TABLE trigger_records (
	id              TEXT PRIMARY KEY,
	tenant_id       TEXT NOT NULL,
	trigger_id      TEXT NOT NULL,
	folder_id       TEXT NOT NULL DEFAULT '',
	at              BIGINT NOT NULL,
	status          TEXT NOT NULL,
	reason          TEXT NOT NULL DEFAULT '',
	event_type      TEXT NOT NULL DEFAULT '',
	object_id       TEXT NOT NULL DEFAULT '',
	job_id          TEXT NOT NULL DEFAULT '',
	idempotency_key TEXT NOT NULL DEFAULT '',
	FOREIGN KEY (tenant_id, trigger_id) REFERENCES triggers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX trigger_records_trigger ON trigger_records (tenant_id, trigger_id, id);
CREATE INDEX trigger_records_tenant ON trigger_records (tenant_id, id);

-- One job per event and trigger: the idempotency key is unique per trigger,
-- which is what lets an event be processed again without a second job.
-- payload, parameters and result are JSON.
CREATE TABLE jobs (
	id               TEXT PRIMARY KEY,
	tenant_id        TEXT NOT NULL,
	folder_id        TEXT NOT NULL,
	trigger_id       TEXT NOT NULL,
	connection_id    TEXT NOT NULL DEFAULT '',
	connector        TEXT NOT NULL DEFAULT '',
	event            TEXT NOT NULL DEFAULT '',
	object_type      TEXT NOT NULL DEFAULT '',
	object_id        TEXT NOT NULL DEFAULT '',
	payload          TEXT,
	parameters       TEXT,
	idempotency_key  TEXT NOT NULL,
	target           TEXT NOT NULL,
	queue            TEXT NOT NULL DEFAULT '',
	status           TEXT NOT NULL,
	attempts         INTEGER NOT NULL DEFAULT 0,
	lease_expires_at BIGINT,
	claimed_by       TEXT NOT NULL DEFAULT '',
	result           TEXT,
	error            TEXT NOT NULL DEFAULT '',
	created_at       BIGINT NOT NULL,
	updated_at       BIGINT NOT NULL,
	completed_at     BIGINT,
	UNIQUE (tenant_id, trigger_id, idempotency_key),
	FOREIGN KEY (tenant_id, trigger_id) REFERENCES triggers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX jobs_claim ON jobs (tenant_id, queue, status, id) WHERE target = 'queue';
CREATE INDEX jobs_tenant ON jobs (tenant_id, id);

-- A webhook delivery, stored before the vendor is answered and kept until
-- processed.
CREATE TABLE trigger_events (
	id              TEXT PRIMARY KEY,
	tenant_id       TEXT NOT NULL,
	trigger_id      TEXT NOT NULL,
	event_type      TEXT NOT NULL DEFAULT '',
	object_id       TEXT NOT NULL DEFAULT '',
	idempotency_key TEXT NOT NULL DEFAULT '',
	payload         BLOB,
	received_at     BIGINT NOT NULL,
	processed_at    BIGINT,
	FOREIGN KEY (tenant_id, trigger_id) REFERENCES triggers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX trigger_events_processed ON trigger_events (processed_at);

-- What polling remembers per (connection, object, event); seen is a JSON
-- list of {id, updated_at}.
CREATE TABLE poll_states (
	tenant_id     TEXT NOT NULL,
	connection_id TEXT NOT NULL,
	object        TEXT NOT NULL,
	event         TEXT NOT NULL,
	watermark     TEXT NOT NULL DEFAULT '',
	floor         TEXT NOT NULL DEFAULT '',
	cursor        TEXT NOT NULL DEFAULT '',
	seen          TEXT NOT NULL DEFAULT '[]',
	baselined     INTEGER NOT NULL DEFAULT 0,
	slot          BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	PRIMARY KEY (connection_id, object, event),
	FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE
);
