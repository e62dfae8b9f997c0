-- Custom connectors: a tenant's own definitions, a draft each and the
-- versions published from it. A published version's definition never
-- changes, so servers may keep it parsed in memory for good.
-- import_notes is a JSON array of the checklist items an import reported
-- about its source file.
CREATE TABLE custom_connectors (
	id            TEXT COLLATE "C" PRIMARY KEY,
	tenant_id     TEXT COLLATE "C" NOT NULL,
	key           TEXT NOT NULL,
	display_name  TEXT NOT NULL,
	draft         TEXT NOT NULL,
	source_format TEXT NOT NULL DEFAULT '',
	import_notes  TEXT NOT NULL DEFAULT '[]',
	created_by    TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	UNIQUE (tenant_id, id),
	UNIQUE (tenant_id, key),
	FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);

CREATE TABLE connector_versions (
	tenant_id    TEXT COLLATE "C" NOT NULL,
	connector_id TEXT COLLATE "C" NOT NULL,
	version      TEXT NOT NULL,
	definition   TEXT NOT NULL,
	published_at BIGINT NOT NULL,
	published_by TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (tenant_id, connector_id, version),
	FOREIGN KEY (tenant_id, connector_id) REFERENCES custom_connectors (tenant_id, id) ON DELETE CASCADE
);

-- The published version of a custom connector a connection uses; empty for
-- built-in connectors.
ALTER TABLE connections ADD COLUMN connector_version TEXT NOT NULL DEFAULT '';

-- Tenant Administrators manage custom connectors in tenants made before
-- the permission existed, as they do in new ones.
UPDATE roles SET permissions = (permissions::jsonb || '["Connectors.Manage"]'::jsonb)::text
	WHERE built_in AND name = 'Tenant Administrator' AND NOT permissions::jsonb @> '["Connectors.Manage"]'::jsonb;
