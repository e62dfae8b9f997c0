package httpapi

import (
	"net/http"
	"strconv"

	"junction"
	"junction/app"
	"junction/connector"
	"junction/engine"
)

// executeRequest runs an activity: activity (a curated one or
// "http_request"), or object and operation. max_pages lets a list
// operation, or a curated activity that declares pagination, follow more
// than its first page.
type executeRequest struct {
	Activity  string         `json:"activity,omitempty"`
	Object    string         `json:"object,omitempty"`
	Operation string         `json:"operation,omitempty"`
	Input     map[string]any `json:"input,omitempty"`
	MaxPages  int            `json:"max_pages,omitempty" description:"How many pages to follow, for a list operation or a curated activity whose definition declares pagination (its connector's document shows it); each page is an API call. Absent or 1 reads the first page only; other activities ignore it. A paged activity's outputs hold the records of every page read and, for the rest (a total, a next-page token), what the last page said."`
}

func (s *Server) executionRoutes() []route {
	const tag = "executions"
	return []route{
		{method: "POST", path: "/api/v1/connections/{id}/execute", op: "executeActivity", access: inFolder(junction.PermConnectionsExecute), tag: tag,
			summary: "Run an activity through a connection. A failure is a problem document whose details carry " +
				"execution_id and attempts; an error the upstream API answered says details.source \"provider\". " +
				"A file input is {content (base64), filename, content_type}. An activity whose answer is a file returns " +
				"output {filename, content_type, size, content (base64)}; with Accept naming the file's type or " +
				"application/octet-stream (and not application/json) the answer is the file's bytes instead, the " +
				"execution's ID in the Junction-Execution-Id header. max_pages (1 to " + strconv.Itoa(engine.MaxPages) + ") follows the pages " +
				"of a list operation or of an activity that declares pagination; the answer then says how many pages it read (pages) " +
				"and, when max_pages stopped it while the API had more, truncated: true",
			permission: string(junction.PermConnectionsExecute) + " on the folder",
			request:    executeRequest{}, response: engine.Result{}, fileAnswer: true, status: http.StatusOK, handle: s.execute},
		{method: "GET", path: "/api/v1/executions", op: "listExecutions", access: authenticated(), tag: tag,
			summary:    "List execution records, newest first, in folders where the caller holds Logs.View",
			permission: string(junction.PermLogsView) + " on the folders listed",
			query: append([]queryParam{
				{name: "q", description: "Only executions with this text (case aside) in their activity, connector, error code, error message or connection's name."},
				{name: "connection_id", description: "Only executions of this connection."},
				{name: "status", description: "Only executions with this outcome: succeeded or failed."},
				{name: "since", description: "Only executions started at or after this time.", format: "date-time"},
				{name: "until", description: "Only executions started before this time.", format: "date-time"},
			}, pageParams...),
			response: app.List[*junction.Execution]{}, status: http.StatusOK, handle: s.listExecutions},
		{method: "GET", path: "/api/v1/executions/export", op: "exportExecutions", access: authenticated(), tag: tag,
			summary: "Stream every execution record the list would show, newest first, as NDJSON (application/x-ndjson, " +
				"one record a line) or CSV (text/csv, with a header row); ?format= or Accept chooses, NDJSON by default",
			permission: string(junction.PermLogsView) + " on the folders exported",
			query: []queryParam{
				exportFormatParam,
				{name: "q", description: "Only executions with this text (case aside) in their activity, connector, error code, error message or connection's name."},
				{name: "connection_id", description: "Only executions of this connection."},
				{name: "status", description: "Only executions with this outcome: succeeded or failed."},
				{name: "since", description: "Only executions started at or after this time.", format: "date-time"},
				{name: "until", description: "Only executions started before this time.", format: "date-time"},
			},
			status: http.StatusOK, handle: s.exportExecutions},
		{method: "GET", path: "/api/v1/executions/{id}", op: "getExecution", access: inFolder(junction.PermLogsView), tag: tag,
			summary: "Get an execution record. retryable says whether it failed and kept its request; the request " +
				"itself (activity, object, operation, input) is shown only to callers holding Connections.Execute there",
			permission: string(junction.PermLogsView) + " on the folder",
			response:   app.ExecutionDetail{}, status: http.StatusOK, handle: s.getExecution},
		{method: "POST", path: "/api/v1/executions/{id}/retry", op: "retryExecution", access: inFolder(junction.PermConnectionsExecute), tag: tag,
			summary: "Run a failed execution again through its connection with the request it kept, as a new " +
				"execution whose record names the old one in retry_of; answers as executeActivity does",
			permission: string(junction.PermConnectionsExecute) + " on the folder",
			response:   engine.Result{}, fileAnswer: true, status: http.StatusOK, handle: s.retryExecution},
	}
}

func (s *Server) execute(w http.ResponseWriter, r *http.Request) error {
	var req executeRequest
	if err := s.decodeUpTo(w, r, &req, s.opts.MaxExecuteBodyBytes); err != nil {
		return err
	}
	res, err := s.app.Execute(r.Context(), principal(r), r.PathValue("id"), app.ExecuteInput{
		Activity: req.Activity, Object: req.Object, Operation: req.Operation, Input: req.Input, MaxPages: req.MaxPages,
	})
	if err != nil {
		return err
	}
	// The output is the upstream API's answer, which may be anything the
	// caller's own credentials can read.
	w.Header().Set("Cache-Control", "no-store")
	if f, ok := res.Output.(*connector.File); ok && wantsRawFile(r, f) {
		return writeRawFile(w, res, f)
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) listExecutions(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	since, until, err := timeRange(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := s.app.ListExecutions(r.Context(), principal(r), app.ExecutionQuery{
		ConnectionID: q.Get("connection_id"), Status: q.Get("status"), Since: since, Until: until, Text: q.Get("q"), Page: page,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) getExecution(w http.ResponseWriter, r *http.Request) error {
	d, err := s.app.GetExecution(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	if d.Request != nil {
		// The kept input is what the original caller typed.
		w.Header().Set("Cache-Control", "no-store")
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) retryExecution(w http.ResponseWriter, r *http.Request) error {
	res, err := s.app.RetryExecution(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	if f, ok := res.Output.(*connector.File); ok && wantsRawFile(r, f) {
		return writeRawFile(w, res, f)
	}
	return writeJSON(w, http.StatusOK, res)
}
