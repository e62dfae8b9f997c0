-- On PostgreSQL this version announces changes to triggers to other
-- servers (see 0006). An SQLite database has one server, so there is
-- nothing to add here; the file keeps the versions of both dialects in
-- step.
SELECT 1;
