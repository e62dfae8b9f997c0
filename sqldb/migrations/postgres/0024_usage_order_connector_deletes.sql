-- Servers keep each published version of a custom connector parsed in
-- memory, by tenant, key and version, for good: a published version never
-- changes. A connector deleted and made again with the same key and
-- version numbers is the exception, so its deletion is announced on
-- junction_changes like the changes of 0006 and 0007, and every server
-- drops the parsed versions it holds. Edits of drafts are not announced:
-- nothing parsed depends on them.
CREATE TRIGGER custom_connectors_deleted AFTER DELETE OR TRUNCATE ON custom_connectors
	FOR EACH STATEMENT EXECUTE FUNCTION junction_notify_change();

-- On SQLite this version also stores usage_daily in primary-key order
-- (WITHOUT ROWID) so that a range of days is read in one pass. PostgreSQL
-- has no such tables and reads the range through its primary key.
