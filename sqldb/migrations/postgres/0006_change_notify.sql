-- Servers keep in memory what every request reads (the principal behind a
-- token, a connection with its folder, an asset with its store, the sealed
-- object of a connection's literal secrets). Any
-- committed change to the tables those come from is announced on the
-- channel junction_changes, whoever made it (another server, the key
-- rotation command, an operator with psql), so that every server drops
-- what it holds. NOTIFY is transactional: listeners hear of a change only
-- once it has committed, and not at all if it rolled back. Statement-level
-- triggers send one notification per statement, and PostgreSQL folds
-- identical notifications of one transaction into one.
CREATE FUNCTION junction_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('junction_changes', TG_TABLE_NAME);
	RETURN NULL;
END;
$$;

CREATE TRIGGER folders_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON folders
	FOR EACH STATEMENT EXECUTE FUNCTION junction_notify_change();
CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
	FOR EACH STATEMENT EXECUTE FUNCTION junction_notify_change();
CREATE TRIGGER roles_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON roles
	FOR EACH STATEMENT EXECUTE FUNCTION junction_notify_change();
CREATE TRIGGER role_assignments_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON role_assignments
	FOR EACH STATEMENT EXECUTE FUNCTION junction_notify_change();
-- A token's last-used time changes once a minute per token in use and
-- matters to no cache, so only the columns that decide whether it is
-- valid are watched.
CREATE TRIGGER tokens_changed AFTER INSERT OR DELETE OR TRUNCATE ON tokens
	FOR EACH STATEMENT EXECUTE FUNCTION junction_notify_change();
CREATE TRIGGER tokens_validity_changed AFTER UPDATE OF user_id, hash, expires_at, revoked_at ON tokens
	FOR EACH STATEMENT EXECUTE FUNCTION junction_notify_change();
CREATE TRIGGER credential_stores_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON credential_stores
	FOR EACH STATEMENT EXECUTE FUNCTION junction_notify_change();
CREATE TRIGGER assets_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON assets
	FOR EACH STATEMENT EXECUTE FUNCTION junction_notify_change();
CREATE TRIGGER connections_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connections
	FOR EACH STATEMENT EXECUTE FUNCTION junction_notify_change();
CREATE TRIGGER sealed_values_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sealed_values
	FOR EACH STATEMENT EXECUTE FUNCTION junction_notify_change();
