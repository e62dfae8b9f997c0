package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"junction"
)

// customConnector is what the builder's tables show of a custom connector;
// -o json prints the whole answer (draft definition included).
type customConnector struct {
	ID            string          `json:"id"`
	Key           string          `json:"key"`
	DisplayName   string          `json:"display_name"`
	Status        string          `json:"status"`
	LatestVersion string          `json:"latest_version"`
	SourceFormat  string          `json:"source_format"`
	Operations    int             `json:"operations"`
	AuthTypes     []string        `json:"auth_types"`
	Checklist     []checklistItem `json:"checklist"`
}

type checklistItem struct {
	Item   string `json:"item"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

func customConnectorFields(v *customConnector) [][2]string {
	out := [][2]string{{"ID", v.ID}, {"Key", v.Key}, {"Name", v.DisplayName}, {"Status", v.Status}}
	if v.LatestVersion != "" {
		out = append(out, [2]string{"Latest version", v.LatestVersion})
	}
	if v.SourceFormat != "" {
		out = append(out, [2]string{"Imported from", v.SourceFormat})
	}
	if v.Operations > 0 {
		out = append(out, [2]string{"Operations", fmt.Sprint(v.Operations)})
	}
	if len(v.AuthTypes) > 0 {
		out = append(out, [2]string{"Auth detected", strings.Join(v.AuthTypes, ", ")})
	}
	for _, it := range v.Checklist {
		out = append(out, [2]string{"Check " + it.Item, it.Status + ": " + it.Detail})
	}
	return out
}

// customConnectorPath resolves a custom connector named by ID, key or
// display name.
func (c *CLI) customConnectorPath(cmd *cobra.Command, ref string) (string, error) {
	if junction.ValidID(ref) {
		return "/api/v1/custom-connectors/" + ref, nil
	}
	cl, err := c.client()
	if err != nil {
		return "", err
	}
	page, err := cl.List(ctx(cmd), "/api/v1/custom-connectors", nil, true)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, raw := range page.Items {
		var o customConnector
		if err := json.Unmarshal(raw, &o); err == nil && (o.Key == ref || o.DisplayName == ref) {
			ids = append(ids, o.ID)
		}
	}
	switch len(ids) {
	case 0:
		return "", junction.NotFound("custom connector " + ref)
	case 1:
		return "/api/v1/custom-connectors/" + ids[0], nil
	}
	return "", junction.Invalid("custom connector", "%q names %d custom connectors (%s); give the ID or the key", ref, len(ids), strings.Join(ids, ", "))
}

func (c *CLI) builderCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "builder",
		Short: "Build the tenant's own connectors: import a description, check, test, publish, export and apply",
	}
	withPath := func(run func(cmd *cobra.Command, path string, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			path, err := c.customConnectorPath(cmd, args[0])
			if err != nil {
				return err
			}
			return run(cmd, path, args[1:])
		}
	}

	var key, name string
	var resources []string
	imp := &cobra.Command{
		Use:   "import FILE|URL [--resource NAME ...] [--key KEY] [--name NAME]",
		Short: "Draft a custom connector from an OpenAPI 3.x, Swagger 2.0 or Postman description",
		Example: `  junction builder import openapi.yaml --key acme --resource users --resource orders
  junction builder import https://api.example.com/openapi.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			if u, err := url.Parse(args[0]); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
				body["url"] = args[0]
			} else {
				data, err := os.ReadFile(args[0])
				if err != nil {
					return junction.Invalid("FILE", "cannot read %s: %v", args[0], err)
				}
				body["content"] = string(data)
			}
			if key != "" {
				body["key"] = key
			}
			if name != "" {
				body["display_name"] = name
			}
			if len(resources) > 0 {
				body["resources"] = resources
			}
			return callAndPrint(c, cmd, http.MethodPost, "/api/v1/custom-connectors/import", body, customConnectorFields)
		},
	}
	imp.Flags().StringVar(&key, "key", "", "the connector key (default: from the description's title)")
	imp.Flags().StringVar(&name, "name", "", "the display name (default: the description's title)")
	imp.Flags().StringArrayVar(&resources, "resource", nil, "keep only this resource (tag or first path segment; repeatable)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the tenant's custom connectors",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listAndPrint(c, cmd, "/api/v1/custom-connectors", nil, true, []string{"ID", "KEY", "NAME", "STATUS", "LATEST"},
				func(v *customConnector) []string {
					return []string{v.ID, v.Key, v.DisplayName, v.Status, v.LatestVersion}
				})
		},
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a custom connector and its checklist (-o json: with the draft definition)",
		Args:  cobra.ExactArgs(1),
		RunE: withPath(func(cmd *cobra.Command, path string, _ []string) error {
			return callAndPrint(c, cmd, http.MethodGet, path, nil, customConnectorFields)
		}),
	}
	checklist := &cobra.Command{
		Use:   "checklist ID",
		Short: "Show what the draft still needs; an error blocks publishing",
		Args:  cobra.ExactArgs(1),
		RunE: withPath(func(cmd *cobra.Command, path string, _ []string) error {
			return callAndPrint(c, cmd, http.MethodGet, path+"/checklist", nil, func(v *struct{ Items []checklistItem }) [][2]string {
				out := make([][2]string, 0, len(v.Items))
				for _, it := range v.Items {
					out = append(out, [2]string{it.Item, it.Status + ": " + it.Detail})
				}
				return out
			})
		}),
	}
	var force bool
	publish := &cobra.Command{
		Use:   "publish ID VERSION [--force]",
		Short: "Freeze the draft as a semantic version; --force publishes a version that removes what connections use",
		Args:  cobra.ExactArgs(2),
		RunE: withPath(func(cmd *cobra.Command, path string, args []string) error {
			return callAndPrint(c, cmd, http.MethodPost, path+"/publish", map[string]any{"version": args[0], "force": force},
				func(v *struct {
					Version     string `json:"version"`
					PublishedAt string `json:"published_at"`
				}) [][2]string {
					return [][2]string{{"Version", v.Version}, {"Published at", v.PublishedAt}}
				})
		}),
	}
	publish.Flags().BoolVar(&force, "force", false, "publish even though connections use what the version removes")

	export := &cobra.Command{
		Use:     "export ID",
		Short:   "Print the draft as a connector definition file (YAML), to redirect into connector.yaml",
		Example: `  junction builder export acme`,
		Args:    cobra.ExactArgs(1),
		RunE: withPath(func(cmd *cobra.Command, path string, _ []string) error {
			raw, err := c.call(cmd, http.MethodGet, path+"/definition", nil)
			if err != nil {
				return err
			}
			if c.output == "json" {
				return c.printDoc(raw)
			}
			var doc any
			if err := json.Unmarshal(raw, &doc); err != nil {
				return err
			}
			out, err := yaml.Marshal(doc)
			if err != nil {
				return err
			}
			_, err = c.env.Stdout.Write(out)
			return err
		}),
	}
	apply := &cobra.Command{
		Use:   "apply ID FILE",
		Short: "Replace the draft with a connector definition file (YAML or JSON); problems are listed by path",
		Args:  cobra.ExactArgs(2),
		RunE: withPath(func(cmd *cobra.Command, path string, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return junction.Invalid("FILE", "cannot read %s: %v", args[0], err)
			}
			var doc any
			if err := yaml.Unmarshal(data, &doc); err != nil {
				return junction.Invalid("FILE", "%s is not YAML or JSON: %v", args[0], err)
			}
			return callAndPrint(c, cmd, http.MethodPut, path, doc, customConnectorFields)
		}),
	}

	var f connectionFieldFlags
	var conn, auth, input, object, operation string
	test := &cobra.Command{
		Use:   "test ID [ACTIVITY] [--connection CONNECTION | --auth TYPE --field k=v --secret k=@file ...] [--input JSON|@file|-]",
		Short: "Run one activity of the draft against the real API and show the request sent (credentials masked) and the answer",
		Example: `  junction builder test acme me --auth bearer --secret token=@token.txt
  junction builder test acme list_orders --auth bearer --secret token=@token.txt --input '{"limit": 10}'`,
		Args: cobra.RangeArgs(1, 2),
		RunE: withPath(func(cmd *cobra.Command, path string, args []string) error {
			body := map[string]any{}
			if len(args) == 1 {
				body["activity"] = args[0]
			} else {
				body["object"], body["operation"] = object, operation
			}
			if conn != "" {
				body["connection_id"] = conn
			} else {
				fields, err := f.body(c)
				if err != nil {
					return err
				}
				body["connection"] = map[string]any{"auth_type": auth, "fields": fields}
			}
			if cmd.Flags().Changed("input") {
				in, err := c.readJSON("input", "the input", input)
				if err != nil {
					return err
				}
				body["input"] = in
			}
			raw, err := c.call(cmd, http.MethodPost, path+"/test", body)
			if err != nil {
				return err
			}
			return c.printDoc(raw)
		}),
	}
	f.register(test)
	test.Flags().StringVar(&conn, "connection", "", "an existing connection of this connector to run through")
	test.Flags().StringVar(&auth, "auth", "", "the auth type of an inline connection")
	test.Flags().StringVar(&input, "input", "", "input as JSON, @file or - (standard input)")
	test.Flags().StringVar(&object, "object", "", "object whose operation to run (with --operation)")
	test.Flags().StringVar(&operation, "operation", "", "operation to run (with --object)")

	del := &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a custom connector and its versions (refused while connections use it)",
		Args:  cobra.ExactArgs(1),
		RunE: withPath(func(cmd *cobra.Command, path string, args []string) error {
			if _, err := c.call(cmd, http.MethodDelete, path, nil); err != nil {
				return err
			}
			c.done("Deleted custom connector %s.", strings.TrimPrefix(path, "/api/v1/custom-connectors/"))
			return nil
		}),
	}
	cmd.AddCommand(imp, list, show, checklist, publish, export, apply, test, del)
	cmd.AddCommand(c.builderPartCommands(withPath)...)
	return cmd
}
