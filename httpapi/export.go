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

var executionCSVHeader = []string{"id", "started_at", "folder_id", "connection_id", "connector", "activity", "status",
	"http_status", "error_code", "attempts", "duration_ms", "caller_id", "retry_of"}

func executionCSVRow(e *junction.Execution) []string {
	return []string{e.ID, e.StartedAt.Format(time.RFC3339Nano), e.FolderID, e.ConnectionID, e.Connector, e.Activity,
		e.Status, strconv.Itoa(e.HTTPStatus), e.ErrorCode, strconv.Itoa(e.Attempts),
		strconv.FormatInt(e.DurationMS, 10), e.CallerID, e.RetryOf}
}

// exportExecutions streams every execution record the listing would show,
// newest first, a page at a time: memory stays that of one page however
// many there are. The first page is read before anything is written, so a
// bad filter is still a problem document; an error later cuts the stream
// short, which the client sees as a truncated body.
func (s *Server) exportExecutions(w http.ResponseWriter, r *http.Request) error {
	format, err := exportFormat(r)
	if err != nil {
		return err
	}
	since, until, err := timeRange(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	query := app.ExecutionQuery{ConnectionID: q.Get("connection_id"), Status: q.Get("status"), Since: since, Until: until,
		Page: junction.Page{Limit: junction.MaxPageSize}}
	list, err := s.app.ListExecutions(r.Context(), principal(r), query)
	if err != nil {
		return err
	}
	flusher, _ := w.(http.Flusher)
	var cw *csv.Writer
	enc := json.NewEncoder(w)
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="executions.csv"`)
		cw = csv.NewWriter(w)
		if err := cw.Write(executionCSVHeader); err != nil {
			return nil
		}
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
	}
	w.WriteHeader(http.StatusOK)
	for {
		for _, e := range list.Items {
			if cw != nil {
				err = cw.Write(executionCSVRow(e))
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
		query.Page.After = list.NextCursor
		if list, err = s.app.ListExecutions(r.Context(), principal(r), query); err != nil {
			loggerFrom(r.Context()).Warn("execution export cut short", "error", err.Error())
			return nil
		}
	}
}
