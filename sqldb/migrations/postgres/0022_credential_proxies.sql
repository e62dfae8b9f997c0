-- A tenant registers the Credentials Proxies that reach its vaults from
-- inside private networks; a credential store may name one (proxy_id), and
-- is then reached only through it. The proxy's shared key and client key
-- are sealed (sealed_id); urls is a JSON array tried in order. A proxy
-- still named by a store cannot be deleted.
CREATE TABLE credential_proxies (
	id          TEXT COLLATE "C" PRIMARY KEY,
	tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	urls        TEXT NOT NULL DEFAULT '[]',
	ca_cert     TEXT NOT NULL DEFAULT '',
	client_cert TEXT NOT NULL DEFAULT '',
	secret_keys TEXT NOT NULL DEFAULT '[]',
	sealed_id   TEXT,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	UNIQUE (tenant_id, name)
);

ALTER TABLE credential_stores ADD COLUMN proxy_id TEXT COLLATE "C" REFERENCES credential_proxies (id);
