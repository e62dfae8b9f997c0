package cli

import (
	"net/http"
	"net/url"
	"os"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"junction"
)

// builderActivityCommand edits one activity of a draft, so that a small
// change need not export, edit and apply the whole definition.
func (c *CLI) builderActivityCommand(withPath func(func(*cobra.Command, string, []string) error) func(*cobra.Command, []string) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "activity",
		Short: "Add, replace, delete or reorder one activity of a draft",
	}
	set := &cobra.Command{
		Use:   "set ID NAME FILE",
		Short: "Add the activity NAME from a YAML or JSON file, or replace it where it stands (a name in the file renames it)",
		Args:  cobra.ExactArgs(3),
		RunE: withPath(func(cmd *cobra.Command, path string, args []string) error {
			data, err := os.ReadFile(args[1])
			if err != nil {
				return junction.Invalid("FILE", "cannot read %s: %v", args[1], err)
			}
			var doc map[string]any
			if err := yaml.Unmarshal(data, &doc); err != nil || doc == nil {
				return junction.Invalid("FILE", "%s is not a YAML or JSON activity", args[1])
			}
			return callAndPrint(c, cmd, http.MethodPut, path+"/activities/"+url.PathEscape(args[0]), doc, customConnectorFields)
		}),
	}
	del := &cobra.Command{
		Use:   "delete ID NAME",
		Short: "Remove the activity NAME from the draft",
		Args:  cobra.ExactArgs(2),
		RunE: withPath(func(cmd *cobra.Command, path string, args []string) error {
			return callAndPrint(c, cmd, http.MethodDelete, path+"/activities/"+url.PathEscape(args[0]), nil, customConnectorFields)
		}),
	}
	order := &cobra.Command{
		Use:   "order ID NAME...",
		Short: "Put the draft's activities in this order (name each once)",
		Args:  cobra.MinimumNArgs(2),
		RunE: withPath(func(cmd *cobra.Command, path string, args []string) error {
			return callAndPrint(c, cmd, http.MethodPost, path+"/activities/order", map[string]any{"names": args}, customConnectorFields)
		}),
	}
	cmd.AddCommand(set, del, order)
	return cmd
}
