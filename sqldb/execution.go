package sqldb

import (
	"context"
	"database/sql"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"junction"
)

const executionColumns = "id, tenant_id, folder_id, connection_id, connector, activity, status, http_status, error_code, " +
	"attempts, duration_ms, caller_id, started_at, retry_of, input_sealed_id, debug, error_message"

// executionColumnCount is how many values a row of executionColumns takes.
const executionColumnCount = 17

// executionsPerInsert bounds the rows of one multi-row INSERT, keeping its
// placeholders (17 a row) well under both dialects' limits (32766 on
// SQLite, 65535 on PostgreSQL). It is a power of two: see powerOfTwoChunks.
const executionsPerInsert = 256

func scanExecution(s scanner) (*junction.Execution, error) {
	var e junction.Execution
	var started int64
	var debug sql.NullString
	if err := s.Scan(&e.ID, &e.TenantID, &e.FolderID, &e.ConnectionID, &e.Connector, &e.Activity, &e.Status,
		&e.HTTPStatus, &e.ErrorCode, &e.Attempts, &e.DurationMS, &e.CallerID, &started, &e.RetryOf, &e.InputSealedID,
		&debug, &e.ErrorMessage); err != nil {
		return nil, err
	}
	if debug.Valid {
		e.Debug = &junction.ExecutionDebug{}
		if err := decodeJSON(debug.String, e.Debug); err != nil {
			return nil, err
		}
	}
	e.StartedAt = fromMicros(started)
	return &e, nil
}

// executionArgs fills an empty ID and a zero StartedAt and returns the
// column values. The text a record carries is made storable: an activity
// name comes from the caller or a trigger, and a failed execution is
// recorded above all.
func (h *handle) executionArgs(e *junction.Execution) []any {
	newID(&e.ID)
	e.StartedAt = stamp(e.StartedAt, h.db.now())
	if e.Input != nil {
		e.InputSealedID = e.Input.ID
	}
	return []any{e.ID, e.TenantID, e.FolderID, e.ConnectionID, storableText(e.Connector), storableText(e.Activity),
		storableText(e.Status), e.HTTPStatus, storableText(e.ErrorCode), e.Attempts, e.DurationMS,
		storableText(e.CallerID), toMicros(e.StartedAt), e.RetryOf, e.InputSealedID, debugJSON(e.Debug),
		storableText(e.ErrorMessage)}
}

// debugJSON is the debug column's value: NULL without a debug record. The
// record's text is made storable like the rest of the row (a body may
// hold anything), and a record that cannot be encoded is kept as an
// empty one rather than losing the execution's record.
func debugJSON(d *junction.ExecutionDebug) any {
	if d == nil {
		return nil
	}
	s, err := encodeJSON(d)
	if err != nil {
		return `{"attempts":[]}`
	}
	return storableText(s)
}

func executionWriteErr(err error) error {
	return writeErr("append execution", "execution", err, "an execution with this ID already exists", junction.NotFound("tenant"))
}

// AppendExecution stores e, filling an empty ID and a zero StartedAt, and
// the input it keeps in the same transaction.
func (h *handle) AppendExecution(ctx context.Context, e *junction.Execution) error {
	insert := func(h *handle) error {
		_, err := h.writer().ExecContext(ctx,
			"INSERT INTO executions ("+executionColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
			h.executionArgs(e)...)
		if err != nil {
			return executionWriteErr(err)
		}
		return nil
	}
	if e.Input == nil {
		return insert(h)
	}
	return h.write(ctx, func(h *handle) error {
		if err := insert(h); err != nil {
			return err
		}
		return h.insertKeptInputs(ctx, []*junction.Execution{e})
	})
}

// insertKeptInputs stores the inputs es keep. They are plain inserts under
// new IDs, never the upsert of PutSealed: a new sealed value is in no
// server's cache, so, unlike a replaced one, it is announced to none (see
// migration 0012), and a failed execution costs no server its cache.
func (h *handle) insertKeptInputs(ctx context.Context, es []*junction.Execution) error {
	for _, e := range es {
		v := e.Input
		if v == nil {
			continue
		}
		now := h.db.now()
		v.CreatedAt, v.UpdatedAt = stamp(v.CreatedAt, now), stamp(v.UpdatedAt, now)
		if _, err := h.writer().ExecContext(ctx, "INSERT INTO sealed_values ("+sealedColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
			v.ID, e.TenantID, v.KeyID, v.WrappedKey, v.Nonce, v.Ciphertext, toMicros(v.CreatedAt), toMicros(v.UpdatedAt)); err != nil {
			return writeErr("append execution: keep its input", "sealed value", err, "a sealed value with this ID already exists",
				junction.NotFound("tenant"))
		}
	}
	return nil
}

