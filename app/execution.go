package app

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"junction"
	"junction/engine"
)

// ExecuteInput asks for one activity run: Activity (a curated activity or
// "http_request"), or Object and Operation.
type ExecuteInput struct {
	Activity  string
	Object    string
	Operation string
	Input     map[string]any
	// MaxPages is how many pages a list operation, or a curated activity
	// that declares pagination, follows; zero reads the first page only.
	MaxPages int
}

// Execute runs an activity through a connection. Needs
// Connections.Execute on its folder. The engine records the execution
// (never headers or bodies); it is not audited, being no change.
//
// A failed execution returns the engine's error with the execution's ID
// and attempt count added to its details, so a caller can find the record.
func (a *App) Execute(ctx context.Context, p *junction.Principal, connectionID string, in ExecuteInput) (*engine.Result, error) {
	if err := a.needEngine(); err != nil {
		return nil, err
	}
	if in.MaxPages < 0 || in.MaxPages > engine.MaxPages {
		return nil, junction.Invalid("max_pages", "must be between 1 and %d", engine.MaxPages)
	}
	if in.Activity == "" && in.Object == "" {
		return nil, junction.Invalid("activity", `is required: give an activity, or an object and an operation`)
	}
	if in.Object != "" && in.Operation == "" {
		return nil, junction.Invalid("operation", "is required with object")
	}
	if in.Operation != "" && in.Object == "" {
		return nil, junction.Invalid("object", "is required with operation")
	}
	c, err := a.connectionIn(ctx, a.store, p, connectionID, junction.PermConnectionsExecute, false)
	if err != nil {
		return nil, err
	}
	if err := a.checkAPICalls(ctx, c.TenantID); err != nil {
		return nil, err
	}
	res, err := a.engine.Execute(ctx, engine.ExecuteRequest{
		Connection: c, Caller: p.User.ID, Activity: in.Activity, Object: in.Object, Operation: in.Operation,
		Input: in.Input, MaxPages: in.MaxPages,
	})
	if err != nil {
		return nil, withExecution(err, res)
	}
	return res, nil
}

// withExecution adds the execution's ID and attempts to the details of an
// application error, on a copy: the engine's error may be shared.
func withExecution(err error, res *engine.Result) error {
	var e *junction.Error
	if res == nil || !asError(err, &e) || e.Code == junction.EINTERNAL {
		return err
	}
	c := *e
	c.Details = maps.Clone(e.Details)
	if c.Details == nil {
		c.Details = map[string]any{}
	}
	c.Details["execution_id"] = res.ExecutionID
	c.Details["attempts"] = res.Attempts
	c.Err = err
	return &c
}

// ExecutionQuery narrows ListExecutions.
type ExecutionQuery struct {
	// FolderID keeps the executions of that folder, or, with Subfolders,
	// of that folder and every folder below it.
	FolderID     string
	Subfolders   bool
	ConnectionID string
	// Status is "succeeded" or "failed".
	Status string
	Since  time.Time // inclusive
	Until  time.Time // exclusive
	// Text keeps executions with it in their activity, connector, error
	// code, error message or connection's name.
	Text string
	junction.Page
}

// maxSearchText bounds free text: a longer one is no search a person
// types, and every character is matched against every row read.
const maxSearchText = 200

// ListExecutions lists execution records, newest first, in folders where
// the caller holds Logs.View. Records the engine still holds in memory are
// written first, so a caller always finds the executions it just ran.
func (a *App) ListExecutions(ctx context.Context, p *junction.Principal, q ExecutionQuery) (List[*junction.Execution], error) {
	var empty List[*junction.Execution]
	if err := checkCursor(q.Page); err != nil {
		return empty, err
	}
	filter, none, err := a.executionFilter(ctx, p, q)
	if err != nil {
		return empty, err
	}
	if none {
		return newList([]*junction.Execution{}, q.Page, nil), nil
	}
	list, err := a.store.ListExecutions(ctx, p.TenantID(), filter)
	if err != nil {
		return empty, err
	}
	for _, e := range list {
		// Debug records are shown on an execution's detail only, to
		// those allowed them (GetExecution).
		e.Debug = nil
	}
	return newList(list, q.Page, func(e *junction.Execution) string { return e.ID }), nil
}

