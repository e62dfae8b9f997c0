-- retry_of links an execution an operator retried to the one it retried.
-- input_sealed_id points at the sealed request (activity, object,
-- operation, input) a failed execution keeps so that it can be retried;
-- empty for successes, for records made before it was kept, and once the
-- input's retention is over. The index finds those past it.
ALTER TABLE executions ADD COLUMN retry_of TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE executions ADD COLUMN input_sealed_id TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX executions_kept_input ON executions (started_at) WHERE input_sealed_id <> '';
-- A sealed value inserted under a new ID is in no server's cache, and every
-- failed execution inserts one (the input it keeps): announcing inserts
-- would have every server drop its cache on every failure. Replacing a
-- value (an upsert, INSERT ... ON CONFLICT DO UPDATE) still fires the
-- UPDATE trigger, which PostgreSQL runs for such statements whether or not
-- a row was updated.
DROP TRIGGER sealed_values_changed ON sealed_values;
CREATE TRIGGER sealed_values_changed AFTER UPDATE OR DELETE OR TRUNCATE ON sealed_values
	FOR EACH STATEMENT EXECUTE FUNCTION junction_notify_change();
