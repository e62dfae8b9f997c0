package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"junction"
)

// executionResult is the answer of POST /api/v1/connections/{id}/execute.
type executionResult struct {
	ExecutionID string          `json:"execution_id"`
	Status      string          `json:"status"`
	Output      json.RawMessage `json:"output"`
	HTTPStatus  int             `json:"http_status"`
	Attempts    int             `json:"attempts"`
	DurationMS  int64           `json:"duration_ms"`
	Pages       int             `json:"pages"`
	Truncated   bool            `json:"truncated"`
}

// summary is the one line a person reads first: how the call went.
func (r *executionResult) summary() string {
	parts := append([]string{firstNonEmpty(r.Status, "unknown")}, r.facts()...)
	if r.ExecutionID != "" {
		parts = append(parts, "execution "+r.ExecutionID)
	}
	return strings.Join(parts, ", ")
}

// facts are the HTTP status, the attempts, the duration and, for an
// execution that pages, the pages read and whether more were left.
func (r *executionResult) facts() []string {
	var parts []string
	if r.HTTPStatus != 0 {
		parts = append(parts, "HTTP "+strconv.Itoa(r.HTTPStatus))
	}
	attempts := strconv.Itoa(r.Attempts) + " attempts"
	if r.Attempts == 1 {
		attempts = "1 attempt"
	}
	parts = append(parts, attempts, strconv.FormatInt(r.DurationMS, 10)+" ms")
	switch {
	case r.Pages == 1:
		parts = append(parts, "1 page")
	case r.Pages > 1:
		parts = append(parts, strconv.Itoa(r.Pages)+" pages")
	}
	if r.Truncated {
		parts = append(parts, "more pages not read (--max-pages)")
	}
	return parts
}

func (c *CLI) executeCommand() *cobra.Command {
	var input, object, operation, save string
	var files []string
	var maxPages int
	cmd := &cobra.Command{
		Use:   "execute CONNECTION ACTIVITY [--input JSON|@file|-] | execute CONNECTION --object O --operation OP [--input ...]",
		Short: "Run an activity, or an object's operation, through a connection and print its output",
		Long: `Execute calls the connector's API through the connection and prints the
output. With -o json it prints the API's answer; otherwise a summary line
(status, HTTP status, attempts, duration, and the pages read by an activity
that pages, with "more pages not read" when --max-pages stopped it before
the API's last page) and then the output as JSON.
A failed execution is one line on standard error naming the execution
("junction executions list" has its record); with -o json the failure's
details (what the API answered, secrets masked) also go to standard output.
--input takes the activity's input as JSON: literally, from a file (@path) or
from standard input (-). --file NAME=PATH adds the file at PATH as the input
NAME of type file (its content, base name and a type from its extension).
--save PATH writes the content of an activity's file output to PATH (- for
standard output) instead of printing it in base64.
--max-pages N follows up to N pages of a list operation, or of an activity
whose connector declares how it pages (its records of every page in one
output); each page is an API call, and other activities ignore it.`,
		Example: `  junction execute gh create_issue --input '{"owner": "acme", "repo": "api", "title": "Broken build"}'
  junction execute gh --object repository --operation list --input @query.json -o json
  junction execute gh search_issues --input '{"q": "is:open label:bug"}' --max-pages 5`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			switch {
			case len(args) == 2 && (object != "" || operation != ""):
				return junction.Invalid("object", "give an ACTIVITY or --object and --operation, not both")
			case len(args) == 2:
				body["activity"] = args[1]
			case object == "" || operation == "":
				return junction.Errorf(junction.EINVALID, "give an ACTIVITY, or --object and --operation")
			default:
				body["object"], body["operation"] = object, operation
			}
			if cmd.Flags().Changed("input") {
				in, err := c.readJSON("input", "the input", input)
				if err != nil {
					return err
				}
				body["input"] = in
			}
			if cmd.Flags().Changed("max-pages") {
				body["max_pages"] = maxPages
			}
			if len(files) > 0 {
				raw, _ := body["input"].(json.RawMessage)
				in, err := withFiles(raw, files)
				if err != nil {
					return err
				}
				body["input"] = in
			}
			if save != "" {
				return c.runExecutionSaving(cmd, connectionPath(args[0])+"/execute", body, save)
			}
			return c.runExecution(cmd, connectionPath(args[0])+"/execute", body)
		},
	}
	cmd.Flags().StringArrayVar(&files, "file", nil, "NAME=PATH: send the file at PATH as the file input NAME (repeatable)")
	cmd.Flags().StringVar(&save, "save", "", "write the content of a file output to this path (- for standard output)")
	cmd.Flags().StringVar(&input, "input", "", "input as JSON, @file or - (standard input)")
	cmd.Flags().StringVar(&object, "object", "", "object whose operation to run (with --operation)")
	cmd.Flags().StringVar(&operation, "operation", "", "operation to run: list, get, create, update or delete (with --object)")
	cmd.Flags().IntVar(&maxPages, "max-pages", 0, "pages to follow, for a list operation or an activity that pages (the first page only when not given)")
	return cmd
}

