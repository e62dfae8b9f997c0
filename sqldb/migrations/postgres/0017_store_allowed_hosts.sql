-- An external credential store may confine where the values of its
-- secrets may be sent, as a JSON array of host patterns: every asset of
-- the store is held to them, whoever made it. Existing stores get none.
ALTER TABLE credential_stores ADD COLUMN allowed_hosts TEXT NOT NULL DEFAULT '[]';
