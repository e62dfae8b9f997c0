-- retry_of links an execution an operator retried to the one it retried.
-- input_sealed_id points at the sealed request (activity, object,
-- operation, input) a failed execution keeps so that it can be retried;
-- empty for successes, for records made before it was kept, and once the
-- input's retention is over. The index finds those past it.
ALTER TABLE executions ADD COLUMN retry_of TEXT NOT NULL DEFAULT '';
ALTER TABLE executions ADD COLUMN input_sealed_id TEXT NOT NULL DEFAULT '';
CREATE INDEX executions_kept_input ON executions (started_at) WHERE input_sealed_id <> '';
