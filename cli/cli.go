// Package cli holds Junction's client commands: they call a running server
// over the REST API and print tables for people or the API's JSON for
// scripts. Each resource has its own file; client.go is the HTTP client.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"junction"
)

// Environment variables the client commands read.
const (
	EnvServer = "JUNCTION_SERVER"
	EnvToken  = "JUNCTION_TOKEN"
	// EnvFormat is the default of --output.
	EnvFormat = "JUNCTION_FORMAT"
)

// Env is what the commands take from the outside world. Zero fields fall back
// to the process's own (os.Stdout, os.Getenv, os.UserConfigDir, ...), so tests
// can run commands side by side without touching global state.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// ConfigDir is where the credentials of junction login are saved, under
	// junction/credentials.json.
	ConfigDir  func() (string, error)
	HTTPClient *http.Client
	Now        func() time.Time
}

func (e Env) withDefaults() Env {
	if e.Stdin == nil {
		e.Stdin = os.Stdin
	}
	if e.Stdout == nil {
		e.Stdout = os.Stdout
	}
	if e.Stderr == nil {
		e.Stderr = os.Stderr
	}
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.ConfigDir == nil {
		e.ConfigDir = os.UserConfigDir
	}
	if e.HTTPClient == nil {
		e.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	return e
}

// CLI builds the client commands. One CLI serves one command-line invocation:
// the global flags it parses live in it.
type CLI struct {
	env    Env
	server string
	token  string
	output string
	// field is --field: print one value of the answer.
	field string
	// stdinTakenBy names the value read from standard input, which holds
	// one value only.
	stdinTakenBy string
	// names resolves the command line's names to IDs and shows IDs as
	// names, listing each kind of object at most once (see refs).
	names *refResolver
}

// New returns the client commands' builder.
func New(env Env) *CLI { return &CLI{env: env.withDefaults()} }

// Commands returns every client command, ready to be added to the root
// command. Each carries the global flags --server, --token and --output.
func (c *CLI) Commands() []*cobra.Command {
	cmds := []*cobra.Command{
		c.loginCommand(),
		c.logoutCommand(),
		c.meCommand(),
		c.tenantsCommand(),
		c.foldersCommand(),
		c.usersCommand(),
		c.tokensCommand(),
		c.rolesCommand(),
		c.auditCommand(),
		c.storesCommand(),
		c.credentialProxiesCommand(),
		c.assetsCommand(),
		c.connectorsCommand(),
		c.builderCommand(),
		c.connectionsCommand(),
		c.executeCommand(),
		c.executionsCommand(),
		c.triggersCommand(),
		c.jobsCommand(),
		c.notificationsCommand(),
		c.settingsCommand(),
		c.usageCommand(),
	}
	for _, cmd := range cmds {
		c.acceptNames(cmd, cmd.Name())
		nameFlagsInErrors(cmd)
		f := cmd.PersistentFlags()
		f.StringVar(&c.server, "server", "", "Junction server URL (env "+EnvServer+"; default: the one saved by junction login)")
		f.StringVar(&c.token, "token", "", "API token (env "+EnvToken+"; default: the one saved by junction login)")
		f.StringVarP(&c.output, "output", "o", "", "output format: table, json or yaml (the API's answer, for scripts); default "+EnvFormat+" or table")
		f.StringVar(&c.field, "field", "", "print only this field of the answer (of each item of a list), bare: --field password, --field user.name")
		cmd.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
			c.refs(cmd)
			if c.output == "" {
				c.output = c.env.Getenv(EnvFormat)
			}
			switch c.output {
			case "":
				c.output = "table"
			case "table", "json", "yaml":
			default:
				return &junction.Error{Code: junction.EINVALID, Field: "--output",
					Message: fmt.Sprintf("must be table, json or yaml, not %q", c.output)}
			}
			return nil
		}
	}
	return cmds
}

