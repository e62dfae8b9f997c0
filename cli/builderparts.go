package cli

import (
	"net/http"
	"net/url"
	"os"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"junction"
)

// draftPart describes one kind of part of a draft the CLI edits on its
// own (an activity, an auth type, an object's trigger), so that a small
// change need not export, edit and apply the whole definition. The three
// kinds differ only in their words and in where their items live.
type draftPart struct {
	use, what string // "activity", "activity"; "auth-type", "auth type"
	// item names one item in the command line ("NAME", "KEY", "OBJECT
	// EVENT"); scope is how many leading arguments choose the list the
	// item is in (the object of a trigger) and are not themselves ordered.
	item  string
	scope int
	// path is where the item (or, for order, the list) is under the
	// draft's path, from the arguments after the draft's ID.
	itemPath   func(args []string) string
	orderPath  func(args []string) string
	setShort   string
	orderUse   string
	orderShort string
}

var draftParts = []draftPart{
	{use: "activity", what: "activity", item: "NAME",
		itemPath:   func(a []string) string { return "/activities/" + url.PathEscape(a[0]) },
		orderPath:  func([]string) string { return "/activities/order" },
		setShort:   "Add the activity NAME from a YAML or JSON file, or replace it where it stands (a name in the file renames it)",
		orderUse:   "order ID NAME...",
		orderShort: "Put the draft's activities in this order (name each once)"},
	{use: "auth-type", what: "auth type", item: "KEY",
		itemPath:   func(a []string) string { return "/auth-types/" + url.PathEscape(a[0]) },
		orderPath:  func([]string) string { return "/auth-types/order" },
		setShort:   "Add the auth type KEY (its id, or its type when it has none) from a YAML or JSON file, or replace it where it stands",
		orderUse:   "order ID KEY...",
		orderShort: "Put the draft's auth types in this order, the first offered first (name each once)"},
	{use: "trigger", what: "trigger", item: "OBJECT EVENT", scope: 1,
		itemPath: func(a []string) string {
			return "/triggers/" + url.PathEscape(a[0]) + "/" + url.PathEscape(a[1])
		},
		orderPath:  func(a []string) string { return "/triggers/" + url.PathEscape(a[0]) + "/order" },
		setShort:   "Add the event EVENT of OBJECT (polling or webhook) from a YAML or JSON file, or replace it where it stands",
		orderUse:   "order ID OBJECT EVENT...",
		orderShort: "Put OBJECT's events in this order (name each once)"},
}

// builderPartCommands makes `builder activity`, `builder auth-type` and
// `builder trigger`, each with set, delete and order.
func (c *CLI) builderPartCommands(withPath func(func(*cobra.Command, string, []string) error) func(*cobra.Command, []string) error) []*cobra.Command {
	var out []*cobra.Command
	for _, p := range draftParts {
		out = append(out, c.builderPartCommand(p, withPath))
	}
	return out
}

func (c *CLI) builderPartCommand(p draftPart, withPath func(func(*cobra.Command, string, []string) error) func(*cobra.Command, []string) error) *cobra.Command {
	itemArgs := 1 + p.scope
	cmd := &cobra.Command{
		Use:   p.use,
		Short: "Add, replace, delete or reorder one " + p.what + " of a draft",
	}
	set := &cobra.Command{
		Use:   "set ID " + p.item + " FILE",
		Short: p.setShort,
		Args:  cobra.ExactArgs(2 + itemArgs),
		RunE: withPath(func(cmd *cobra.Command, path string, args []string) error {
			file := args[itemArgs]
			data, err := os.ReadFile(file)
			if err != nil {
				return junction.Invalid("FILE", "cannot read %s: %v", file, err)
			}
			var doc map[string]any
			if err := yaml.Unmarshal(data, &doc); err != nil || doc == nil {
				return junction.Invalid("FILE", "%s is not a YAML or JSON %s", file, p.what)
			}
			return callAndPrint(c, cmd, http.MethodPut, path+p.itemPath(args), doc, customConnectorFields)
		}),
	}
	del := &cobra.Command{
		Use:   "delete ID " + p.item,
		Short: "Remove the " + p.what + " " + p.item + " from the draft",
		Args:  cobra.ExactArgs(1 + itemArgs),
		RunE: withPath(func(cmd *cobra.Command, path string, args []string) error {
			return callAndPrint(c, cmd, http.MethodDelete, path+p.itemPath(args), nil, customConnectorFields)
		}),
	}
	order := &cobra.Command{
		Use:   p.orderUse,
		Short: p.orderShort,
		Args:  cobra.MinimumNArgs(2 + p.scope),
		RunE: withPath(func(cmd *cobra.Command, path string, args []string) error {
			return callAndPrint(c, cmd, http.MethodPost, path+p.orderPath(args), map[string]any{"names": args[p.scope:]}, customConnectorFields)
		}),
	}
	cmd.AddCommand(set, del, order)
	return cmd
}
