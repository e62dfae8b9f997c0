package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"junction"
)

const triggerColumns = "id, tenant_id, folder_id, connection_id, connector, object, event, kind, filter, parameters, " +
	"target_type, target_url, target_name, target_sealed_id, enabled, disabled_reason, consecutive_failures, " +
	"last_success_at, last_failure_at, baseline_at, webhook_token_hash, webhook_token_sealed_id, created_by, " +
	"created_at, updated_at, previous_webhook_token_hash, previous_webhook_token_expires_at, name, " +
	"webhook_secret_sealed_id"

func scanTrigger(s scanner) (*junction.Trigger, error) {
	var t junction.Trigger
	var kind, params, targetType string
	var targetSealed, tokenSealed, secretSealed sql.NullString
	var success, failure, baseline, previousExpires sql.NullInt64
	var created, updated int64
	if err := s.Scan(&t.ID, &t.TenantID, &t.FolderID, &t.ConnectionID, &t.Connector, &t.Object, &t.Event, &kind,
		&t.Filter, &params, &targetType, &t.Target.URL, &t.Target.Name, &targetSealed, &t.Enabled, &t.DisabledReason,
		&t.ConsecutiveFailures, &success, &failure, &baseline, &t.WebhookTokenHash, &tokenSealed, &t.CreatedBy,
		&created, &updated, &t.PreviousWebhookTokenHash, &previousExpires, &t.Name, &secretSealed); err != nil {
		return nil, err
	}
	t.Kind = junction.TriggerKind(kind)
	t.Target.Type = junction.TargetType(targetType)
	t.Target.SealedID = fromNullString(targetSealed)
	t.Target.SecretSet = t.Target.SealedID != ""
	t.WebhookTokenSealedID = fromNullString(tokenSealed)
	t.WebhookSecretSealedID = fromNullString(secretSealed)
	if err := decodeJSON(params, &t.Parameters); err != nil {
		return nil, err
	}
	t.LastSuccessAt, t.LastFailureAt, t.BaselineAt = fromNullMicros(success), fromNullMicros(failure), fromNullMicros(baseline)
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	t.PreviousWebhookTokenExpiresAt = fromNullMicros(previousExpires)
	if len(t.PreviousWebhookTokenHash) == 0 {
		t.PreviousWebhookTokenHash = nil
	}
	return &t, nil
}

// nullBytes stores an empty slice as NULL, so that unique columns hold
// any number of absent values.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func storedTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := storedTime(*t)
	return &v
}

func encodeParams(m map[string]any) (string, error) {
	if m == nil {
		return "{}", nil
	}
	return encodeJSON(m)
}

func triggerWriteErr(op string, t *junction.Trigger, err error) error {
	if classify(err) == uniqueViolation {
		if msg := err.Error(); strings.Contains(msg, "triggers_name") || strings.Contains(msg, "triggers.name") {
			return &junction.Error{Code: junction.ECONFLICT, Field: "name", Err: err,
				Message: "a trigger named " + quote(t.Name) + " already exists in this folder"}
		}
	}
	return writeErr(op, "trigger", err, "another trigger already has this webhook token",
		&junction.Error{Code: junction.ENOTFOUND, Field: "connection_id", Message: "connection not found"})
}