// CountExecutions counts the execution records q matches (its Page aside)
// by status and by period from q.Since, which is required, in folders
// where the caller holds Logs.View: a chart's data without reading the
// records.
func (a *App) CountExecutions(ctx context.Context, p *junction.Principal, q ExecutionQuery, period time.Duration) ([]junction.ExecutionCount, error) {
	if q.Since.IsZero() {
		return nil, junction.Invalid("since", "is required to count executions")
	}
	filter, none, err := a.executionFilter(ctx, p, q)
	if err != nil || none {
		return nil, err
	}
	return a.store.CountExecutions(ctx, p.TenantID(), filter, period)
}

// executionFilter checks q and scopes it to the folders where p holds
// Logs.View; none tells that p sees no execution at all. Records the engine
// still holds in memory are written first, so that a caller finds the
// executions it just ran.
func (a *App) executionFilter(ctx context.Context, p *junction.Principal, q ExecutionQuery) (f junction.ExecutionFilter, none bool, err error) {
	if err := a.needEngine(); err != nil {
		return f, false, err
	}
	if q.Status != "" && q.Status != engine.StatusSucceeded && q.Status != engine.StatusFailed {
		return f, false, junction.Invalid("status", "must be succeeded or failed")
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return f, false, junction.Invalid("until", "must be after since")
	}
	if len(q.Text) > maxSearchText {
		return f, false, junction.Invalid("q", "must be at most %d characters", maxSearchText)
	}
	f = junction.ExecutionFilter{Status: q.Status, Since: q.Since, Until: q.Until, Text: strings.TrimSpace(q.Text),
		Page: q.Page.Normalize()}
	var scope []string // the folders q.FolderID names, when it does
	if q.FolderID != "" {
		if scope, _, err = a.folderScope(ctx, p, junction.PermLogsView, q.FolderID, q.Subfolders); err != nil {
			return f, false, err
		}
	}
	if q.ConnectionID != "" {
		c, err := a.connectionIn(ctx, a.store, p, q.ConnectionID, junction.PermLogsView, false)
		if err != nil {
			// A deleted connection's records stay; they are found by
			// folder like any other, not by a connection that is gone.
			if !junction.IsCode(err, junction.ENOTFOUND) || !junction.ValidID(q.ConnectionID) {
				return f, false, fieldNotFound(err, "connection_id")
			}
		} else {
			if scope != nil && !slices.Contains(scope, c.FolderID) {
				return f, true, nil
			}
			f.FolderIDs = []string{c.FolderID}
		}
		f.ConnectionID = q.ConnectionID
	}
	if f.FolderIDs == nil && scope != nil {
		f.FolderIDs = scope
	}
	if f.FolderIDs == nil {
		ids, all, err := a.folderScope(ctx, p, junction.PermLogsView, "", false)
		if err != nil {
			return f, false, err
		}
		if !all {
			if len(ids) == 0 {
				return f, true, nil
			}
			f.FolderIDs = ids
		}
	}
	if err := a.engine.Flush(ctx); err != nil {
		a.log(ctx).LogAttrs(ctx, slog.LevelWarn, "flush execution records before listing", slog.Any("error", err))
	}
	return f, false, nil
}

// ExecutionDetail is one execution record as GetExecution shows it.
// Request, what a failed execution kept to be run again, is shown only to
// callers who may run it (Connections.Execute on its folder): it may hold
// what the original caller typed.
type ExecutionDetail struct {
	*junction.Execution
	// Retryable tells whether the execution failed and kept its input, so
	// that RetryExecution can run it again.
	Retryable bool                `json:"retryable"`
	Request   *engine.KeptRequest `json:"request,omitempty"`
}