// AppendExecutions stores es in one transaction with multi-row INSERTs, so
// a batch costs one commit and few statements rather than one of each per
// execution.
//
// On SQLite the placeholders are plain "?" rather than "$N": SQLite keeps
// "$N" as named parameters and looks each one up by a linear search, at
// parse and at bind time, which makes a statement with hundreds of them
// quadratic and slower than one INSERT per row. Anonymous "?" bind by
// position, the order the arguments are in.
func (h *handle) AppendExecutions(ctx context.Context, es []*junction.Execution) error {
	if len(es) == 0 {
		return nil
	}
	return h.write(ctx, func(h *handle) error {
		for chunk := range powerOfTwoChunks(es, executionsPerInsert) {
			var q strings.Builder
			args := make([]any, 0, len(chunk)*executionColumnCount)
			q.WriteString("INSERT INTO executions (" + executionColumns + ") VALUES ")
			for i, e := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(")
				for j, v := range h.executionArgs(e) {
					if j > 0 {
						q.WriteString(", ")
					}
					args = append(args, v)
					if h.db.dialect == DialectSQLite {
						q.WriteString("?")
					} else {
						q.WriteString("$" + strconv.Itoa(len(args)))
					}
				}
				q.WriteString(")")
			}
			if _, err := h.writer().ExecContext(ctx, q.String(), args...); err != nil {
				return executionWriteErr(err)
			}
		}
		return h.insertKeptInputs(ctx, es)
	})
}

