-- On PostgreSQL this version announces changes to cached tables to other
-- servers. An SQLite database has one server, whose own writes tell its
-- cache what changed, so there is nothing to add here; the file keeps the
-- version numbers of both dialects in step.
SELECT 1;
