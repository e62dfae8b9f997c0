-- Connections, their pending OAuth authorization-code flows, execution
-- records and events.

-- fields is a JSON object of field name to junction.FieldValue; it never
-- holds a secret value (literal secrets are sealed under secrets_sealed_id).
-- Connections block the deletion of their folder (RESTRICT), like assets.
-- Sealed values are not foreign keys: DeleteConnection removes them itself.
CREATE TABLE connections (
	id                    TEXT PRIMARY KEY,
	tenant_id             TEXT NOT NULL,
	folder_id             TEXT NOT NULL,
	connector             TEXT NOT NULL,
	name                  TEXT NOT NULL,
	auth_type             TEXT NOT NULL DEFAULT '',
	fields                TEXT NOT NULL DEFAULT '{}',
	is_default            INTEGER NOT NULL DEFAULT 0,
	status                TEXT NOT NULL DEFAULT '',
	status_reason         TEXT NOT NULL DEFAULT '',
	poll_interval_minutes INTEGER NOT NULL DEFAULT 0,
	proxy_url             TEXT NOT NULL DEFAULT '',
	secrets_sealed_id     TEXT,
	token_sealed_id       TEXT,
	auth_failures         INTEGER NOT NULL DEFAULT 0,
	created_by            TEXT NOT NULL DEFAULT '',
	created_at            BIGINT NOT NULL,
	updated_at            BIGINT NOT NULL,
	UNIQUE (tenant_id, id),
	UNIQUE (tenant_id, folder_id, name),
	FOREIGN KEY (tenant_id, folder_id) REFERENCES folders (tenant_id, id) ON DELETE RESTRICT
);
-- At most one default connection per connector in a folder.
CREATE UNIQUE INDEX connections_default ON connections (tenant_id, folder_id, connector) WHERE is_default;

-- Only a hash of the state parameter is kept. Callbacks find a flow by that
-- hash alone, across tenants. Deleting the connection deletes its flows.
CREATE TABLE oauth_states (
	id            TEXT PRIMARY KEY,
	tenant_id     TEXT NOT NULL,
	connection_id TEXT NOT NULL,
	user_id       TEXT NOT NULL DEFAULT '',
	state_hash    BLOB NOT NULL UNIQUE,
	redirect_uri  TEXT NOT NULL DEFAULT '',
	sealed_id     TEXT,
	expires_at    BIGINT NOT NULL,
	created_at    BIGINT NOT NULL,
	FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX oauth_states_connection ON oauth_states (tenant_id, connection_id);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);

-- Executions and events outlive the connections and folders they name, like
-- the audit log, so only the tenant is a foreign key.
CREATE TABLE executions (
	id            TEXT PRIMARY KEY,
	tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	folder_id     TEXT NOT NULL DEFAULT '',
	connection_id TEXT NOT NULL DEFAULT '',
	connector     TEXT NOT NULL DEFAULT '',
	activity      TEXT NOT NULL,
	status        TEXT NOT NULL,
	http_status   INTEGER NOT NULL DEFAULT 0,
	error_code    TEXT NOT NULL DEFAULT '',
	attempts      INTEGER NOT NULL DEFAULT 0,
	duration_ms   BIGINT NOT NULL DEFAULT 0,
	caller_id     TEXT NOT NULL DEFAULT '',
	started_at    BIGINT NOT NULL
);
CREATE INDEX executions_tenant ON executions (tenant_id, id);
CREATE INDEX executions_started ON executions (tenant_id, started_at, id);
CREATE INDEX executions_connection ON executions (tenant_id, connection_id, id);
CREATE INDEX executions_folder ON executions (tenant_id, folder_id, id);

-- details is a JSON object.
CREATE TABLE events (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	type        TEXT NOT NULL,
	object_type TEXT NOT NULL DEFAULT '',
	object_id   TEXT NOT NULL DEFAULT '',
	folder_id   TEXT NOT NULL DEFAULT '',
	at          BIGINT NOT NULL,
	details     TEXT
);
CREATE INDEX events_tenant ON events (tenant_id, id);