// runExecution posts an execution (a run or a retry) and prints its
// outcome: with -o json the API's answer, otherwise a summary line and the
// output as JSON. A failure is an error naming the execution.
func (c *CLI) runExecution(cmd *cobra.Command, path string, body any) error {
	raw, err := c.call(cmd, http.MethodPost, path, body)
	if err != nil {
		return c.executionError(err)
	}
	var r executionResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	failed := r.Status != "" && r.Status != "succeeded"
	switch {
	case c.raw():
		if err := c.printDoc(raw); err != nil {
			return err
		}
	case !failed:
		fmt.Fprintln(c.env.Stdout, r.summary())
		if len(r.Output) > 0 && string(r.Output) != "null" {
			return c.printDoc(r.Output)
		}
	}
	if failed {
		return junction.Errorf("execution_failed", "execution %s %s: %s", r.ExecutionID, r.Status, strings.Join(r.facts(), ", "))
	}
	return nil
}

// runExecutionSaving runs an execution whose output is a file and writes
// the file to path rather than printing it.
func (c *CLI) runExecutionSaving(cmd *cobra.Command, path string, body any, save string) error {
	raw, err := c.call(cmd, http.MethodPost, path, body)
	if err != nil {
		return c.executionError(err)
	}
	var r executionResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	if r.Status != "" && r.Status != "succeeded" {
		return junction.Errorf("execution_failed", "execution %s %s: %s", r.ExecutionID, r.Status, strings.Join(r.facts(), ", "))
	}
	line, err := c.saveFile(r.Output, save)
	if err != nil {
		return err
	}
	if save != "-" {
		fmt.Fprintln(c.env.Stdout, r.summary())
		fmt.Fprintln(c.env.Stdout, line)
	}
	return nil
}

// executionError names the failed execution in the one-line error, so
// that its record can be found. With -o json the failure's details (the
// API's status and body, connection secrets masked by the server) go to
// standard output for scripts.
func (c *CLI) executionError(err error) error {
	var e *junction.Error
	if !errors.As(err, &e) || len(e.Details) == 0 {
		return err
	}
	if c.raw() {
		if raw, merr := json.Marshal(e.Details); merr == nil {
			if perr := c.printDoc(raw); perr != nil {
				return perr
			}
		}
	}
	id, _ := e.Details["execution_id"].(string)
	if id == "" {
		return err
	}
	named := *e
	named.Message = "execution " + id + ": " + e.Message
	return &named
}

