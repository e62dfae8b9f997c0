package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"junction"
)

const jobColumns = "id, tenant_id, folder_id, trigger_id, connection_id, connector, event, object_type, object_id, " +
	"payload, parameters, idempotency_key, target, queue, status, attempts, lease_expires_at, claimed_by, result, error, " +
	"created_at, updated_at, completed_at"

func scanJob(s scanner) (*junction.Job, error) {
	var j junction.Job
	var payload, params, result sql.NullString
	var target, status string
	var lease, completed sql.NullInt64
	var created, updated int64
	if err := s.Scan(&j.ID, &j.TenantID, &j.FolderID, &j.TriggerID, &j.ConnectionID, &j.Connector, &j.Event,
		&j.ObjectType, &j.ObjectID, &payload, &params, &j.IdempotencyKey, &target, &j.Queue, &status, &j.Attempts,
		&lease, &j.ClaimedBy, &result, &j.Error, &created, &updated, &completed); err != nil {
		return nil, err
	}
	if err := decodeJSON(payload.String, &j.Payload); err != nil {
		return nil, err
	}
	if err := decodeJSON(params.String, &j.Parameters); err != nil {
		return nil, err
	}
	if err := decodeJSON(result.String, &j.Result); err != nil {
		return nil, err
	}
	j.Target, j.Status = junction.TargetType(target), junction.JobStatus(status)
	j.LeaseExpiresAt, j.CompletedAt = fromNullMicros(lease), fromNullMicros(completed)
	j.CreatedAt, j.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &j, nil
}

