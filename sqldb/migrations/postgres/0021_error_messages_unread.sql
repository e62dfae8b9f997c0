-- What a failed execution told its caller (the problem's field and detail,
-- never a secret or the upstream body), kept to be shown and searched.
ALTER TABLE executions ADD COLUMN error_message TEXT NOT NULL DEFAULT '';

-- Every web UI page counts the user's unread in-app notifications for the
-- header's bell: this index holds only those, so the count reads as many
-- entries as there are unread, not every notification the user kept.
-- Its condition is written as the queries write it, so that SQLite sees it
-- applies.
CREATE INDEX notifications_unread ON notifications (tenant_id, user_id) WHERE in_app AND read_at IS NULL;