func (c *CLI) executionsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "executions",
		Short: "Look at the record of activities run through connections, and retry failed ones",
	}
	var connection, status, since, until, search string
	var all bool
	var limit int

	list := &cobra.Command{
		Use:   "list [--connection ID] [--status succeeded|failed] [--since 24h|RFC3339] [--until RFC3339] [--search TEXT] [--limit N] [--all]",
		Short: "List executions, newest first",
		Long: `List shows the newest executions first: --limit of them (50 unless
given, at most 500), or with --all every one, --limit a page at a time.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 0 || limit > junction.MaxPageSize {
				return junction.Invalid("limit", "must be between 1 and %d", junction.MaxPageSize)
			}
			q := filterQuery(map[string]string{"connection_id": connection, "status": status, "q": search})
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			now := c.env.Now()
			if err := setTimeQuery(q, "since", since, now); err != nil {
				return err
			}
			if err := setTimeQuery(q, "until", until, now); err != nil {
				return junction.Invalid("until", "%q is neither a duration (1h: that long ago) nor an RFC 3339 time", until)
			}
			return listAndPrint(c, cmd, "/api/v1/executions", q, all, []string{"STARTED", "ID", "CONNECTION", "ACTIVITY", "STATUS", "HTTP", "ATTEMPTS", "DURATION", "ERROR"}, func(e *junction.Execution) []string {
				httpStatus := ""
				if e.HTTPStatus != 0 {
					httpStatus = strconv.Itoa(e.HTTPStatus)
				}
				return []string{
					formatTime(e.StartedAt), e.ID, c.label(refConnection, e.ConnectionID), e.Activity, e.Status, httpStatus,
					strconv.Itoa(e.Attempts), strconv.FormatInt(e.DurationMS, 10) + " ms", e.ErrorCode,
				}
			})
		},
	}
	list.Flags().StringVar(&connection, "connection", "", "only executions through this connection ID")
	list.Flags().StringVar(&status, "status", "", "only succeeded or failed executions")
	list.Flags().StringVar(&since, "since", "", "only executions from this long ago (24h) or since this time (RFC 3339)")
	list.Flags().StringVar(&until, "until", "", "only executions before this time (RFC 3339, or a duration ago)")
	list.Flags().StringVar(&search, "search", "", "only executions with this text in their activity, connector, error code, error message or connection's name")
	list.Flags().IntVar(&limit, "limit", 0, "how many executions to show (a page's size with --all); 50 when 0")
	addAllFlag(list, &all)

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one execution; with Connections.Execute, also the request a failed one kept",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := c.call(cmd, http.MethodGet, executionPath(args[0]), nil)
			if err != nil {
				return err
			}
			return printExecution(c, raw)
		},
	}

	retry := &cobra.Command{
		Use:   "retry ID",
		Short: "Run a failed execution again with the request it kept, as a new execution",
		Long: `Retry runs a failed execution again through its connection, with the same
activity (or object and operation) and input, which the failed execution
kept sealed. The new execution's record names the old one (retry_of). The
output is that of "junction execute".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.runExecution(cmd, executionPath(args[0])+"/retry", nil)
		},
	}

	cmd.AddCommand(list, show, retry, c.executionsExportCommand())
	return cmd
}

func executionPath(id string) string { return "/api/v1/executions/" + url.PathEscape(id) }

// executionDetail is the answer of GET /api/v1/executions/{id}.
type executionDetail struct {
	junction.Execution
	Retryable bool            `json:"retryable"`
	Request   json.RawMessage `json:"request"`
}

// printExecution prints an execution's facts, then the request it kept
// when the answer has it.
func printExecution(c *CLI, raw json.RawMessage) error {
	var req json.RawMessage
	var debug *junction.ExecutionDebug
	if err := printObject(c, raw, func(d *executionDetail) [][2]string {
		req, debug = d.Request, d.Debug
		httpStatus := ""
		if d.HTTPStatus != 0 {
			httpStatus = strconv.Itoa(d.HTTPStatus)
		}
		out := [][2]string{
			{"ID", d.ID}, {"Connection", c.label(refConnection, d.ConnectionID)}, {"Connector", d.Connector}, {"Activity", d.Activity},
			{"Status", d.Status}, {"HTTP status", httpStatus}, {"Error", d.ErrorCode},
			{"Attempts", strconv.Itoa(d.Attempts)}, {"Duration", strconv.FormatInt(d.DurationMS, 10) + " ms"},
			{"Caller", c.label(refUser, d.CallerID)}, {"Started", formatTime(d.StartedAt)},
		}
		if d.ErrorMessage != "" {
			out = append(out, [2]string{"Message", d.ErrorMessage})
		}
		if d.RetryOf != "" {
			out = append(out, [2]string{"Retry of", d.RetryOf})
		}
		retryable := "no"
		if d.Retryable {
			retryable = "yes (junction executions retry " + d.ID + ")"
		}
		return append(out, [2]string{"Retryable", retryable})
	}); err != nil {
		return err
	}
	if c.raw() {
		return nil
	}
	if len(req) > 0 && string(req) != "null" {
		fmt.Fprintln(c.env.Stdout, "Request:")
		if err := c.printDoc(req); err != nil {
			return err
		}
	}
	if debug != nil {
		return printDebug(c, debug)
	}
	return nil
}
