package httpapi

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"junction"
	"junction/app"
)

// exportFormat picks NDJSON or CSV from ?format=, else from Accept.
func exportFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "ndjson", "csv":
		return f, nil
	case "":
	default:
		return "", junction.Invalid("format", "must be ndjson or csv")
	}
	if strings.Contains(r.Header.Get("Accept"), "text/csv") {
		return "csv", nil
	}
	return "ndjson", nil
}

var exportFormatParam = queryParam{name: "format", description: "ndjson or csv; without it, Accept: text/csv chooses CSV."}

// export describes one kind of record to stream: its CSV columns, and
// how to read the page after a cursor.
type export[T any] struct {
	name   string // the file name's stem and what the log calls it
	header []string
	row    func(T) []string
	// page reads the page after the cursor ("" for the first).
	page func(after string) (app.List[T], error)
}

// stream writes every record export reads, a page at a time: memory
// stays that of one page however many there are. The first page is read
// before anything is written, so a bad filter is still a problem
// document; an error later cuts the stream short, which the client sees
// as a truncated body.
func stream[T any](w http.ResponseWriter, r *http.Request, x export[T]) error {
	format, err := exportFormat(r)
	if err != nil {
		return err
	}
	list, err := x.page("")
	if err != nil {
		return err
	}
	flusher, _ := w.(http.Flusher)
	var cw *csv.Writer
	enc := json.NewEncoder(w)
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+x.name+`.csv"`)
		cw = csv.NewWriter(w)
		if err := cw.Write(x.header); err != nil {
			return nil
		}
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
	}
	w.WriteHeader(http.StatusOK)
	for {
		for _, e := range list.Items {
			if cw != nil {
				err = cw.Write(x.row(e))
			} else {
				err = enc.Encode(e)
			}
			if err != nil {
				return nil // the client went away
			}
		}
		if cw != nil {
			cw.Flush()
		}
		if flusher != nil {
			flusher.Flush()
		}
		if list.NextCursor == "" {
			return nil
		}
		if list, err = x.page(list.NextCursor); err != nil {
			loggerFrom(r.Context()).Warn(x.name+" export cut short", "error", err.Error())
			return nil
		}
	}
}

func exportPage(after string) junction.Page {
	return junction.Page{Limit: junction.MaxPageSize, After: after}
}

var executionCSVHeader = []string{"id", "started_at", "folder_id", "connection_id", "connector", "activity", "status",
	"http_status", "error_code", "attempts", "duration_ms", "caller_id", "retry_of", "error_message"}

func executionCSVRow(e *junction.Execution) []string {
	return []string{e.ID, e.StartedAt.Format(time.RFC3339Nano), e.FolderID, e.ConnectionID, e.Connector, e.Activity,
		e.Status, strconv.Itoa(e.HTTPStatus), e.ErrorCode, strconv.Itoa(e.Attempts),
		strconv.FormatInt(e.DurationMS, 10), e.CallerID, e.RetryOf, e.ErrorMessage}
}

// exportExecutions streams every execution record the listing would show,
// newest first.
func (s *Server) exportExecutions(w http.ResponseWriter, r *http.Request) error {
	since, until, err := timeRange(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	query := app.ExecutionQuery{ConnectionID: q.Get("connection_id"), Status: q.Get("status"), Since: since, Until: until,
		Text: q.Get("q")}
	return stream(w, r, export[*junction.Execution]{name: "executions", header: executionCSVHeader, row: executionCSVRow,
		page: func(after string) (app.List[*junction.Execution], error) {
			query.Page = exportPage(after)
			return s.app.ListExecutions(r.Context(), principal(r), query)
		}})
}

var auditCSVHeader = []string{"id", "at", "actor_id", "actor_name", "action", "object_type", "object_id", "folder_id",
	"ip", "request_id", "outcome", "details"}

// auditCSVRow keeps details as one JSON cell: their keys differ by action.
func auditCSVRow(e *junction.AuditEntry) []string {
	details := ""
	if len(e.Details) > 0 {
		b, _ := json.Marshal(e.Details)
		details = string(b)
	}
	return []string{e.ID, e.At.Format(time.RFC3339Nano), e.ActorID, e.ActorName, e.Action, e.ObjectType, e.ObjectID,
		e.FolderID, e.IP, e.RequestID, e.Outcome, details}
}

// exportAudit streams every audit entry the listing would show, oldest
// first.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request) error {
	query, err := auditQuery(r)
	if err != nil {
		return err
	}
	return stream(w, r, export[*junction.AuditEntry]{name: "audit", header: auditCSVHeader, row: auditCSVRow,
		page: func(after string) (app.List[*junction.AuditEntry], error) {
			query.Page = exportPage(after)
			return s.app.ListAudit(r.Context(), principal(r), query)
		}})
}

var triggerRecordCSVHeader = []string{"id", "at", "trigger_id", "folder_id", "status", "reason", "event_type", "object_id",
	"job_id", "idempotency_key", "count"}

func triggerRecordCSVRow(e *junction.TriggerRecord) []string {
	return []string{e.ID, e.At.Format(time.RFC3339Nano), e.TriggerID, e.FolderID, string(e.Status), e.Reason, e.EventType,
		e.ObjectID, e.JobID, e.IdempotencyKey, strconv.Itoa(e.Count)}
}

// exportTriggerHistory streams a trigger's whole history, oldest first.
func (s *Server) exportTriggerHistory(w http.ResponseWriter, r *http.Request) error {
	since, err := timeParam(r, "since")
	if err != nil {
		return err
	}
	query := app.TriggerHistoryQuery{Status: junction.TriggerRecordStatus(r.URL.Query().Get("status")), Since: since}
	return stream(w, r, export[*junction.TriggerRecord]{name: "trigger-history", header: triggerRecordCSVHeader,
		row: triggerRecordCSVRow,
		page: func(after string) (app.List[*junction.TriggerRecord], error) {
			query.Page = exportPage(after)
			return s.app.TriggerHistory(r.Context(), principal(r), r.PathValue("id"), query)
		}})
}
