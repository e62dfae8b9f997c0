package sqldb

import (
	"context"
	"database/sql"
	"time"

	"junction"
)

// ListUndispatchedEvents reads through the partial index on events not yet
// dispatched, so it stays cheap however many events were.
func (h *handle) ListUndispatchedEvents(ctx context.Context, limit int) ([]*junction.Event, error) {
	rows, err := h.reader().QueryContext(ctx,
		"SELECT "+eventColumns+" FROM events WHERE dispatched_at IS NULL ORDER BY id LIMIT $1", limit)
	if err != nil {
		return nil, internal("list undispatched events", err)
	}
	out, err := collect(rows, scanEvent)
	if err != nil {
		return nil, internal("list undispatched events", err)
	}
	return out, nil
}

// MarkEventDispatched is a conditional update: of two servers dispatching
// the same event, the second waits for the first's row lock (or SQLite's
// one writer) and then finds it stamped.
func (h *handle) MarkEventDispatched(ctx context.Context, tenantID, id string, at time.Time) (bool, error) {
	res, err := h.writer().ExecContext(ctx,
		"UPDATE events SET dispatched_at = $1 WHERE tenant_id = $2 AND id = $3 AND dispatched_at IS NULL",
		toMicros(storedTime(at)), tenantID, id)
	if err != nil {
		return false, internal("mark event dispatched", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, internal("mark event dispatched", err)
	}
	return n == 1, nil
}

func (h *handle) GetEvent(ctx context.Context, tenantID, id string) (*junction.Event, error) {
	e, err := scanEvent(h.reader().QueryRowContext(ctx,
		"SELECT "+eventColumns+" FROM events WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("event", "get event", err)
	}
	return e, nil
}

const notificationColumns = "id, tenant_id, user_id, event_id, type, object_type, object_id, folder_id, title, body, link, " +
	"at, in_app, read_at, email_state, emailed_at"

func scanNotification(s scanner) (*junction.Notification, error) {
	var n junction.Notification
	var at int64
	var read, emailed sql.NullInt64
	if err := s.Scan(&n.ID, &n.TenantID, &n.UserID, &n.EventID, &n.Type, &n.ObjectType, &n.ObjectID, &n.FolderID,
		&n.Title, &n.Body, &n.Link, &at, &n.InApp, &read, &n.EmailState, &emailed); err != nil {
		return nil, err
	}
	n.At, n.ReadAt, n.EmailedAt = fromMicros(at), fromNullMicros(read), fromNullMicros(emailed)
	return &n, nil
}

func (h *handle) CreateNotification(ctx context.Context, n *junction.Notification) error {
	newID(&n.ID)
	n.At = stamp(n.At, h.db.now())
	_, err := h.writer().ExecContext(ctx, "INSERT INTO notifications ("+notificationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		n.ID, n.TenantID, n.UserID, n.EventID, n.Type, n.ObjectType, n.ObjectID, n.FolderID,
		storableText(n.Title), storableText(n.Body), n.Link, toMicros(n.At), n.InApp,
		nullMicros(storedTimePtr(n.ReadAt)), n.EmailState, nullMicros(storedTimePtr(n.EmailedAt)))
	if err != nil {
		return writeErr("create notification", "notification", err,
			"the user has a notification of this event already", junction.NotFound("user"))
	}
	n.ReadAt, n.EmailedAt = storedTimePtr(n.ReadAt), storedTimePtr(n.EmailedAt)
	return nil
}

func (h *handle) ListNotifications(ctx context.Context, tenantID, userID string, f junction.NotificationFilter) ([]*junction.Notification, error) {
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	c.add("user_id = " + c.arg(userID))
	c.add("in_app")
	if f.UnreadOnly {
		c.add("read_at IS NULL")
	}
	tail := c.pageBy(f.Page, "id", newestFirst)
	rows, err := h.reader().QueryContext(ctx, "SELECT "+notificationColumns+" FROM notifications"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list notifications", err)
	}
	out, err := collect(rows, scanNotification)
	if err != nil {
		return nil, internal("list notifications", err)
	}
	return out, nil
}

func (h *handle) CountUnreadNotifications(ctx context.Context, tenantID, userID string) (int, error) {
	var n int
	err := h.reader().QueryRowContext(ctx,
		"SELECT COUNT(*) FROM notifications WHERE tenant_id = $1 AND user_id = $2 AND in_app AND read_at IS NULL",
		tenantID, userID).Scan(&n)
	if err != nil {
		return 0, internal("count unread notifications", err)
	}
	return n, nil
}

func (h *handle) MarkNotificationRead(ctx context.Context, tenantID, userID, id string, at time.Time) (*junction.Notification, error) {
	var out *junction.Notification
	err := h.write(ctx, func(h *handle) error {
		if _, err := h.writer().ExecContext(ctx,
			"UPDATE notifications SET read_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND id = $4 AND in_app AND read_at IS NULL",
			toMicros(storedTime(at)), tenantID, userID, id); err != nil {
			return internal("mark notification read", err)
		}
		n, err := scanNotification(h.reader().QueryRowContext(ctx,
			"SELECT "+notificationColumns+" FROM notifications WHERE tenant_id = $1 AND user_id = $2 AND id = $3 AND in_app",
			tenantID, userID, id))
		if err != nil {
			return notFoundOr("notification", "mark notification read", err)
		}
		out = n
		return nil
	})
	return out, err
}

func (h *handle) MarkAllNotificationsRead(ctx context.Context, tenantID, userID string, at time.Time) (int, error) {
	res, err := h.writer().ExecContext(ctx,
		"UPDATE notifications SET read_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND in_app AND read_at IS NULL",
		toMicros(storedTime(at)), tenantID, userID)
	if err != nil {
		return 0, internal("mark all notifications read", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, internal("mark all notifications read", err)
	}
	return int(n), nil
}

func (h *handle) ListPendingEmails(ctx context.Context, tenantID, userID, objectID, eventType string) ([]*junction.Notification, error) {
	rows, err := h.reader().QueryContext(ctx, "SELECT "+notificationColumns+` FROM notifications
		WHERE tenant_id = $1 AND user_id = $2 AND object_id = $3 AND type = $4 AND email_state = $5 ORDER BY id`,
		tenantID, userID, objectID, eventType, junction.EmailPending)
	if err != nil {
		return nil, internal("list pending emails", err)
	}
	out, err := collect(rows, scanNotification)
	if err != nil {
		return nil, internal("list pending emails", err)
	}
	return out, nil
}

func (h *handle) MarkEmailed(ctx context.Context, tenantID string, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	var c conds
	set := "email_state = " + c.arg(junction.EmailSent) + ", emailed_at = " + c.arg(toMicros(storedTime(at)))
	c.add("tenant_id = " + c.arg(tenantID))
	c.in("id", ids)
	if _, err := h.writer().ExecContext(ctx, "UPDATE notifications SET "+set+c.clause(), c.args...); err != nil {
		return internal("mark emailed", err)
	}
	return nil
}

func (h *handle) LastEmailedAt(ctx context.Context, tenantID, userID, objectID, eventType string) (time.Time, error) {
	var v sql.NullInt64
	err := h.reader().QueryRowContext(ctx, `SELECT MAX(emailed_at) FROM notifications
		WHERE tenant_id = $1 AND user_id = $2 AND object_id = $3 AND type = $4 AND email_state = $5`,
		tenantID, userID, objectID, eventType, junction.EmailSent).Scan(&v)
	if err != nil {
		return time.Time{}, internal("last emailed", err)
	}
	if !v.Valid {
		return time.Time{}, nil
	}
	return fromMicros(v.Int64), nil
}

func (h *handle) ListNotificationPreferences(ctx context.Context, tenantID, userID string) ([]junction.NotificationPreference, error) {
	rows, err := h.reader().QueryContext(ctx, `SELECT event_type, folder_id, in_app, email FROM notification_preferences
		WHERE tenant_id = $1 AND user_id = $2 ORDER BY event_type, folder_id`, tenantID, userID)
	if err != nil {
		return nil, internal("list notification preferences", err)
	}
	out, err := collect(rows, func(s scanner) (junction.NotificationPreference, error) {
		var p junction.NotificationPreference
		err := s.Scan(&p.EventType, &p.FolderID, &p.InApp, &p.Email)
		return p, err
	})
	if err != nil {
		return nil, internal("list notification preferences", err)
	}
	return out, nil
}

func (h *handle) SetNotificationPreferences(ctx context.Context, tenantID, userID string, prefs []junction.NotificationPreference) error {
	return h.write(ctx, func(h *handle) error {
		if _, err := h.writer().ExecContext(ctx,
			"DELETE FROM notification_preferences WHERE tenant_id = $1 AND user_id = $2", tenantID, userID); err != nil {
			return internal("set notification preferences", err)
		}
		for _, p := range prefs {
			if _, err := h.writer().ExecContext(ctx, `INSERT INTO notification_preferences
				(tenant_id, user_id, event_type, folder_id, in_app, email) VALUES ($1, $2, $3, $4, $5, $6)`,
				tenantID, userID, p.EventType, p.FolderID, p.InApp, p.Email); err != nil {
				return writeErr("set notification preferences", "notification preference", err,
					"the same event type and folder is given twice", junction.NotFound("user"))
			}
		}
		return nil
	})
}

func (h *handle) GetTenantSettings(ctx context.Context, tenantID string) (*junction.TenantSettings, error) {
	s := &junction.TenantSettings{TenantID: tenantID}
	var updated int64
	err := h.reader().QueryRowContext(ctx, `SELECT executions_days, trigger_history_days, audit_days, jobs_days,
		webhook_url, webhook_sealed_id, updated_at FROM tenant_settings WHERE tenant_id = $1`, tenantID).Scan(
		&s.Retention.ExecutionsDays, &s.Retention.TriggerHistoryDays, &s.Retention.AuditDays, &s.Retention.JobsDays,
		&s.WebhookURL, &s.WebhookSealedID, &updated)
	switch {
	case err == sql.ErrNoRows:
		return s, nil
	case err != nil:
		return nil, internal("get tenant settings", err)
	}
	s.UpdatedAt = fromMicros(updated)
	return s, nil
}

func (h *handle) PutTenantSettings(ctx context.Context, s *junction.TenantSettings) error {
	s.UpdatedAt = stamp(s.UpdatedAt, h.db.now())
	r := s.Retention
	_, err := h.writer().ExecContext(ctx, `INSERT INTO tenant_settings (tenant_id, executions_days, trigger_history_days,
		audit_days, jobs_days, webhook_url, webhook_sealed_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (tenant_id) DO UPDATE SET executions_days = excluded.executions_days,
		trigger_history_days = excluded.trigger_history_days, audit_days = excluded.audit_days,
		jobs_days = excluded.jobs_days, webhook_url = excluded.webhook_url,
		webhook_sealed_id = excluded.webhook_sealed_id, updated_at = excluded.updated_at`,
		s.TenantID, r.ExecutionsDays, r.TriggerHistoryDays, r.AuditDays, r.JobsDays, s.WebhookURL, s.WebhookSealedID,
		toMicros(s.UpdatedAt))
	if err != nil {
		return writeErr("put tenant settings", "tenant settings", err, "", junction.NotFound("tenant"))
	}
	return nil
}

// prune deletes up to limit rows of table, chosen by the subquery's
// condition on the tenant's oldest rows, in one statement: a batch is one
// short write, and the next batch is a new statement that writers queued
// meanwhile go before.
func (h *handle) prune(ctx context.Context, op, table, cond string, tenantID string, cutoff time.Time, limit int) (int, error) {
	res, err := h.writer().ExecContext(ctx, "DELETE FROM "+table+" WHERE id IN (SELECT id FROM "+table+
		" WHERE tenant_id = $1 AND "+cond+" LIMIT $3)", tenantID, toMicros(storedTime(cutoff)), limit)
	if err != nil {
		return 0, internal(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, internal(op, err)
	}
	return int(n), nil
}

func (h *handle) PruneExecutions(ctx context.Context, tenantID string, cutoff time.Time, limit int) (int, error) {
	var n int
	err := h.write(ctx, func(h *handle) error {
		// The inputs failed executions kept go with them.
		if _, err := h.writer().ExecContext(ctx, `DELETE FROM sealed_values WHERE tenant_id = $1 AND id IN
			(SELECT input_sealed_id FROM executions WHERE tenant_id = $1 AND started_at < $2 AND input_sealed_id <> ''
			ORDER BY started_at LIMIT $3)`, tenantID, toMicros(storedTime(cutoff)), limit); err != nil {
			return internal("prune executions: inputs", err)
		}
		var err error
		n, err = h.prune(ctx, "prune executions", "executions", "started_at < $2 ORDER BY started_at", tenantID, cutoff, limit)
		return err
	})
	return n, err
}

func (h *handle) PruneTriggerRecords(ctx context.Context, tenantID string, cutoff time.Time, limit int) (int, error) {
	return h.prune(ctx, "prune trigger history", "trigger_records", "at < $2 ORDER BY at", tenantID, cutoff, limit)
}

func (h *handle) PruneAudit(ctx context.Context, tenantID string, cutoff time.Time, limit int) (int, error) {
	return h.prune(ctx, "prune audit", "audit_entries", "at < $2 ORDER BY at", tenantID, cutoff, limit)
}

func (h *handle) PruneJobs(ctx context.Context, tenantID string, cutoff time.Time, limit int) (int, error) {
	return h.prune(ctx, "prune jobs", "jobs",
		"completed_at IS NOT NULL AND completed_at < $2 AND status IN ('completed', 'failed', 'cancelled') ORDER BY completed_at",
		tenantID, cutoff, limit)
}

func (h *handle) PruneNotifications(ctx context.Context, tenantID string, cutoff time.Time, limit int) (int, error) {
	return h.prune(ctx, "prune notifications", "notifications", "at < $2 ORDER BY at", tenantID, cutoff, limit)
}
