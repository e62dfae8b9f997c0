package cli

import (
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"junction"
)

func (c *CLI) rolesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "roles",
		Short: "List the roles of your tenant and create custom ones",
	}
	var all bool
	var perms []string
	var description string

	list := &cobra.Command{
		Use:   "list",
		Short: "List built-in and custom roles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listAndPrint(c, cmd, "/api/v1/roles", nil, all, []string{"ID", "NAME", "BUILT-IN", "PERMISSIONS"}, func(r *junction.Role) []string {
				return []string{r.ID, r.Name, yesNo(r.BuiltIn), joinPerms(r.Permissions)}
			})
		},
	}
	addAllFlag(list, &all)

	create := &cobra.Command{
		Use:   "create NAME --permission AREA.ACTION [--permission ...]",
		Short: "Create a custom role",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(perms) == 0 {
				return junction.Invalid("permission", "give at least one --permission (for example %s)", junction.PermConnectionsView)
			}
			body := map[string]any{"name": args[0], "permissions": perms}
			if description != "" {
				body["description"] = description
			}
			return callAndPrint(c, cmd, http.MethodPost, "/api/v1/roles", body, func(r *junction.Role) [][2]string {
				return [][2]string{{"ID", r.ID}, {"Name", r.Name}, {"Description", r.Description}, {"Permissions", joinPerms(r.Permissions)}}
			})
		},
	}
	create.Flags().StringArrayVar(&perms, "permission", nil, "permission such as Connections.View (repeatable)")
	create.Flags().StringVar(&description, "description", "", "what the role is for")

	cmd.AddCommand(list, create)
	return cmd
}

func joinPerms(ps []junction.Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}
