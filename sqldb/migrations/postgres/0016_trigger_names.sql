-- Triggers may be named, so that people can refer to them as they do to
-- connections. A name is optional: unnamed triggers ('') are many in a
-- folder, a named one is the only one of its name there.
ALTER TABLE triggers ADD COLUMN name TEXT NOT NULL DEFAULT '';

CREATE UNIQUE INDEX triggers_name ON triggers (tenant_id, folder_id, name) WHERE name <> '';
