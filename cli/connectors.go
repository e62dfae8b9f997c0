package cli

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

// connectorSummary is one item of GET /api/v1/connectors.
type connectorSummary struct {
	Key         string   `json:"key"`
	DisplayName string   `json:"display_name"`
	Version     string   `json:"version"`
	Description string   `json:"description"`
	Categories  []string `json:"categories"`
	AuthTypes   []string `json:"auth_types"`
}

// connectorDefinition is the part of a connector definition a table shows;
// -o json prints the whole definition.
type connectorDefinition struct {
	connectorSummary
	Documentation string           `json:"documentation"`
	BaseURL       string           `json:"base_url"`
	Fields        []connectorField `json:"fields"`
	Auth          []struct {
		Type   string           `json:"type"`
		ID     string           `json:"id"`
		Label  string           `json:"label"`
		Fields []connectorField `json:"fields"`
	} `json:"auth"`
	Objects []struct {
		Name string `json:"name"`
		// Operations maps list, get, create, update and delete to their
		// definitions; only the names are shown.
		Operations map[string]json.RawMessage `json:"operations"`
	} `json:"objects"`
	Activities []struct {
		Name string `json:"name"`
	} `json:"activities"`
}

// operationOrder is the order in which an object's operations are shown.
var operationOrder = []string{"list", "get", "create", "update", "delete"}

type connectorField struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
}

// describeFields lists fields as "name (type, required)".
func describeFields(fs []connectorField) string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		d := f.Type
		if f.Required {
			d += ", required"
		}
		out = append(out, f.Name+" ("+d+")")
	}
	return strings.Join(out, ", ")
}

func (c *CLI) connectorsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "connectors",
		Short: "Browse the connector catalog: the SaaS APIs connections can be made to",
	}

	list := &cobra.Command{
		Use:   "list",
		Short: "List the connectors in the catalog",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listAndPrint(c, cmd, "/api/v1/connectors", nil, true, []string{"KEY", "NAME", "VERSION", "AUTH", "CATEGORIES"}, func(s *connectorSummary) []string {
				return []string{s.Key, s.DisplayName, s.Version, strings.Join(s.AuthTypes, ", "), strings.Join(s.Categories, ", ")}
			})
		},
	}

	show := &cobra.Command{
		Use:   "show KEY",
		Short: "Show a connector: its fields, auth types, objects and activities (-o json: the whole definition)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return callAndPrint(c, cmd, http.MethodGet, "/api/v1/connectors/"+url.PathEscape(args[0]), nil, func(d *connectorDefinition) [][2]string {
				out := [][2]string{{"Key", d.Key}, {"Name", d.DisplayName}, {"Version", d.Version}}
				if d.Description != "" {
					out = append(out, [2]string{"Description", oneLine(d.Description)})
				}
				if d.Documentation != "" {
					out = append(out, [2]string{"Documentation", d.Documentation})
				}
				out = append(out, [2]string{"Base URL", d.BaseURL})
				if len(d.Categories) > 0 {
					out = append(out, [2]string{"Categories", strings.Join(d.Categories, ", ")})
				}
				if len(d.Fields) > 0 {
					out = append(out, [2]string{"Fields", describeFields(d.Fields)})
				}
				for _, a := range d.Auth {
					key := firstNonEmpty(a.ID, a.Type)
					v := a.Type
					if len(a.Fields) > 0 {
						v += ": " + describeFields(a.Fields)
					}
					out = append(out, [2]string{"Auth " + key, v})
				}
				for _, o := range d.Objects {
					var ops []string
					for _, op := range operationOrder {
						if v, ok := o.Operations[op]; ok && string(v) != "null" {
							ops = append(ops, op)
						}
					}
					out = append(out, [2]string{"Object " + o.Name, strings.Join(ops, ", ")})
				}
				if len(d.Activities) > 0 {
					names := make([]string, 0, len(d.Activities))
					for _, a := range d.Activities {
						names = append(names, a.Name)
					}
					out = append(out, [2]string{"Activities", strings.Join(names, ", ")})
				}
				return out
			})
		},
	}

	schema := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of connector definitions, for editors and linters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := c.call(cmd, http.MethodGet, "/api/v1/connectors/schema", nil)
			if err != nil {
				return err
			}
			// The schema is a JSON document in either output format.
			return c.printDoc(raw)
		},
	}

	docs := &cobra.Command{
		Use:   "docs KEY",
		Short: "Print a connector's reference page (Markdown): auth types, where to get credentials, operations, activities, triggers",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := c.call(cmd, http.MethodGet, "/api/v1/connectors/"+url.PathEscape(args[0])+"/docs", nil)
			if err != nil {
				return err
			}
			// The page is Markdown whatever the output format.
			_, err = c.env.Stdout.Write(raw)
			return err
		},
	}

	cmd.AddCommand(list, show, schema, docs)
	return cmd
}
