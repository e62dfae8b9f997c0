-- One-time links that let a user set their first password (the
-- administrator's, when no bootstrap password was given). Only the SHA-256
-- of the link's secret is kept; taking one deletes it.
CREATE TABLE setup_tokens (
	hash       BLOB PRIMARY KEY,
	tenant_id  TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX setup_tokens_user ON setup_tokens (tenant_id, user_id);
