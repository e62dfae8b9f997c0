-- password_hash is an encoded argon2id hash, empty for users without a
-- password. Sessions of the web UI keep the SHA-256 of their secret only;
-- expires_at is the absolute end, last_seen_at drives the idle timeout.
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
CREATE TABLE sessions (
	id           TEXT PRIMARY KEY,
	tenant_id    TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	hash         BLOB NOT NULL UNIQUE,
	created_at   BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
