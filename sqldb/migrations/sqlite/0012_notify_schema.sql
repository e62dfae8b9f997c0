-- PostgreSQL's change notifications now name their schema. SQLite has no
-- notifications: nothing to change, but the versions of the two dialects
-- stay the same.
SELECT 1;
