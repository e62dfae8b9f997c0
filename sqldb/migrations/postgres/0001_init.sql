-- Tenants, the folder tree, users, roles and their assignments, API tokens,
-- the audit log, sealed values, credential stores and assets.
--
-- Times are Unix microseconds (UTC) in BIGINT columns, IDs are UUIDv7 text.
-- Optional references (parent folder, assignment folder, asset store) are
-- NULL when unset so foreign keys can check them; the Go code maps NULL to "".

CREATE TABLE tenants (
	id         TEXT COLLATE "C" PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	created_at BIGINT NOT NULL
);

-- path is the chain of folder IDs from the top down to this folder, written
-- "/id1/id2/id3/", so a subtree is every folder whose path starts with the
-- subtree root's path.
CREATE TABLE folders (
	id         TEXT COLLATE "C" PRIMARY KEY,
	tenant_id  TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	parent_id  TEXT COLLATE "C",
	name       TEXT NOT NULL,
	path       TEXT COLLATE "C" NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	UNIQUE (tenant_id, id),
	FOREIGN KEY (tenant_id, parent_id) REFERENCES folders (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX folders_sibling_name ON folders (tenant_id, COALESCE(parent_id, ''), name);
CREATE INDEX folders_parent ON folders (tenant_id, parent_id);
CREATE INDEX folders_path ON folders (tenant_id, path);

CREATE TABLE users (
	id           TEXT COLLATE "C" PRIMARY KEY,
	tenant_id    TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	display_name TEXT NOT NULL DEFAULT '',
	email        TEXT NOT NULL DEFAULT '',
	host_admin   BOOLEAN NOT NULL DEFAULT FALSE,
	disabled     BOOLEAN NOT NULL DEFAULT FALSE,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	UNIQUE (tenant_id, id),
	UNIQUE (tenant_id, name)
);

-- permissions is a JSON array of permission names.
CREATE TABLE roles (
	id          TEXT COLLATE "C" PRIMARY KEY,
	tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	permissions TEXT NOT NULL DEFAULT '[]',
	built_in    BOOLEAN NOT NULL DEFAULT FALSE,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	UNIQUE (tenant_id, id),
	UNIQUE (tenant_id, name)
);

-- folder_id NULL is a tenant-wide assignment. A role cannot be deleted while
-- assigned (RESTRICT); deleting a user or a folder removes its assignments.
CREATE TABLE role_assignments (
	tenant_id TEXT COLLATE "C" NOT NULL,
	user_id   TEXT COLLATE "C" NOT NULL,
	folder_id TEXT COLLATE "C",
	role_id   TEXT COLLATE "C" NOT NULL,
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, folder_id) REFERENCES folders (tenant_id, id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE RESTRICT
);
CREATE UNIQUE INDEX role_assignments_scope ON role_assignments (tenant_id, user_id, COALESCE(folder_id, ''), role_id);
CREATE INDEX role_assignments_folder ON role_assignments (tenant_id, folder_id);
CREATE INDEX role_assignments_role ON role_assignments (tenant_id, role_id);

CREATE TABLE tokens (
	id           TEXT COLLATE "C" PRIMARY KEY,
	tenant_id    TEXT COLLATE "C" NOT NULL,
	user_id      TEXT COLLATE "C" NOT NULL,
	name         TEXT NOT NULL,
	hash         BYTEA NOT NULL UNIQUE,
	expires_at   BIGINT,
	revoked_at   BIGINT,
	last_used_at BIGINT,
	created_at   BIGINT NOT NULL,
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX tokens_user ON tokens (tenant_id, user_id);

-- details is a JSON object. Actors and objects are not foreign keys: the log
-- outlives what it describes.
CREATE TABLE audit_entries (
	id          TEXT COLLATE "C" PRIMARY KEY,
	tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	at          BIGINT NOT NULL,
	actor_id    TEXT NOT NULL DEFAULT '',
	actor_name  TEXT NOT NULL DEFAULT '',
	action      TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id   TEXT NOT NULL DEFAULT '',
	folder_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
	ip          TEXT NOT NULL DEFAULT '',
	request_id  TEXT NOT NULL DEFAULT '',
	outcome     TEXT NOT NULL,
	details     TEXT
);
CREATE INDEX audit_entries_tenant ON audit_entries (tenant_id, id);
CREATE INDEX audit_entries_actor ON audit_entries (tenant_id, actor_id, id);
CREATE INDEX audit_entries_object ON audit_entries (tenant_id, object_type, object_id, id);
CREATE INDEX audit_entries_at ON audit_entries (tenant_id, at);

CREATE TABLE sealed_values (
	id          TEXT COLLATE "C" PRIMARY KEY,
	tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	key_id      TEXT NOT NULL,
	wrapped_key BYTEA NOT NULL,
	nonce       BYTEA NOT NULL,
	ciphertext  BYTEA NOT NULL,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE INDEX sealed_values_key ON sealed_values (key_id, id);

-- config is a JSON object of the non-secret keys; secret_keys a JSON array
-- naming the secret keys that are set (their values are in sealed_values).
CREATE TABLE credential_stores (
	id          TEXT COLLATE "C" PRIMARY KEY,
	tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	type        TEXT NOT NULL,
	read_only   BOOLEAN NOT NULL DEFAULT FALSE,
	insecure    BOOLEAN NOT NULL DEFAULT FALSE,
	proxy_url   TEXT NOT NULL DEFAULT '',
	config      TEXT NOT NULL DEFAULT '{}',
	secret_keys TEXT NOT NULL DEFAULT '[]',
	sealed_id   TEXT,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	UNIQUE (tenant_id, id),
	UNIQUE (tenant_id, name)
);

-- Assets block the deletion of their folder and of their credential store
-- (RESTRICT): removing either must not silently drop secrets' references.
CREATE TABLE assets (
	id            TEXT COLLATE "C" PRIMARY KEY,
	tenant_id     TEXT COLLATE "C" NOT NULL,
	folder_id     TEXT COLLATE "C" NOT NULL,
	name          TEXT NOT NULL,
	type          TEXT NOT NULL,
	description   TEXT NOT NULL DEFAULT '',
	value         TEXT NOT NULL DEFAULT '',
	store_id      TEXT COLLATE "C",
	external_name TEXT NOT NULL DEFAULT '',
	sealed_id     TEXT,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	UNIQUE (tenant_id, id),
	UNIQUE (tenant_id, folder_id, name),
	FOREIGN KEY (tenant_id, folder_id) REFERENCES folders (tenant_id, id) ON DELETE RESTRICT,
	FOREIGN KEY (tenant_id, store_id) REFERENCES credential_stores (tenant_id, id) ON DELETE RESTRICT
);
CREATE INDEX assets_store ON assets (tenant_id, store_id);