// CreateTrigger stores t. The connection and folder are checked first, in
// the same transaction, so that a missing one is named precisely.
func (h *handle) CreateTrigger(ctx context.Context, t *junction.Trigger) error {
	newID(&t.ID)
	params, err := encodeParams(t.Parameters)
	if err != nil {
		return internal("create trigger: encode parameters", err)
	}
	t.CreatedAt = stamp(t.CreatedAt, h.db.now())
	t.UpdatedAt = stamp(t.UpdatedAt, t.CreatedAt)
	t.LastSuccessAt, t.LastFailureAt, t.BaselineAt = storedTimePtr(t.LastSuccessAt), storedTimePtr(t.LastFailureAt), storedTimePtr(t.BaselineAt)
	t.PreviousWebhookTokenExpiresAt = storedTimePtr(t.PreviousWebhookTokenExpiresAt)
	t.Target.SecretSet = t.Target.SealedID != ""
	return h.write(ctx, func(h *handle) error {
		var one int
		err := h.writer().QueryRowContext(ctx, "SELECT 1 FROM folders WHERE tenant_id = $1 AND id = $2", t.TenantID, t.FolderID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return &junction.Error{Code: junction.ENOTFOUND, Field: "folder_id", Message: "folder not found"}
		}
		if err != nil {
			return internal("create trigger: check folder", err)
		}
		_, err = h.writer().ExecContext(ctx, "INSERT INTO triggers ("+triggerColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25,
				$26, $27, $28, $29)`,
			t.ID, t.TenantID, t.FolderID, t.ConnectionID, t.Connector, t.Object, t.Event, string(t.Kind), t.Filter, params,
			string(t.Target.Type), t.Target.URL, t.Target.Name, nullString(t.Target.SealedID), t.Enabled, t.DisabledReason,
			t.ConsecutiveFailures, nullMicros(t.LastSuccessAt), nullMicros(t.LastFailureAt), nullMicros(t.BaselineAt),
			nullBytes(t.WebhookTokenHash), nullString(t.WebhookTokenSealedID), t.CreatedBy, toMicros(t.CreatedAt),
			toMicros(t.UpdatedAt), nullBytes(t.PreviousWebhookTokenHash), nullMicros(t.PreviousWebhookTokenExpiresAt), t.Name,
			nullString(t.WebhookSecretSealedID))
		if err != nil {
			return triggerWriteErr("create trigger", t, err)
		}
		return nil
	})
}

func (h *handle) GetTrigger(ctx context.Context, tenantID, id string) (*junction.Trigger, error) {
	t, err := scanTrigger(h.reader().QueryRowContext(ctx,
		"SELECT "+triggerColumns+" FROM triggers WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("trigger", "get trigger", err)
	}
	return t, nil
}

func (h *handle) GetTriggerByTokenHash(ctx context.Context, hash []byte) (*junction.Trigger, error) {
	if len(hash) == 0 {
		return nil, junction.NotFound("trigger")
	}
	// Two lookups in one statement, each by its unique index; the
	// previous token only until it retires.
	t, err := scanTrigger(h.reader().QueryRowContext(ctx,
		"SELECT "+triggerColumns+" FROM triggers WHERE webhook_token_hash = $1 UNION ALL SELECT "+triggerColumns+
			" FROM triggers WHERE previous_webhook_token_hash = $2 AND previous_webhook_token_expires_at > $3 LIMIT 1",
		hash, hash, toMicros(h.db.now())))
	if err != nil {
		return nil, notFoundOr("trigger", "get trigger by token", err)
	}
	return t, nil
}

func (h *handle) ListTriggers(ctx context.Context, tenantID string, f junction.TriggerFilter) ([]*junction.Trigger, error) {
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	c.in("folder_id", f.FolderIDs)
	if f.ConnectionID != "" {
		c.add("connection_id = " + c.arg(f.ConnectionID))
	}
	if f.NameContains != "" {
		c.contains(f.NameContains, "name")
	}
	if f.Kind != "" {
		c.add("kind = " + c.arg(string(f.Kind)))
	}
	if f.Enabled != nil {
		c.add("enabled = " + c.arg(*f.Enabled))
	}
	tail := c.page(f.Page, "id")
	rows, err := h.reader().QueryContext(ctx, "SELECT "+triggerColumns+" FROM triggers"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list triggers", err)
	}
	out, err := collect(rows, scanTrigger)
	if err != nil {
		return nil, internal("list triggers", err)
	}
	return out, nil
}

// UpdateTrigger saves the mutable columns and reads the others back. The
// signing secret a handshake handed over (webhook_secret_sealed_id) is set
// but never cleared here: an edit that read the trigger before the
// handshake kept it must not drop it.
func (h *handle) UpdateTrigger(ctx context.Context, t *junction.Trigger) error {
	params, err := encodeParams(t.Parameters)
	if err != nil {
		return internal("update trigger: encode parameters", err)
	}
	t.UpdatedAt = stamp(t.UpdatedAt, h.db.now())
	t.LastSuccessAt, t.LastFailureAt, t.BaselineAt = storedTimePtr(t.LastSuccessAt), storedTimePtr(t.LastFailureAt), storedTimePtr(t.BaselineAt)
	t.PreviousWebhookTokenExpiresAt = storedTimePtr(t.PreviousWebhookTokenExpiresAt)
	t.Target.SecretSet = t.Target.SealedID != ""
	var created int64
	var kind string
	var secretSealed sql.NullString
	err = h.writer().QueryRowContext(ctx,
		`UPDATE triggers SET folder_id = $1, filter = $2, parameters = $3, target_type = $4, target_url = $5,
			target_name = $6, target_sealed_id = $7, enabled = $8, disabled_reason = $9, consecutive_failures = $10,
			last_success_at = $11, last_failure_at = $12, baseline_at = $13, webhook_token_hash = $14,
			webhook_token_sealed_id = $15, updated_at = $16, previous_webhook_token_hash = $17,
			previous_webhook_token_expires_at = $18, name = $19,
			webhook_secret_sealed_id = COALESCE($22, webhook_secret_sealed_id)
		WHERE tenant_id = $20 AND id = $21
		RETURNING connection_id, connector, object, event, kind, created_by, created_at, webhook_secret_sealed_id`,
		t.FolderID, t.Filter, params, string(t.Target.Type), t.Target.URL, t.Target.Name, nullString(t.Target.SealedID),
		t.Enabled, t.DisabledReason, t.ConsecutiveFailures, nullMicros(t.LastSuccessAt), nullMicros(t.LastFailureAt),
		nullMicros(t.BaselineAt), nullBytes(t.WebhookTokenHash), nullString(t.WebhookTokenSealedID), toMicros(t.UpdatedAt),
		nullBytes(t.PreviousWebhookTokenHash), nullMicros(t.PreviousWebhookTokenExpiresAt), t.Name, t.TenantID, t.ID,
		nullString(t.WebhookSecretSealedID)).Scan(&t.ConnectionID, &t.Connector, &t.Object, &t.Event, &kind, &t.CreatedBy, &created,
		&secretSealed)
	if errors.Is(err, sql.ErrNoRows) {
		return junction.NotFound("trigger")
	}
	if err != nil {
		if classify(err) == foreignKeyViolation {
			return &junction.Error{Code: junction.ENOTFOUND, Field: "folder_id", Message: "folder not found"}
		}
		return triggerWriteErr("update trigger", t, err)
	}
	t.Kind = junction.TriggerKind(kind)
	t.CreatedAt = fromMicros(created)
	t.WebhookSecretSealedID = fromNullString(secretSealed)
	return nil
}

// DeleteTrigger deletes the row; foreign keys take its history, jobs and
// events, and the database trigger triggers_delete_sealed its sealed
// values.
func (h *handle) DeleteTrigger(ctx context.Context, tenantID, id string) error {
	res, err := h.writer().ExecContext(ctx, "DELETE FROM triggers WHERE tenant_id = $1 AND id = $2", tenantID, id)
	if err != nil {
		return internal("delete trigger", err)
	}
	return affected(res, "trigger", "delete trigger")
}

// RecordTriggerResult changes the count in one UPDATE, so results from
// several servers are all counted.
func (h *handle) RecordTriggerResult(ctx context.Context, tenantID, id string, ok bool, at time.Time) (*junction.Trigger, error) {
	set := "consecutive_failures = consecutive_failures + 1, last_failure_at = $1"
	if ok {
		set = "consecutive_failures = 0, last_success_at = $1"
	}
	t, err := scanTrigger(h.writer().QueryRowContext(ctx,
		"UPDATE triggers SET "+set+" WHERE tenant_id = $2 AND id = $3 RETURNING "+triggerColumns,
		toMicros(storedTime(at)), tenantID, id))
	if err != nil {
		return nil, notFoundOr("trigger", "record trigger result", err)
	}
	return t, nil
}

func (h *handle) DisableTriggerForFailures(ctx context.Context, tenantID, id string, minFailures int, notSince, at time.Time) (bool, error) {
	res, err := h.writer().ExecContext(ctx,
		`UPDATE triggers SET enabled = $1, disabled_reason = $2, updated_at = $3
		WHERE tenant_id = $4 AND id = $5 AND enabled AND consecutive_failures >= $6
			AND COALESCE(last_success_at, created_at) < $7`,
		false, junction.DisabledDueToFailures, toMicros(storedTime(at)), tenantID, id, minFailures, toMicros(notSince))
	if err != nil {
		return false, internal("disable trigger", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, internal("disable trigger", err)
	}
	return n == 1, nil
}

func (h *handle) RecordTriggerSuccesses(ctx context.Context, ids []string, at time.Time) error {
	const chunk = 1000
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		var c conds
		set := "consecutive_failures = 0, last_success_at = " + c.arg(toMicros(storedTime(at)))
		c.add("id IN (" + c.argList(ids[:n]) + ")")
		ids = ids[n:]
		if _, err := h.writer().ExecContext(ctx, "UPDATE triggers SET "+set+c.clause(), c.args...); err != nil {
			return internal("record trigger successes", err)
		}
	}
	return nil
}

func (h *handle) SetTriggerBaseline(ctx context.Context, tenantID, id string, at time.Time) error {
	_, err := h.writer().ExecContext(ctx,
		"UPDATE triggers SET baseline_at = $1 WHERE tenant_id = $2 AND id = $3 AND baseline_at IS NULL",
		toMicros(storedTime(at)), tenantID, id)
	if err != nil {
		return internal("set trigger baseline", err)
	}
	return nil
}

const triggerRecordColumns = "id, tenant_id, trigger_id, folder_id, at, status, reason, event_type, object_id, job_id, idempotency_key, count"

func scanTriggerRecord(s scanner) (*junction.TriggerRecord, error) {
	var r junction.TriggerRecord
	var status string
	var at int64
	if err := s.Scan(&r.ID, &r.TenantID, &r.TriggerID, &r.FolderID, &at, &status, &r.Reason, &r.EventType,
		&r.ObjectID, &r.JobID, &r.IdempotencyKey, &r.Count); err != nil {
		return nil, err
	}
	r.Status = junction.TriggerRecordStatus(status)
	r.At = fromMicros(at)
	return &r, nil
}

// AppendTriggerRecord stores r, filling an empty ID and a zero At.
func (h *handle) AppendTriggerRecord(ctx context.Context, r *junction.TriggerRecord) error {
	newID(&r.ID)
	r.At = stamp(r.At, h.db.now())
	if r.Count <= 0 {
		r.Count = 1
	}
	_, err := h.writer().ExecContext(ctx,
		"INSERT INTO trigger_records ("+triggerRecordColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
		r.ID, r.TenantID, r.TriggerID, r.FolderID, toMicros(r.At), string(r.Status), r.Reason, r.EventType, r.ObjectID,
		r.JobID, r.IdempotencyKey, r.Count)
	if err != nil {
		return writeErr("append trigger record", "trigger record", err, "a trigger record with this ID already exists",
			junction.NotFound("trigger"))
	}
	return nil
}

// TallyTriggerRecord is one upsert on the partial unique index
// trigger_records_rejected_signature (migration 0009), whose predicate the
// conflict target repeats, as both dialects require to pick that index.
func (h *handle) TallyTriggerRecord(ctx context.Context, r *junction.TriggerRecord) error {
	if r.Status != junction.TriggerRejectedSignature {
		return junction.Invalid("status", "only %s records are tallied", junction.TriggerRejectedSignature)
	}
	newID(&r.ID)
	r.At = stamp(r.At, h.db.now())
	err := h.writer().QueryRowContext(ctx,
		"INSERT INTO trigger_records ("+triggerRecordColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1)
		ON CONFLICT (tenant_id, trigger_id, at) WHERE status = 'rejected_signature'
		DO UPDATE SET count = trigger_records.count + 1, reason = excluded.reason
		RETURNING id, count`,
		r.ID, r.TenantID, r.TriggerID, r.FolderID, toMicros(r.At), string(r.Status), r.Reason, r.EventType, r.ObjectID,
		r.JobID, r.IdempotencyKey).Scan(&r.ID, &r.Count)
	if err != nil {
		return writeErr("tally trigger record", "trigger record", err, "trigger record clash", junction.NotFound("trigger"))
	}
	return nil
}

func (h *handle) ListTriggerRecords(ctx context.Context, tenantID string, f junction.TriggerRecordFilter) ([]*junction.TriggerRecord, error) {
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	c.in("folder_id", f.FolderIDs)
	if f.TriggerID != "" {
		c.add("trigger_id = " + c.arg(f.TriggerID))
	}
	if f.Status != "" {
		c.add("status = " + c.arg(string(f.Status)))
	}
	if !f.Since.IsZero() {
		c.add("at >= " + c.arg(toMicros(f.Since)))
	}
	if !f.Until.IsZero() {
		c.add("at < " + c.arg(toMicros(f.Until)))
	}
	tail := c.page(f.Page, "id")
	rows, err := h.reader().QueryContext(ctx, "SELECT "+triggerRecordColumns+" FROM trigger_records"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list trigger records", err)
	}
	out, err := collect(rows, scanTriggerRecord)
	if err != nil {
		return nil, internal("list trigger records", err)
	}
	return out, nil
}

// ListPollSubscriptions pages by (connection ID, object, event,
// parameters), compared as a row value, which both dialects support. The
// page key is those four joined by "\x00" (the parameters as stored, so the
// comparison is exact); none of the first three can hold a NUL.
func (h *handle) ListPollSubscriptions(ctx context.Context, after string, limit int) ([]junction.PollSubscription, error) {
	if limit <= 0 || limit > junction.MaxPageSize {
		limit = junction.MaxPageSize
	}
	var c conds
	c.add("t.kind = " + c.arg(string(junction.TriggerPolling)))
	c.add("t.enabled")
	c.add("c.status IN (" + c.arg(string(junction.ConnectionConnected)) + ", " + c.arg(string(junction.ConnectionUntested)) + ")")
	if after != "" {
		parts := strings.SplitN(after, "\x00", 4)
		for len(parts) < 4 {
			parts = append(parts, "")
		}
		c.add("(t.connection_id, t.object, t.event, t.parameters) > (" + c.arg(parts[0]) + ", " + c.arg(parts[1]) + ", " +
			c.arg(parts[2]) + ", " + c.arg(parts[3]) + ")")
	}
	q := `SELECT DISTINCT t.tenant_id, t.connection_id, t.connector, t.object, t.event, t.parameters, c.poll_interval_minutes
		FROM triggers t JOIN connections c ON c.tenant_id = t.tenant_id AND c.id = t.connection_id` + c.clause() +
		" ORDER BY t.connection_id, t.object, t.event, t.parameters LIMIT " + c.arg(limit)
	rows, err := h.reader().QueryContext(ctx, q, c.args...)
	if err != nil {
		return nil, internal("list poll subscriptions", err)
	}
	out, err := collect(rows, func(s scanner) (junction.PollSubscription, error) {
		var p junction.PollSubscription
		var params string
		if err := s.Scan(&p.TenantID, &p.ConnectionID, &p.Connector, &p.Object, &p.Event, &params, &p.PollIntervalMinutes); err != nil {
			return p, err
		}
		p.PageKey = p.ConnectionID + "\x00" + p.Object + "\x00" + p.Event + "\x00" + params
		return p, decodeJSON(params, &p.Parameters)
	})
	if err != nil {
		return nil, internal("list poll subscriptions", err)
	}
	return out, nil
}

const pollStateColumns = "tenant_id, connection_id, object, event, input_hash, watermark, floor, cursor, seen, baselined, slot, updated_at"

func scanPollState(s scanner) (*junction.PollState, error) {
	var p junction.PollState
	var seen, watermark, floor string
	var slot, updated int64
	if err := s.Scan(&p.TenantID, &p.ConnectionID, &p.Object, &p.Event, &p.InputHash, &watermark, &floor, &p.Cursor, &seen,
		&p.Baselined, &slot, &updated); err != nil {
		return nil, err
	}
	var err error
	if p.Watermark, err = parseNanos(watermark); err != nil {
		return nil, err
	}
	if p.Floor, err = parseNanos(floor); err != nil {
		return nil, err
	}
	if err := decodeJSON(seen, &p.Seen); err != nil {
		return nil, err
	}
	p.Slot, p.UpdatedAt = fromMicros(slot), fromMicros(updated)
	return &p, nil
}

func (h *handle) GetPollState(ctx context.Context, tenantID, connectionID, object, event, inputHash string) (*junction.PollState, error) {
	p, err := scanPollState(h.reader().QueryRowContext(ctx,
		"SELECT "+pollStateColumns+` FROM poll_states
		WHERE tenant_id = $1 AND connection_id = $2 AND object = $3 AND event = $4 AND input_hash = $5`,
		tenantID, connectionID, object, event, inputHash))
	if err != nil {
		return nil, notFoundOr("poll state", "get poll state", err)
	}
	return p, nil
}

// PollSlots reads the states of every connection the keys name in one
// query (a connection has a state per object, event and input, a handful)
// and keeps those asked for.
func (h *handle) PollSlots(ctx context.Context, keys []junction.PollStateKey) (map[junction.PollStateKey]time.Time, error) {
	out := make(map[junction.PollStateKey]time.Time, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	want, chunks := pollStateChunks(keys)
	for _, conns := range chunks {
		var c conds
		c.add("connection_id IN (" + c.argList(conns) + ")")
		rows, err := h.reader().QueryContext(ctx,
			"SELECT connection_id, object, event, input_hash, slot FROM poll_states"+c.clause(), c.args...)
		if err != nil {
			return nil, internal("poll slots", err)
		}
		for rows.Next() {
			var k junction.PollStateKey
			var slot int64
			if err := rows.Scan(&k.ConnectionID, &k.Object, &k.Event, &k.InputHash, &slot); err != nil {
				rows.Close()
				return nil, internal("poll slots", err)
			}
			if want[k] {
				out[k] = fromMicros(slot)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, internal("poll slots", err)
		}
	}
	return out, nil
}

// PutPollState is one upsert whose update only applies to an earlier slot,
// so of two servers committing a poll of the same interval one stores and
// the other is told it did not.
func (h *handle) PutPollState(ctx context.Context, s *junction.PollState) (bool, error) {
	if len(s.Seen) > junction.PollSeenMax {
		s.Seen = s.Seen[len(s.Seen)-junction.PollSeenMax:]
	}
	seen := "[]"
	if len(s.Seen) > 0 {
		v, err := encodeJSON(s.Seen)
		if err != nil {
			return false, internal("put poll state: encode seen", err)
		}
		seen = v
	}
	// The watermark is the API's time, which may be finer than a
	// microsecond: it is kept as text to the nanosecond.
	watermark, floor := formatNanos(s.Watermark), formatNanos(s.Floor)
	s.Slot = storedTime(s.Slot)
	s.UpdatedAt = stamp(s.UpdatedAt, h.db.now())
	res, err := h.writer().ExecContext(ctx, "INSERT INTO poll_states ("+pollStateColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (connection_id, object, event, input_hash) DO UPDATE SET watermark = excluded.watermark, floor = excluded.floor,
			cursor = excluded.cursor, seen = excluded.seen, baselined = excluded.baselined, slot = excluded.slot,
			updated_at = excluded.updated_at
		WHERE poll_states.slot < excluded.slot`,
		s.TenantID, s.ConnectionID, s.Object, s.Event, s.InputHash, watermark, floor, s.Cursor, seen, s.Baselined, toMicros(s.Slot),
		toMicros(s.UpdatedAt))
	if err != nil {
		return false, writeErr("put poll state", "poll state", err, "poll state clash",
			&junction.Error{Code: junction.ENOTFOUND, Field: "connection_id", Message: "connection not found"})
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, internal("put poll state", err)
	}
	return n == 1, nil
}

// ListPollingTriggers names kind and enabled literally, as the partial
// index triggers_polling does, so that SQLite's planner looks each
// connection up in it; given them as parameters, it walked the tenant's
// triggers in ID order instead.
func (h *handle) ListPollingTriggers(ctx context.Context, connectionIDs []string) ([]*junction.Trigger, error) {
	var out []*junction.Trigger
	const chunk = 1000
	for len(connectionIDs) > 0 {
		n := min(chunk, len(connectionIDs))
		var c conds
		c.add("connection_id IN (" + c.argList(connectionIDs[:n]) + ")")
		c.add("kind = 'polling'")
		c.add("enabled")
		connectionIDs = connectionIDs[n:]
		rows, err := h.reader().QueryContext(ctx, "SELECT "+triggerColumns+" FROM triggers"+c.clause()+
			" ORDER BY connection_id, id", c.args...)
		if err != nil {
			return nil, internal("list polling triggers", err)
		}
		ts, err := collect(rows, scanTrigger)
		if err != nil {
			return nil, internal("list polling triggers", err)
		}
		out = append(out, ts...)
	}
	return out, nil
}

// pollStateChunks returns the set of keys asked for and their connection
// IDs, each once, in chunks that keep one statement's parameters well
// below both dialects' limits: poll_states is read by connection, the
// leading column of its key, and the rows not asked for are dropped.
func pollStateChunks(keys []junction.PollStateKey) (map[junction.PollStateKey]bool, [][]string) {
	const chunk = 1000
	want := make(map[junction.PollStateKey]bool, len(keys))
	var conns []string
	seen := map[string]bool{}
	for _, k := range keys {
		want[k] = true
		if !seen[k.ConnectionID] {
			seen[k.ConnectionID] = true
			conns = append(conns, k.ConnectionID)
		}
	}
	var chunks [][]string
	for len(conns) > 0 {
		n := min(chunk, len(conns))
		chunks = append(chunks, conns[:n:n])
		conns = conns[n:]
	}
	return want, chunks
}

// PollStates reads the states of every connection the keys name, a chunk
// of connections per query, and keeps those asked for (see PollSlots).
func (h *handle) PollStates(ctx context.Context, keys []junction.PollStateKey) (map[junction.PollStateKey]*junction.PollState, error) {
	out := make(map[junction.PollStateKey]*junction.PollState, len(keys))
	want, chunks := pollStateChunks(keys)
	for _, conns := range chunks {
		var c conds
		c.add("connection_id IN (" + c.argList(conns) + ")")
		rows, err := h.reader().QueryContext(ctx, "SELECT "+pollStateColumns+" FROM poll_states"+c.clause(), c.args...)
		if err != nil {
			return nil, internal("poll states", err)
		}
		states, err := collect(rows, scanPollState)
		if err != nil {
			return nil, internal("poll states", err)
		}
		for _, p := range states {
			k := junction.PollStateKey{ConnectionID: p.ConnectionID, Object: p.Object, Event: p.Event, InputHash: p.InputHash}
			if want[k] {
				out[k] = p
			}
		}
	}
	return out, nil
}

// ClaimPollSlot is one upsert that only moves the slot forward; a new
// state starts empty (not baselined), which reads as no state at all. It
// selects from connections so that a connection deleted meanwhile claims
// nothing rather than failing (and aborting the caller's transaction on
// PostgreSQL) on the foreign key.
func (h *handle) ClaimPollSlot(ctx context.Context, tenantID string, k junction.PollStateKey, slot time.Time) (bool, error) {
	res, err := h.writer().ExecContext(ctx, "INSERT INTO poll_states ("+pollStateColumns+`)
		SELECT c.tenant_id, c.id, $1, $2, $3, '', '', '', '[]', false, CAST($4 AS BIGINT), CAST($5 AS BIGINT)
		FROM connections c WHERE c.tenant_id = $6 AND c.id = $7
		ON CONFLICT (connection_id, object, event, input_hash) DO UPDATE SET slot = excluded.slot
		WHERE poll_states.slot < excluded.slot`,
		k.Object, k.Event, k.InputHash, toMicros(storedTime(slot)), toMicros(h.db.now()), tenantID, k.ConnectionID)
	if err != nil {
		return false, writeErr("claim poll slot", "poll state", err, "poll state clash",
			&junction.Error{Code: junction.ENOTFOUND, Field: "connection_id", Message: "connection not found"})
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, internal("claim poll slot", err)
	}
	return n == 1, nil
}

// ClaimPollSlots names the states as row values, which both dialects
// compare, a chunk of them per statement.
func (h *handle) ClaimPollSlots(ctx context.Context, slot time.Time, keys []junction.PollStateKey) ([]junction.PollStateKey, error) {
	var out []junction.PollStateKey
	const chunk = 200
	for len(keys) > 0 {
		n := min(chunk, len(keys))
		var c conds
		at := c.arg(toMicros(storedTime(slot)))
		rows := make([]string, n)
		for i, k := range keys[:n] {
			rows[i] = "(" + c.arg(k.ConnectionID) + ", " + c.arg(k.Object) + ", " + c.arg(k.Event) + ", " + c.arg(k.InputHash) + ")"
		}
		keys = keys[n:]
		rs, err := h.writer().QueryContext(ctx, "UPDATE poll_states SET slot = "+at+" WHERE slot < "+at+
			" AND (connection_id, object, event, input_hash) IN (VALUES "+strings.Join(rows, ", ")+
			") RETURNING connection_id, object, event, input_hash", c.args...)
		if err != nil {
			return nil, internal("claim poll slots", err)
		}
		claimed, err := collect(rs, func(s scanner) (junction.PollStateKey, error) {
			var k junction.PollStateKey
			return k, s.Scan(&k.ConnectionID, &k.Object, &k.Event, &k.InputHash)
		})
		if err != nil {
			return nil, internal("claim poll slots", err)
		}
		out = append(out, claimed...)
	}
	return out, nil
}

func (h *handle) PutClaimedPollState(ctx context.Context, s *junction.PollState) (bool, error) {
	if len(s.Seen) > junction.PollSeenMax {
		s.Seen = s.Seen[len(s.Seen)-junction.PollSeenMax:]
	}
	seen := "[]"
	if len(s.Seen) > 0 {
		v, err := encodeJSON(s.Seen)
		if err != nil {
			return false, internal("put claimed poll state: encode seen", err)
		}
		seen = v
	}
	s.Slot = storedTime(s.Slot)
	s.UpdatedAt = stamp(s.UpdatedAt, h.db.now())
	res, err := h.writer().ExecContext(ctx, `UPDATE poll_states SET watermark = $1, floor = $2, cursor = $3, seen = $4,
			baselined = $5, updated_at = $6
		WHERE connection_id = $7 AND object = $8 AND event = $9 AND input_hash = $10 AND slot = $11`,
		formatNanos(s.Watermark), formatNanos(s.Floor), s.Cursor, seen, s.Baselined, toMicros(s.UpdatedAt),
		s.ConnectionID, s.Object, s.Event, s.InputHash, toMicros(s.Slot))
	if err != nil {
		return false, internal("put claimed poll state", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, internal("put claimed poll state", err)
	}
	return n == 1, nil
}

func (h *handle) ReleasePollSlot(ctx context.Context, k junction.PollStateKey, slot, prev time.Time) error {
	_, err := h.writer().ExecContext(ctx, `UPDATE poll_states SET slot = $1
		WHERE connection_id = $2 AND object = $3 AND event = $4 AND input_hash = $5 AND slot = $6`,
		toMicros(storedTime(prev)), k.ConnectionID, k.Object, k.Event, k.InputHash, toMicros(storedTime(slot)))
	if err != nil {
		return internal("release poll slot", err)
	}
	return nil
}

const triggerEventColumns = "id, tenant_id, trigger_id, event_type, object_id, idempotency_key, payload, received_at, processed_at"

func scanTriggerEvent(s scanner) (*junction.TriggerEvent, error) {
	var e junction.TriggerEvent
	var received int64
	var processed sql.NullInt64
	if err := s.Scan(&e.ID, &e.TenantID, &e.TriggerID, &e.EventType, &e.ObjectID, &e.IdempotencyKey, &e.Payload,
		&received, &processed); err != nil {
		return nil, err
	}
	e.ReceivedAt, e.ProcessedAt = fromMicros(received), fromNullMicros(processed)
	return &e, nil
}

func (h *handle) CreateTriggerEvent(ctx context.Context, e *junction.TriggerEvent) error {
	newID(&e.ID)
	e.ReceivedAt = stamp(e.ReceivedAt, h.db.now())
	e.ProcessedAt = storedTimePtr(e.ProcessedAt)
	_, err := h.writer().ExecContext(ctx,
		"INSERT INTO trigger_events ("+triggerEventColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		e.ID, e.TenantID, e.TriggerID, e.EventType, e.ObjectID, e.IdempotencyKey, e.Payload, toMicros(e.ReceivedAt),
		nullMicros(e.ProcessedAt))
	if err != nil {
		return writeErr("create trigger event", "trigger event", err, "a trigger event with this ID already exists",
			junction.NotFound("trigger"))
	}
	return nil
}

func (h *handle) GetTriggerEvent(ctx context.Context, tenantID, id string) (*junction.TriggerEvent, error) {
	e, err := scanTriggerEvent(h.reader().QueryRowContext(ctx,
		"SELECT "+triggerEventColumns+" FROM trigger_events WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("trigger event", "get trigger event", err)
	}
	return e, nil
}

func (h *handle) MarkTriggerEventProcessed(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := h.writer().ExecContext(ctx, "UPDATE trigger_events SET processed_at = $1 WHERE tenant_id = $2 AND id = $3",
		toMicros(storedTime(at)), tenantID, id)
	if err != nil {
		return internal("mark trigger event processed", err)
	}
	return affected(res, "trigger event", "mark trigger event processed")
}

func (h *handle) DeleteProcessedTriggerEvents(ctx context.Context, before time.Time) (int, error) {
	res, err := h.writer().ExecContext(ctx, "DELETE FROM trigger_events WHERE processed_at IS NOT NULL AND processed_at < $1",
		toMicros(before))
	if err != nil {
		return 0, internal("delete processed trigger events", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, internal("delete processed trigger events", err)
	}
	return int(n), nil
}

// formatNanos writes an API's time to the nanosecond, "" for zero.
func formatNanos(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseNanos(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
