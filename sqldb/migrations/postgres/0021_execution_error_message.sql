-- What a failed execution told its caller (the problem's field and detail,
-- never a secret or the upstream body), kept to be shown and searched.
ALTER TABLE executions ADD COLUMN error_message TEXT NOT NULL DEFAULT '';
