package cli

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"junction"
)

func (c *CLI) usersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage the users of your tenant and their tenant-wide roles",
	}
	var all bool
	var displayName, email string
	var roles []string
	var disabled bool

	var name, status, role string
	list := &cobra.Command{
		Use:   "list [--name TEXT] [--status active|disabled] [--role NAME]",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := filterQuery(map[string]string{"name": name, "status": status, "role": role})
			return listAndPrint(c, cmd, "/api/v1/users", q, all, []string{"ID", "NAME", "DISPLAY NAME", "EMAIL", "DISABLED"}, func(u *junction.User) []string {
				return []string{u.ID, u.Name, u.DisplayName, u.Email, yesNo(u.Disabled)}
			})
		},
	}
	addAllFlag(list, &all)
	list.Flags().StringVar(&name, "name", "", "only users whose name contains this, ignoring case")
	list.Flags().StringVar(&status, "status", "", "only users in this status: active or disabled")
	list.Flags().StringVar(&role, "role", "", "only users holding the role of this name, tenant-wide or on any folder")

	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a user (optionally with tenant-wide roles)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"name": args[0]}
			if displayName != "" {
				body["display_name"] = displayName
			}
			if email != "" {
				body["email"] = email
			}
			if len(roles) > 0 {
				body["roles"] = roles
			}
			return callAndPrint(c, cmd, http.MethodPost, "/api/v1/users", body, userFields)
		},
	}
	create.Flags().StringVar(&displayName, "display-name", "", "name shown to people")
	create.Flags().StringVar(&email, "email", "", "email address")
	create.Flags().StringArrayVar(&roles, "role", nil, "tenant-wide role name (repeatable)")

	show := showCommand(c, "Show one user", userPath, userFields)

	update := &cobra.Command{
		Use:   "update ID [--display-name NAME] [--email ADDRESS] [--disabled=true|false]",
		Short: "Change a user's display name, email or disabled state",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			setIfChanged(cmd, body, "display-name", "display_name", displayName)
			setIfChanged(cmd, body, "email", "email", email)
			setIfChanged(cmd, body, "disabled", "disabled", disabled)
			if len(body) == 0 {
				return junction.Errorf(junction.EINVALID, "nothing to change: give --display-name, --email or --disabled")
			}
			return callAndPrint(c, cmd, http.MethodPatch, userPath(args[0]), body, userFields)
		},
	}
	update.Flags().StringVar(&displayName, "display-name", "", "name shown to people")
	update.Flags().StringVar(&email, "email", "", "email address")
	update.Flags().BoolVar(&disabled, "disabled", false, "disable (or with =false re-enable) the user")

	del := c.deleteCommand("user", "Delete a user with their tokens and role assignments", userPath)

	setRoles := &cobra.Command{
		Use:   "roles USER_ID --role NAME [--role NAME ...]",
		Short: "Set a user's tenant-wide roles (no --role removes them all)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if roles == nil {
				roles = []string{}
			}
			raw, err := c.call(cmd, http.MethodPut, userPath(args[0])+"/roles", map[string]any{"roles": roles})
			if err != nil {
				return err
			}
			if c.raw() && len(raw) > 0 {
				return c.printDoc(raw)
			}
			if len(roles) == 0 {
				c.done("User %s holds no tenant-wide roles now.", args[0])
			} else {
				c.done("User %s now holds %s tenant-wide.", args[0], strings.Join(roles, ", "))
			}
			return nil
		},
	}
	setRoles.Flags().StringArrayVar(&roles, "role", nil, "tenant-wide role name (repeatable)")

	var passwordFile string
	var askCurrent bool
	setPassword := &cobra.Command{
		Use:   "set-password ID [--password-file PATH|-] [--current]",
		Short: "Set a user's password for the web UI (yours, or another's with Users.Edit)",
		Long: `Set-password sets the password a user signs in to the web UI with: at least
12 characters, not containing the user's name. It is read from --password-file
(a path, or - for standard input), else asked for at the terminal without
echo, twice; piped standard input is read when there is no terminal.
Changing your own password needs your current one when you have one
(--current asks for it first). Every session of the user ends.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			if askCurrent {
				cur, err := c.askSecret("current-password", "the current password", false)
				if err != nil {
					return err
				}
				body["current_password"] = cur
			}
			var pw string
			var err error
			if passwordFile != "" {
				pw, err = c.readFile("password-file", "the new password", passwordFile)
			} else {
				pw, err = c.askSecret("password", "the new password", true)
			}
			if err != nil {
				return err
			}
			body["password"] = pw
			if _, err := c.call(cmd, http.MethodPut, userPath(args[0])+"/password", body); err != nil {
				return err
			}
			c.done("Password set for user %s; their sessions have ended.", args[0])
			return nil
		},
	}
	setPassword.Flags().StringVar(&passwordFile, "password-file", "", "read the new password from this file (- for standard input)")
	setPassword.Flags().BoolVar(&askCurrent, "current", false, "ask for the current password first (needed to change your own)")

	cmd.AddCommand(list, create, show, update, del, setRoles, setPassword)
	return cmd
}

// userWithRoles is a user as the API returns it: with the roles held
// tenant-wide.
type userWithRoles struct {
	junction.User
	Roles []string `json:"roles"`
}

func userPath(id string) string { return "/api/v1/users/" + url.PathEscape(id) }

// userFields are the lines printObject shows for a user and their tenant-wide roles.
func userFields(u *userWithRoles) [][2]string {
	out := [][2]string{
		{"ID", u.ID}, {"Name", u.Name}, {"Display name", u.DisplayName}, {"Email", u.Email},
		{"Disabled", yesNo(u.Disabled)}, {"Tenant-wide roles", strings.Join(u.Roles, ", ")},
	}
	if u.HostAdmin {
		out = append(out, [2]string{"Host administrator", "yes"})
	}
	return append(out, [2]string{"Created", formatTime(u.CreatedAt)})
}