// powerOfTwoChunks yields s in consecutive pieces whose lengths are powers
// of two, at most n (itself a power of two). A multi-row INSERT's text
// depends on its row count, and SQLite prepares each distinct text anew:
// batches of any size from 1 to n would be n statements, parsed over and
// over and crowding the statement cache, where powers of two are
// log2(n)+1.
func powerOfTwoChunks[T any](s []T, n int) func(yield func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := 1 << (bits.Len(uint(min(n, len(s)))) - 1)
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// ListExecutions lists executions by ID, newest first (IDs NewID issued
// grow with time). Since is inclusive and Until exclusive, on StartedAt. A
// non-nil but empty FolderIDs matches no execution. Text matches, without
// regard to case, a part of the activity, connector, error code, error
// message or the connection's name.
func (h *handle) ListExecutions(ctx context.Context, tenantID string, f junction.ExecutionFilter) ([]*junction.Execution, error) {
	c := executionConds(tenantID, f)
	tail := c.pageBy(f.Page, "id", newestFirst)
	rows, err := h.reader().QueryContext(ctx, "SELECT "+executionColumns+" FROM executions"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list executions", err)
	}
	out, err := collect(rows, scanExecution)
	if err != nil {
		return nil, internal("list executions", err)
	}
	return out, nil
}

func executionConds(tenantID string, f junction.ExecutionFilter) *conds {
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	c.in("folder_id", f.FolderIDs)
	if f.ConnectionID != "" {
		c.add("connection_id = " + c.arg(f.ConnectionID))
	}
	if f.Status != "" {
		c.add("status = " + c.arg(f.Status))
	}
	if !f.Since.IsZero() {
		c.add("started_at >= " + c.arg(toMicros(f.Since)))
	}
	if !f.Until.IsZero() {
		c.add("started_at < " + c.arg(toMicros(f.Until)))
	}
	if f.Text != "" {
		// No index serves a substring: the newest-first walk of the
		// tenant's index reads rows until the page is full, every row when
		// few match. The connection's name is its name now; a deleted
		// connection's executions are found by the other columns.
		p := c.containsArg(f.Text)
		c.add("(" + c.containsAny(p, "activity", "connector", "error_code", "error_message") +
			" OR connection_id IN (SELECT id FROM connections WHERE tenant_id = " + c.arg(tenantID) +
			" AND (" + c.containsAny(p, "name") + ")))")
	}
	return &c
}

// CountExecutions groups in the database: integer division of the
// microseconds since f.Since gives each row its period on both SQLite and
// PostgreSQL.
func (h *handle) CountExecutions(ctx context.Context, tenantID string, f junction.ExecutionFilter, period time.Duration) ([]junction.ExecutionCount, error) {
	if f.Since.IsZero() {
		return nil, junction.Invalid("since", "is required to count executions by period")
	}
	if period < time.Second {
		return nil, junction.Invalid("period", "must be at least a second")
	}
	c := executionConds(tenantID, f)
	bucket := "(started_at - " + c.arg(toMicros(f.Since)) + ") / " + c.arg(period.Microseconds())
	rows, err := h.reader().QueryContext(ctx, "SELECT "+bucket+" AS period, status, COUNT(*) FROM executions"+c.clause()+
		" GROUP BY period, status", c.args...)
	if err != nil {
		return nil, internal("count executions", err)
	}
	defer rows.Close()
	var out []junction.ExecutionCount
	for rows.Next() {
		var n junction.ExecutionCount
		var i int64
		if err := rows.Scan(&i, &n.Status, &n.Count); err != nil {
			return nil, internal("count executions", err)
		}
		n.Start = f.Since.Add(time.Duration(i) * period).UTC()
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, internal("count executions", err)
	}
	return out, nil
}

// GetExecution returns one execution record.
func (h *handle) GetExecution(ctx context.Context, tenantID, id string) (*junction.Execution, error) {
	e, err := scanExecution(h.reader().QueryRowContext(ctx,
		"SELECT "+executionColumns+" FROM executions WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("execution", "get execution", err)
	}
	return e, nil
}

// ForgetExecutionInputs reads the oldest executions with a kept input and
// deletes their sealed values and the references in one transaction, so a
// record never points at a value that is gone.
func (h *handle) ForgetExecutionInputs(ctx context.Context, startedBefore time.Time, limit int) (int, error) {
	limit = junction.Page{Limit: limit}.Normalize().Limit
	var n int
	err := h.write(ctx, func(h *handle) error {
		rows, err := h.writer().QueryContext(ctx, `SELECT tenant_id, id, input_sealed_id FROM executions
			WHERE input_sealed_id <> '' AND started_at < $1 ORDER BY started_at LIMIT $2`,
			toMicros(startedBefore), limit)
		if err != nil {
			return internal("forget execution inputs", err)
		}
		type kept struct{ tenantID, id, sealedID string }
		old, err := collect(rows, func(s scanner) (kept, error) {
			var k kept
			err := s.Scan(&k.tenantID, &k.id, &k.sealedID)
			return k, err
		})
		if err != nil {
			return internal("forget execution inputs", err)
		}
		for _, k := range old {
			if err := h.deleteSealedValues(ctx, k.tenantID, k.sealedID); err != nil {
				return err
			}
			if _, err := h.writer().ExecContext(ctx,
				"UPDATE executions SET input_sealed_id = '' WHERE tenant_id = $1 AND id = $2", k.tenantID, k.id); err != nil {
				return internal("forget execution inputs", err)
			}
		}
		n = len(old)
		return nil
	})
	return n, err
}

const eventColumns = "id, tenant_id, type, object_type, object_id, folder_id, at, details"

func scanEvent(s scanner) (*junction.Event, error) {
	var e junction.Event
	var at int64
	var details sql.NullString
	if err := s.Scan(&e.ID, &e.TenantID, &e.Type, &e.ObjectType, &e.ObjectID, &e.FolderID, &at, &details); err != nil {
		return nil, err
	}
	e.At = fromMicros(at)
	if err := decodeJSON(details.String, &e.Details); err != nil {
		return nil, err
	}
	return &e, nil
}

// AppendEvent stores e, filling an empty ID and a zero At. Details are kept
// as JSON, so numbers read back as float64.
func (h *handle) AppendEvent(ctx context.Context, e *junction.Event) error {
	newID(&e.ID)
	e.At = stamp(e.At, h.db.now())
	var details any
	if len(e.Details) > 0 {
		s, err := encodeJSON(e.Details)
		if err != nil {
			return internal("append event: encode details", err)
		}
		details = s
	}
	_, err := h.writer().ExecContext(ctx,
		"INSERT INTO events ("+eventColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		e.ID, e.TenantID, e.Type, e.ObjectType, e.ObjectID, e.FolderID, toMicros(e.At), details)
	if err != nil {
		return writeErr("append event", "event", err, "an event with this ID already exists", junction.NotFound("tenant"))
	}
	return nil
}

// ListEvents lists a tenant's events by ID, newest last.
func (h *handle) ListEvents(ctx context.Context, tenantID string, p junction.Page) ([]*junction.Event, error) {
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	tail := c.page(p, "id")
	rows, err := h.reader().QueryContext(ctx, "SELECT "+eventColumns+" FROM events"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list events", err)
	}
	out, err := collect(rows, scanEvent)
	if err != nil {
		return nil, internal("list events", err)
	}
	return out, nil
}