// client returns an API client for the server and token chosen by flag, then
// environment, then the saved credentials.
func (c *CLI) client() (*Client, error) {
	server, token := c.server, c.token
	if server == "" {
		server = c.env.Getenv(EnvServer)
	}
	if token == "" {
		token = c.env.Getenv(EnvToken)
	}
	if server == "" || token == "" {
		saved, err := c.loadCredentials()
		if err != nil {
			return nil, err
		}
		if saved != nil {
			if server == "" {
				server = saved.Server
			}
			// A saved token only ever goes to the server it was saved for.
			if token == "" && sameServer(server, saved.Server) {
				token = saved.Token
			}
		}
	}
	if token == "" {
		return nil, junction.Errorf(junction.EUNAUTHENTICATED, "no token given: use --token, %s or junction login", EnvToken)
	}
	return NewClient(server, junction.NewSecret(token), c.env.HTTPClient)
}

func sameServer(a, b string) bool { return strings.TrimRight(a, "/") == strings.TrimRight(b, "/") }

// FormatError renders err as the one line the junction command prints on
// failure: "error: <message> (<code>)".
func FormatError(err error) string {
	var e *junction.Error
	if !errors.As(err, &e) {
		return "error: " + oneLine(err.Error())
	}
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	// A client-side connection failure says why; the cause names the
	// server address only.
	if e.Code == junction.EUNAVAILABLE && e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return fmt.Sprintf("error: %s (%s)", oneLine(msg), e.Code)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// raw reports whether the API's answer is printed as a document (-o json,
// -o yaml or --field) rather than as a table for people.
func (c *CLI) raw() bool { return c.output != "table" || c.field != "" }

// printDoc writes the server's JSON: with --field only that value of it (of
// each item, for a list), with -o yaml as YAML, otherwise indented JSON.
func (c *CLI) printDoc(raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		_, err = c.env.Stdout.Write(append(raw, '\n'))
		return err
	}
	if c.field != "" {
		return c.printField(v)
	}
	if c.output == "yaml" {
		enc := yaml.NewEncoder(c.env.Stdout)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return err
		}
		return enc.Close()
	}
	enc := json.NewEncoder(c.env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printField prints the --field value of an answer, one line per list
// item: strings as they are, so that a script gets the bare value, and
// anything else as compact JSON.
func (c *CLI) printField(v any) error {
	items := []any{v}
	if m, ok := v.(map[string]any); ok {
		if list, ok := m["items"].([]any); ok && len(m) <= 2 {
			items = list
		}
	}
	for _, item := range items {
		val, ok := fieldOf(item, c.field)
		if !ok {
			return junction.Invalid("field", "the answer has no field %q", c.field)
		}
		var line string
		switch x := val.(type) {
		case string:
			line = x
		case nil:
		default:
			b, err := json.Marshal(x)
			if err != nil {
				return err
			}
			line = string(b)
		}
		if _, err := fmt.Fprintln(c.env.Stdout, line); err != nil {
			return err
		}
	}
	return nil
}

// fieldOf follows a dotted path ("user.name", "fields.password") into v.
func fieldOf(v any, path string) (any, bool) {
	for part := range strings.SplitSeq(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

// call sends one request and returns the server's JSON answer as is.
func (c *CLI) call(cmd *cobra.Command, method, path string, body any) (json.RawMessage, error) {
	cl, err := c.client()
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := cl.Do(ctx(cmd), method, path, body, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// callAndPrint sends a request whose answer is one object and prints it
// with printObject.
func callAndPrint[T any](c *CLI, cmd *cobra.Command, method, path string, body any, fields func(*T) [][2]string) error {
	raw, err := c.call(cmd, method, path, body)
	if err != nil {
		return err
	}
	return printObject(c, raw, fields)
}

// listAndPrint fetches the list at path (every page with all) and prints it
// with printList.
func listAndPrint[T any](c *CLI, cmd *cobra.Command, path string, q url.Values, all bool, headers []string, row func(*T) []string) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	page, err := cl.List(ctx(cmd), path, q, all)
	if err != nil {
		return err
	}
	return printList(c, page, headers, row)
}

// showCommand builds "show ID" for a resource whose answer printObject
// prints with fields.
func showCommand[T any](c *CLI, short string, path func(id string) string, fields func(*T) [][2]string) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return callAndPrint(c, cmd, http.MethodGet, path(args[0]), nil, fields)
		},
	}
}

// deleteCommand builds "delete ID" for a resource; what names it in the
// confirmation, such as "Deleted asset ID.".
func (c *CLI) deleteCommand(what, short string, path func(id string) string) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := c.call(cmd, http.MethodDelete, path(args[0]), nil); err != nil {
				return err
			}
			c.done("Deleted %s %s.", what, args[0])
			return nil
		},
	}
}

