-- retry_of links an execution an operator retried to the one it retried.
-- input_sealed_id points at the sealed request (activity, object,
-- operation, input) a failed execution keeps so that it can be retried;
-- empty for successes and for records made before it was kept.
ALTER TABLE executions ADD COLUMN retry_of TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE executions ADD COLUMN input_sealed_id TEXT COLLATE "C" NOT NULL DEFAULT '';
