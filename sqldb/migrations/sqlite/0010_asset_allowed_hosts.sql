-- A secret or credential asset may name the hosts its value may be sent
-- to, as a JSON array of host patterns. Existing assets get none, which
-- means no restriction: they keep working as before.
ALTER TABLE assets ADD COLUMN allowed_hosts TEXT NOT NULL DEFAULT '[]';
