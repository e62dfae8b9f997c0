-- Notifications, each user's choices about them, and the settings a tenant
-- keeps for itself (how long records are kept, where notifications are
-- also posted).
--
-- An event is dispatched once: dispatched_at is stamped by the server that
-- turned it into notifications, in the same transaction. Events recorded
-- before notifications existed count as dispatched, so an upgrade does not
-- send a flood about the past.
ALTER TABLE events ADD COLUMN dispatched_at BIGINT;
UPDATE events SET dispatched_at = at;
CREATE INDEX events_undispatched ON events (id) WHERE dispatched_at IS NULL;

-- One row per user and event. in_app rows show in the user's list; a row
-- with email_state 'pending' waits for its email (or the digest that
-- folds it with others about the same object and event type), 'sent' has
-- had it.
CREATE TABLE notifications (
	id          TEXT COLLATE "C" PRIMARY KEY,
	tenant_id   TEXT COLLATE "C" NOT NULL,
	user_id     TEXT COLLATE "C" NOT NULL,
	event_id    TEXT COLLATE "C" NOT NULL,
	type        TEXT COLLATE "C" NOT NULL,
	object_type TEXT COLLATE "C" NOT NULL DEFAULT '',
	object_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
	folder_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
	title       TEXT COLLATE "C" NOT NULL,
	body        TEXT COLLATE "C" NOT NULL DEFAULT '',
	link        TEXT COLLATE "C" NOT NULL DEFAULT '',
	at          BIGINT NOT NULL,
	in_app      BOOLEAN NOT NULL DEFAULT TRUE,
	read_at     BIGINT,
	email_state TEXT COLLATE "C" NOT NULL DEFAULT '',
	emailed_at  BIGINT,
	UNIQUE (user_id, event_id),
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX notifications_user ON notifications (tenant_id, user_id, id) WHERE in_app;
CREATE INDEX notifications_email ON notifications (tenant_id, user_id, object_id, type, email_state);
CREATE INDEX notifications_at ON notifications (tenant_id, at);

-- folder_id '' is the user's choice for every folder; a folder's row wins
-- over it for that folder and its subfolders.
CREATE TABLE notification_preferences (
	tenant_id  TEXT COLLATE "C" NOT NULL,
	user_id    TEXT COLLATE "C" NOT NULL,
	event_type TEXT COLLATE "C" NOT NULL,
	folder_id  TEXT COLLATE "C" NOT NULL DEFAULT '',
	in_app     BOOLEAN NOT NULL,
	email      BOOLEAN NOT NULL,
	PRIMARY KEY (tenant_id, user_id, event_type, folder_id),
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- Retention in days; 0 keeps the default. The notification webhook's
-- signing secret is sealed (webhook_sealed_id).
CREATE TABLE tenant_settings (
	tenant_id            TEXT COLLATE "C" PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	executions_days      INTEGER NOT NULL DEFAULT 0,
	trigger_history_days INTEGER NOT NULL DEFAULT 0,
	audit_days           INTEGER NOT NULL DEFAULT 0,
	jobs_days            INTEGER NOT NULL DEFAULT 0,
	webhook_url          TEXT COLLATE "C" NOT NULL DEFAULT '',
	webhook_sealed_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
	updated_at           BIGINT NOT NULL
);

-- What retention prunes by.
CREATE INDEX trigger_records_at ON trigger_records (tenant_id, at);
CREATE INDEX jobs_completed ON jobs (tenant_id, completed_at) WHERE completed_at IS NOT NULL;
