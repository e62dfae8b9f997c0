-- Debug logging on a connection until debug_until (Unix microseconds; NULL
-- is off). While it is on, each execution keeps what it sent and got,
-- secrets masked, as JSON in executions.debug, pruned with the record.
ALTER TABLE connections ADD COLUMN debug_until BIGINT;
ALTER TABLE executions ADD COLUMN debug TEXT;