// nullJSON encodes v as JSON, or NULL for nil.
func nullJSON(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	s, err := encodeJSON(v)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// CreateJob inserts j unless its (trigger, idempotency key) is taken, in
// one statement: of two servers processing the same event, one inserts and
// the other learns it did not.
func (h *handle) CreateJob(ctx context.Context, j *junction.Job) (bool, error) {
	payload, err := nullJSON(j.Payload)
	if err != nil {
		return false, internal("create job: encode payload", err)
	}
	var params any
	if len(j.Parameters) > 0 {
		if params, err = nullJSON(j.Parameters); err != nil {
			return false, internal("create job: encode parameters", err)
		}
	}
	result, err := nullJSON(j.Result)
	if err != nil {
		return false, internal("create job: encode result", err)
	}
	id := j.ID
	newID(&id)
	created := stamp(j.CreatedAt, h.db.now())
	updated := stamp(j.UpdatedAt, created)
	status := j.Status
	if status == "" {
		status = junction.JobPending
	}
	res, err := h.writer().ExecContext(ctx, "INSERT INTO jobs ("+jobColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
		ON CONFLICT (tenant_id, trigger_id, idempotency_key) DO NOTHING`,
		id, j.TenantID, j.FolderID, j.TriggerID, j.ConnectionID, j.Connector, j.Event, j.ObjectType, j.ObjectID,
		payload, params, j.IdempotencyKey, string(j.Target), j.Queue, string(status), j.Attempts,
		nullMicros(storedTimePtr(j.LeaseExpiresAt)), j.ClaimedBy, result, j.Error, toMicros(created), toMicros(updated),
		nullMicros(storedTimePtr(j.CompletedAt)))
	if err != nil {
		return false, writeErr("create job", "job", err, "a job with this ID already exists", junction.NotFound("trigger"))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, internal("create job", err)
	}
	if n == 0 {
		return false, nil
	}
	j.ID, j.CreatedAt, j.UpdatedAt, j.Status = id, created, updated, status
	j.LeaseExpiresAt, j.CompletedAt = storedTimePtr(j.LeaseExpiresAt), storedTimePtr(j.CompletedAt)
	return true, nil
}

func (h *handle) GetJob(ctx context.Context, tenantID, id string) (*junction.Job, error) {
	j, err := scanJob(h.reader().QueryRowContext(ctx,
		"SELECT "+jobColumns+" FROM jobs WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("job", "get job", err)
	}
	return j, nil
}

func (h *handle) GetJobByKey(ctx context.Context, tenantID, triggerID, key string) (*junction.Job, error) {
	j, err := scanJob(h.reader().QueryRowContext(ctx,
		"SELECT "+jobColumns+" FROM jobs WHERE tenant_id = $1 AND trigger_id = $2 AND idempotency_key = $3",
		tenantID, triggerID, key))
	if err != nil {
		return nil, notFoundOr("job", "get job by key", err)
	}
	return j, nil
}

func (h *handle) ListJobs(ctx context.Context, tenantID string, f junction.JobFilter) ([]*junction.Job, error) {
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	c.in("folder_id", f.FolderIDs)
	if f.TriggerID != "" {
		c.add("trigger_id = " + c.arg(f.TriggerID))
	}
	if f.Queue != "" {
		c.add("queue = " + c.arg(f.Queue))
	}
	if f.Status != "" {
		c.add("status = " + c.arg(string(f.Status)))
	}
	tail := c.page(f.Page, "id")
	rows, err := h.reader().QueryContext(ctx, "SELECT "+jobColumns+" FROM jobs"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list jobs", err)
	}
	out, err := collect(rows, scanJob)
	if err != nil {
		return nil, internal("list jobs", err)
	}
	return out, nil
}

// ClaimJob picks and claims in one UPDATE. On PostgreSQL the pick takes a
// row lock and skips rows other claims hold (FOR UPDATE SKIP LOCKED), so
// concurrent workers each get a different job without waiting on each
// other; the outer condition is checked again after the lock, so a job
// claimed meanwhile is never claimed twice. SQLite's single writer runs
// claims one at a time.
//
// The pick walks the partial index jobs_claim_order (open queue jobs by
// created_at, id); its predicate is repeated literally because neither
// planner proves a partial index usable from bound parameters.
func (h *handle) ClaimJob(ctx context.Context, tenantID string, folderIDs []string, queue, worker string, lease time.Duration, now time.Time) (*junction.Job, error) {
	now = storedTime(now)
	var c conds
	pNow := c.arg(toMicros(now))
	pLease := c.arg(toMicros(now.Add(lease)))
	pWorker := c.arg(worker)
	pClaimed := c.arg(string(junction.JobClaimed))
	pPending := c.arg(string(junction.JobPending))
	c.add("tenant_id = " + c.arg(tenantID))
	c.add("queue = " + c.arg(queue))
	c.add("target = 'queue' AND status IN ('pending', 'claimed')")
	c.in("folder_id", folderIDs)
	ready := "(status = " + pPending + " OR (status = " + pClaimed + " AND lease_expires_at <= " + pNow + "))"
	c.add(ready)
	pick := "SELECT id FROM jobs" + c.clause() + " ORDER BY created_at, id LIMIT 1"
	if h.db.dialect == DialectPostgres {
		pick += " FOR UPDATE SKIP LOCKED"
	}
	q := "UPDATE jobs SET status = " + pClaimed + ", claimed_by = " + pWorker + ", lease_expires_at = " + pLease +
		", attempts = attempts + 1, updated_at = " + pNow +
		" WHERE id = (" + pick + ") AND " + ready + " RETURNING " + jobColumns
	j, err := scanJob(h.writer().QueryRowContext(ctx, q, c.args...))
	if err != nil {
		return nil, notFoundOr("job", "claim job", err)
	}
	return j, nil
}

// finishClaimed updates a job that worker still holds, telling a lost
// claim (ECONFLICT) from a missing job (ENOTFOUND).
func (h *handle) finishClaimed(ctx context.Context, op, tenantID, id, worker, set string, args ...any) (*junction.Job, error) {
	n := len(args)
	q := "UPDATE jobs SET " + set + " WHERE tenant_id = $" + strconv.Itoa(n+1) + " AND id = $" + strconv.Itoa(n+2) +
		" AND status = $" + strconv.Itoa(n+3) + " AND claimed_by = $" + strconv.Itoa(n+4) + " RETURNING " + jobColumns
	args = append(args, tenantID, id, string(junction.JobClaimed), worker)
	j, err := scanJob(h.writer().QueryRowContext(ctx, q, args...))
	if err == nil {
		return j, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, internal(op, err)
	}
	if _, gerr := h.GetJob(ctx, tenantID, id); gerr != nil {
		return nil, gerr
	}
	return nil, conflict("the job is not claimed by %s: its lease expired or it is finished", quote(worker))
}

func (h *handle) CompleteJob(ctx context.Context, tenantID, id, worker string, result any, now time.Time) (*junction.Job, error) {
	res, err := nullJSON(result)
	if err != nil {
		return nil, internal("complete job: encode result", err)
	}
	t := toMicros(storedTime(now))
	return h.finishClaimed(ctx, "complete job", tenantID, id, worker,
		"status = $1, result = $2, error = '', lease_expires_at = NULL, updated_at = $3, completed_at = $3",
		string(junction.JobCompleted), res, t)
}

func (h *handle) FailJob(ctx context.Context, tenantID, id, worker, reason string, retry bool, now time.Time) (*junction.Job, error) {
	t := toMicros(storedTime(now))
	if retry {
		return h.finishClaimed(ctx, "fail job", tenantID, id, worker,
			"status = $1, error = $2, claimed_by = '', lease_expires_at = NULL, updated_at = $3",
			string(junction.JobPending), reason, t)
	}
	return h.finishClaimed(ctx, "fail job", tenantID, id, worker,
		"status = $1, error = $2, lease_expires_at = NULL, updated_at = $3, completed_at = $3",
		string(junction.JobFailed), reason, t)
}

func (h *handle) SetJobStatus(ctx context.Context, tenantID, id string, status junction.JobStatus, attempts int, errMsg string, now time.Time) error {
	t := toMicros(storedTime(now))
	var completed any
	if status == junction.JobCompleted || status == junction.JobFailed {
		completed = t
	}
	res, err := h.writer().ExecContext(ctx,
		"UPDATE jobs SET status = $1, attempts = $2, error = $3, updated_at = $4, completed_at = $5 WHERE tenant_id = $6 AND id = $7 AND status <> $8",
		string(status), attempts, errMsg, t, completed, tenantID, id, string(junction.JobCancelled))
	if err != nil {
		return internal("set job status", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return internal("set job status", err)
	} else if n == 0 {
		// Missing, or cancelled, which stays so.
		_, err := h.GetJob(ctx, tenantID, id)
		return err
	}
	return nil
}

// moveJob updates a job that is in one of the statuses from, telling a job
// in another status (ECONFLICT) from a missing one (ENOTFOUND). set uses
// placeholders from $1, with args.
func (h *handle) moveJob(ctx context.Context, op, tenantID, id string, from []junction.JobStatus, set string, args ...any) (*junction.Job, error) {
	c := conds{args: args}
	c.add("tenant_id = " + c.arg(tenantID))
	c.add("id = " + c.arg(id))
	statuses := make([]string, len(from))
	for i, s := range from {
		statuses[i] = string(s)
	}
	c.add("status IN (" + c.argList(statuses) + ")")
	j, err := scanJob(h.writer().QueryRowContext(ctx, "UPDATE jobs SET "+set+c.clause()+" RETURNING "+jobColumns, c.args...))
	if err == nil {
		return j, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, internal(op, err)
	}
	cur, err := h.GetJob(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return nil, conflict("the job is %s", cur.Status)
}

func (h *handle) RetryJob(ctx context.Context, tenantID, id string, now time.Time) (*junction.Job, error) {
	return h.moveJob(ctx, "retry job", tenantID, id, []junction.JobStatus{junction.JobFailed, junction.JobCancelled},
		"status = $1, attempts = 0, error = '', result = NULL, claimed_by = '', lease_expires_at = NULL, "+
			"updated_at = $2, completed_at = NULL",
		string(junction.JobPending), toMicros(storedTime(now)))
}

func (h *handle) CancelJob(ctx context.Context, tenantID, id, reason string, now time.Time) (*junction.Job, error) {
	t := toMicros(storedTime(now))
	return h.moveJob(ctx, "cancel job", tenantID, id, []junction.JobStatus{junction.JobPending, junction.JobClaimed},
		"status = $1, error = $2, lease_expires_at = NULL, updated_at = $3, completed_at = $3",
		string(junction.JobCancelled), reason, t)
}

func (h *handle) DeleteJob(ctx context.Context, tenantID, id string) error {
	res, err := h.writer().ExecContext(ctx, "DELETE FROM jobs WHERE tenant_id = $1 AND id = $2", tenantID, id)
	if err != nil {
		return internal("delete job", err)
	}
	return affected(res, "job", "delete job")
}
