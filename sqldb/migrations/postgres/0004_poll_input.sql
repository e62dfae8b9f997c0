-- Polling sends the list operation the input its triggers give (owner and
-- repo of a repository's issues), so poll state is kept per (connection,
-- object, event, input hash): triggers on one repository share a state,
-- triggers on another have their own.
--
-- Until now polls sent no input: existing states belong to the empty
-- input, whose hash is the SHA-256 of "{}", and carry on from where they
-- were.
ALTER TABLE poll_states ADD COLUMN input_hash TEXT COLLATE "C" NOT NULL
	DEFAULT '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
ALTER TABLE poll_states ALTER COLUMN input_hash DROP DEFAULT;
ALTER TABLE poll_states DROP CONSTRAINT poll_states_pkey;
ALTER TABLE poll_states ADD PRIMARY KEY (connection_id, object, event, input_hash);