// executionIn loads an execution record for the caller with the folder
// rule applied to the folder it ran in. Records the engine still holds
// in memory are written first, so a caller finds the execution it just
// ran.
func (a *App) executionIn(ctx context.Context, p *junction.Principal, id string, perm junction.Permission) (*junction.Execution, error) {
	if err := a.needEngine(); err != nil {
		return nil, err
	}
	if !junction.ValidID(id) {
		return nil, junction.NotFound("execution")
	}
	if err := a.engine.Flush(ctx); err != nil {
		a.log(ctx).LogAttrs(ctx, slog.LevelWarn, "flush execution records before reading one", slog.Any("error", err))
	}
	x, err := a.store.GetExecution(ctx, p.TenantID(), id)
	if err != nil {
		return nil, err
	}
	if _, err := a.folderFor(ctx, a.store, p, x.FolderID, perm); err != nil {
		if junction.IsCode(err, junction.ENOTFOUND) {
			return nil, junction.NotFound("execution")
		}
		return nil, err
	}
	return x, nil
}

// GetExecution returns an execution record. Needs Logs.View on the folder
// it ran in; with Connections.Execute there too, the request a failed
// execution kept comes with it; with Connections.Edit there, its debug
// record.
func (a *App) GetExecution(ctx context.Context, p *junction.Principal, id string) (*ExecutionDetail, error) {
	x, err := a.executionIn(ctx, p, id, junction.PermLogsView)
	if err != nil {
		return nil, err
	}
	if x.Debug != nil {
		// Bodies may hold business data: the debug record is for those
		// who may switch debug logging on.
		if _, err := a.folderFor(ctx, a.store, p, x.FolderID, junction.PermConnectionsEdit); err != nil {
			x.Debug = nil
		}
	}
	d := &ExecutionDetail{Execution: x, Retryable: x.Status == engine.StatusFailed && x.InputSealedID != ""}
	if d.Retryable {
		if _, err := a.folderFor(ctx, a.store, p, x.FolderID, junction.PermConnectionsExecute); err == nil {
			kept, err := a.engine.KeptRequest(ctx, x)
			if err != nil && !junction.IsCode(err, junction.ECONFLICT) {
				return nil, err
			}
			d.Request, d.Retryable = kept, kept != nil
		}
	}
	return d, nil
}

// RetryExecution runs a failed execution again, as a new execution whose
// record names the old one (RetryOf): through the same connection, with
// the same activity (or object and operation) and input, which the failed
// execution kept sealed. Needs Connections.Execute on the execution's
// folder and on the connection's (where it is now). ECONFLICT when the
// execution did not fail or kept no input. The retry is audited, being an
// operator's action on a record rather than a call of the API's own.
//
// Its outcome is that of Execute: a failure returns the engine's error
// with the new execution's ID and attempts in its details.
func (a *App) RetryExecution(ctx context.Context, p *junction.Principal, id string) (*engine.Result, error) {
	x, err := a.executionIn(ctx, p, id, junction.PermConnectionsExecute)
	if err != nil {
		return nil, err
	}
	if x.Status != engine.StatusFailed {
		return nil, junction.Errorf(junction.ECONFLICT, "execution %s %s: only a failed execution can be retried", x.ID, x.Status)
	}
	kept, err := a.engine.KeptRequest(ctx, x)
	if err != nil {
		return nil, err
	}
	c, err := a.connectionIn(ctx, a.store, p, x.ConnectionID, junction.PermConnectionsExecute, false)
	if err != nil {
		return nil, fieldNotFound(err, "connection_id")
	}
	if err := a.checkAPICalls(ctx, c.TenantID); err != nil {
		return nil, err
	}
	// Audited before it runs, so no retry runs unrecorded; its outcome is
	// on the new execution's record, which names this one (RetryOf).
	if err := a.tx(ctx, func(tx junction.Store) error {
		return a.audit(ctx, tx, p, "execution.retry", "execution", x.ID, c.FolderID,
			map[string]any{"connection_id": c.ID, "activity": x.Activity})
	}); err != nil {
		return nil, err
	}
	res, err := a.engine.Execute(ctx, engine.ExecuteRequest{
		Connection: c, Caller: p.User.ID, Activity: kept.Activity, Object: kept.Object, Operation: kept.Operation,
		Input: kept.Input, MaxPages: kept.MaxPages, RetryOf: x.ID,
	})
	if err != nil {
		return nil, withExecution(err, res)
	}
	return res, nil
}
