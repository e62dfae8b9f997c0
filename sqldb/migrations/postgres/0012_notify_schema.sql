-- NOTIFY channels belong to the whole database, not to a schema, so two
-- installations in two schemas of one database heard each other's changes
-- on junction_changes. The payload now names the schema as well as the
-- table ("junction.folders"); a server ignores changes of other schemas.
CREATE OR REPLACE FUNCTION junction_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('junction_changes', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME);
	RETURN NULL;
END;
$$;