// addAllFlag gives a list command --all.
func addAllFlag(cmd *cobra.Command, all *bool) {
	cmd.Flags().BoolVar(all, "all", false, "follow pages until the end of the list")
}

// filterQuery is the query string of a list's filters: the ones given, the
// empty ones left out so the server applies no such filter.
func filterQuery(filters map[string]string) url.Values {
	q := url.Values{}
	for k, v := range filters {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// setIfChanged puts v in body under key when the command was given flag, so
// an update sends only what the user named, zero values included.
func setIfChanged(cmd *cobra.Command, body map[string]any, flag, key string, v any) {
	if cmd.Flags().Changed(flag) {
		body[key] = v
	}
}

// setTimeQuery sets q's key to the time a --since style flag names, when
// it was given.
func setTimeQuery(q url.Values, key, flag string, now time.Time) error {
	if flag == "" {
		return nil
	}
	t, err := parseSince(flag, now)
	if err != nil {
		return err
	}
	q.Set(key, t.UTC().Format(time.RFC3339))
	return nil
}

// printList prints a list page: the API's JSON with -o json, otherwise a table
// with one row per item.
func printList[T any](c *CLI, page ListPage, headers []string, row func(*T) []string) error {
	if c.raw() {
		if page.Items == nil {
			page.Items = []json.RawMessage{}
		}
		b, err := json.Marshal(page)
		if err != nil {
			return err
		}
		return c.printDoc(b)
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	for _, raw := range page.Items {
		v := new(T)
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("decode list item: %w", err)
		}
		fmt.Fprintln(tw, strings.Join(row(v), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.NextCursor != "" {
		fmt.Fprintln(c.env.Stderr, "(more results: use --all to list them all)")
	}
	return nil
}

// printAnswer prints an answer: the API's JSON with -o json, otherwise
// show's rendering of it, for answers a person reads in their own shape.
func printAnswer[T any](c *CLI, raw json.RawMessage, show func(*T) error) error {
	if c.raw() {
		return c.printDoc(raw)
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return show(v)
}

// printObject prints one object: the API's JSON with -o json, otherwise
// "Key: value" lines.
func printObject[T any](c *CLI, raw json.RawMessage, fields func(*T) [][2]string) error {
	return printAnswer(c, raw, func(v *T) error {
		tw := tabwriter.NewWriter(c.env.Stdout, 0, 0, 2, ' ', 0)
		for _, kv := range fields(v) {
			fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
		}
		return tw.Flush()
	})
}

// done prints a confirmation for commands whose answer carries nothing to
// show; with -o json it prints nothing, so scripts see only JSON.
func (c *CLI) done(format string, args ...any) {
	if c.raw() {
		return
	}
	fmt.Fprintf(c.env.Stdout, format+"\n", args...)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func formatTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return formatTime(*t)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// ctx returns the command's context, which main cancels on interrupt.
func ctx(cmd *cobra.Command) context.Context {
	if c := cmd.Context(); c != nil {
		return c
	}
	return context.Background()
}
