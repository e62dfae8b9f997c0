-- Usage counted per tenant, folder, connector, connection and UTC day.
-- Servers count in memory and add their counts to the day's row every few
-- seconds (INSERT ... ON CONFLICT DO UPDATE adding), so several servers
-- share one row and an execution costs no write of its own.
CREATE TABLE usage_daily (
	tenant_id      TEXT NOT NULL,
	day            TEXT NOT NULL,
	folder_id      TEXT NOT NULL,
	connector      TEXT NOT NULL,
	connection_id  TEXT NOT NULL,
	executions     BIGINT NOT NULL DEFAULT 0,
	api_calls      BIGINT NOT NULL DEFAULT 0,
	trigger_events BIGINT NOT NULL DEFAULT 0,
	polls          BIGINT NOT NULL DEFAULT 0,
	jobs_delivered BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (tenant_id, day, folder_id, connector, connection_id)
);

-- A tenant's quotas; NULL is unlimited, and a tenant without a row has
-- none.
CREATE TABLE tenant_quotas (
	tenant_id           TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	api_calls_per_month BIGINT,
	connections         BIGINT,
	triggers            BIGINT,
	updated_at          BIGINT NOT NULL
);

-- The quota thresholds each tenant crossed, per month: the row makes the
-- notification once, whichever server sees the crossing first.
CREATE TABLE quota_thresholds (
	tenant_id TEXT NOT NULL,
	month     TEXT NOT NULL,
	percent   INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, month, percent)
);
