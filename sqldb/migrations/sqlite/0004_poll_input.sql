-- Polling sends the list operation the input its triggers give (owner and
-- repo of a repository's issues), so poll state is kept per (connection,
-- object, event, input hash): triggers on one repository share a state,
-- triggers on another have their own. SQLite cannot change a primary key
-- in place, so the table is rebuilt.
--
-- Until now polls sent no input: existing states belong to the empty
-- input, whose hash is the SHA-256 of "{}", and carry on from where they
-- were.
CREATE TABLE poll_states_new (
	tenant_id     TEXT NOT NULL,
	connection_id TEXT NOT NULL,
	object        TEXT NOT NULL,
	event         TEXT NOT NULL,
	input_hash    TEXT NOT NULL,
	watermark     TEXT NOT NULL DEFAULT '',
	floor         TEXT NOT NULL DEFAULT '',
	cursor        TEXT NOT NULL DEFAULT '',
	seen          TEXT NOT NULL DEFAULT '[]',
	baselined     INTEGER NOT NULL DEFAULT 0,
	slot          BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	PRIMARY KEY (connection_id, object, event, input_hash),
	FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO poll_states_new (tenant_id, connection_id, object, event, input_hash, watermark, floor, cursor, seen,
		baselined, slot, updated_at)
	SELECT tenant_id, connection_id, object, event,
		'44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
		watermark, floor, cursor, seen, baselined, slot, updated_at
	FROM poll_states;
DROP TABLE poll_states;
ALTER TABLE poll_states_new RENAME TO poll_states;
