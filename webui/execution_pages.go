package webui

import (
	"errors"
	"net/http"
	"time"

	"junction"
	"junction/app"
)

// formTime is how a datetime-local input sends a time; the pages take it
// as UTC, the time every page shows.
const formTime = "2006-01-02T15:04"

// parseFormTime reads a time bound of a filter; zero when empty.
func parseFormTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(formTime, v, time.UTC)
	if err != nil {
		return time.Time{}, junction.Invalid(field, "is not a date and time such as 2030-01-02T15:04")
	}
	return t, nil
}

func (u *UI) executions(w http.ResponseWriter, r *request) error {
	ctx := r.Context()
	q := r.URL.Query()
	since, err := parseFormTime("since", q.Get("since"))
	var until time.Time
	if err == nil {
		until, err = parseFormTime("until", q.Get("until"))
	}
	var list app.List[*junction.Execution]
	if err == nil {
		list, err = u.app.ListExecutions(ctx, r.p, app.ExecutionQuery{FolderID: r.folder, Subfolders: r.folder != "", ConnectionID: q.Get("connection_id"),
			Status: q.Get("status"), Since: since, Until: until, Text: q.Get("q"), Page: pageOf(r)})
		if err != nil && !isFormError(err) {
			return err
		}
	}
	conns, cerr := u.connectionChoicesIn(r, r.folder, "")
	if cerr != nil {
		return cerr
	}
	return u.show(w, r, "executions", "executions", "Executions", map[string]any{
		"List": list, "Status": q.Get("status"), "ConnectionID": q.Get("connection_id"),
		"Since": q.Get("since"), "Until": q.Get("until"), "Q": q.Get("q"), "Connections": conns,
		"Pager": cursorPager(r, list.NextCursor)}, err)
}

func (u *UI) execution(w http.ResponseWriter, r *request) error {
	return u.executionView(w, r, r.PathValue("id"), nil)
}

func (u *UI) executionView(w http.ResponseWriter, r *request, id string, formErr error) error {
	ctx := r.Context()
	ex, err := u.app.GetExecution(ctx, r.p, id)
	if err != nil {
		return err
	}
	folder, err := u.app.GetFolder(ctx, r.p, ex.FolderID)
	if err != nil && !junction.IsCode(err, junction.ENOTFOUND) {
		return err
	}
	// Retrying is an operator's action: it needs running the connection,
	// which viewing the record does not.
	canRetry := ex.Retryable && folder != nil && r.p.Access.Can(junction.PermConnectionsExecute, folder)
	return u.show(w, r, "execution", "executions", "Execution "+ex.Activity, map[string]any{
		"E": ex, "CanRetry": canRetry}, formErr)
}

func (u *UI) retryExecution(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	res, err := u.app.RetryExecution(r.Context(), r.p, id)
	if err == nil {
		return redirect(w, r, "/executions/"+res.ExecutionID, "Retried: it succeeded.")
	}
	// A retry that ran and failed has a record of its own: show that.
	if next := failedExecution(err); next != "" {
		return redirect(w, r, "/executions/"+next, "Retried: it failed again ("+junction.ErrorCode(err)+").")
	}
	if !isFormError(err) {
		return err
	}
	return u.executionView(w, r, id, err)
}

// failedExecution is the record of an execution that ran and failed,
// which the app names in its error's details; "" when none ran.
func failedExecution(err error) string {
	var e *junction.Error
	if errors.As(err, &e) {
		if id, ok := e.Details["execution_id"].(string); ok {
			return id
		}
	}
	return ""
}

// pickerCap is how many connections a select offers; past it, pages ask
// for a name to narrow the choice (or an ID), so that a tenant with
// thousands of connections gets pages as fast as one with ten.
const pickerCap = 100

// connectionChoice lists the connections a select offers; More tells
// that there are others.
type connectionChoice struct {
	Items []*junction.Connection
	More  bool
}

func (u *UI) connectionChoices(r *request, nameContains string) (connectionChoice, error) {
	return u.connectionChoicesIn(r, "", nameContains)
}

// connectionChoicesIn is connectionChoices within folder and the folders
// below it; every folder when empty.
func (u *UI) connectionChoicesIn(r *request, folder, nameContains string) (connectionChoice, error) {
	list, err := u.app.ListConnections(r.Context(), r.p, app.ConnectionQuery{NameContains: nameContains,
		FolderID: folder, Subfolders: folder != "", Page: junction.Page{Limit: pickerCap}})
	if err != nil && !junction.IsCode(err, junction.EPERMISSIONDENIED) {
		return connectionChoice{}, err
	}
	return connectionChoice{Items: list.Items, More: list.NextCursor != ""}, nil
}
