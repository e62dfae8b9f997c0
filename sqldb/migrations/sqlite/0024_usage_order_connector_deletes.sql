-- Version 0024. On PostgreSQL it also announces deleted custom connectors
-- to the other servers; SQLite has one server, which forgets them itself.
--
-- usage_daily is read by ranges of (tenant_id, day): every usage report and
-- the month's API calls behind a quota. As an ordinary (rowid) table each of
-- those rows cost a second B-tree search from the primary-key index into the
-- table, which was most of a month's report for 1,000 connections (40,000
-- rows). Kept WITHOUT ROWID, the rows live in primary-key order and a range
-- is read in one pass.
CREATE TABLE usage_daily_clustered (
	tenant_id      TEXT NOT NULL,
	day            TEXT NOT NULL,
	folder_id      TEXT NOT NULL,
	connector      TEXT NOT NULL,
	connection_id  TEXT NOT NULL,
	executions     BIGINT NOT NULL DEFAULT 0,
	api_calls      BIGINT NOT NULL DEFAULT 0,
	trigger_events BIGINT NOT NULL DEFAULT 0,
	polls          BIGINT NOT NULL DEFAULT 0,
	jobs_delivered BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (tenant_id, day, folder_id, connector, connection_id)
) WITHOUT ROWID;

INSERT INTO usage_daily_clustered (tenant_id, day, folder_id, connector, connection_id,
	executions, api_calls, trigger_events, polls, jobs_delivered)
SELECT tenant_id, day, folder_id, connector, connection_id,
	executions, api_calls, trigger_events, polls, jobs_delivered
FROM usage_daily;

DROP TABLE usage_daily;

ALTER TABLE usage_daily_clustered RENAME TO usage_daily;
