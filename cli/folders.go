package cli

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"junction"
)

// folderMember is one row of GET /api/v1/folders/{id}/members: a user and
// the roles assigned to them directly on the folder.
type folderMember struct {
	UserID   string   `json:"user_id"`
	UserName string   `json:"user_name"`
	Roles    []string `json:"roles"`
}

func (c *CLI) foldersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "folders",
		Short: "Manage the folder tree and who may work in each folder",
	}
	var parent string
	var all bool

	list := &cobra.Command{
		Use:   "list",
		Short: "List the folders you can see (with --parent, the children of one folder)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := filterQuery(map[string]string{"parent_id": parent})
			// People read a folder by its path, not its parent's ID.
			paths := &refResolver{c: c, ctx: ctx(cmd)}
			if !c.raw() {
				if err := paths.loadFolders(); err != nil {
					return err
				}
			}
			return listAndPrint(c, cmd, "/api/v1/folders", q, all, []string{"ID", "NAME", "PATH", "DEPTH"}, func(f *junction.Folder) []string {
				return []string{f.ID, f.Name, paths.folderPath(f.ID), strconv.Itoa(len(f.Path))}
			})
		},
	}
	list.Flags().StringVar(&parent, "parent", "", "list the direct children of this folder ID")
	addAllFlag(list, &all)

	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a folder (top-level, or inside --parent)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"name": args[0]}
			if parent != "" {
				body["parent_id"] = parent
			}
			return callAndPrint(c, cmd, http.MethodPost, "/api/v1/folders", body, c.folderFields)
		},
	}
	create.Flags().StringVar(&parent, "parent", "", "ID of the folder to create it in")

	show := showCommand(c, "Show one folder", folderPath, c.folderFields)

	rename := &cobra.Command{
		Use:   "rename ID NAME",
		Short: "Rename a folder",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return callAndPrint(c, cmd, http.MethodPatch, folderPath(args[0]), map[string]any{"name": args[1]}, c.folderFields)
		},
	}

	move := &cobra.Command{
		Use:   "move ID --parent ID",
		Short: `Move a folder under another one (--parent "" makes it top-level)`,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("parent") {
				return junction.Invalid("parent", "give the new parent folder ID with --parent")
			}
			return callAndPrint(c, cmd, http.MethodPatch, folderPath(args[0]), map[string]any{"parent_id": parent}, c.folderFields)
		},
	}
	move.Flags().StringVar(&parent, "parent", "", "ID of the new parent folder")

	del := c.deleteCommand("folder", "Delete a folder with its subfolders", folderPath)

	members := &cobra.Command{
		Use:   "members ID",
		Short: "List the users with roles assigned directly on a folder",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return listAndPrint(c, cmd, folderPath(args[0])+"/members", nil, true, []string{"USER ID", "USER", "ROLES"}, func(m *folderMember) []string {
				return []string{m.UserID, m.UserName, strings.Join(m.Roles, ", ")}
			})
		},
	}

	var roles []string
	assign := &cobra.Command{
		Use:   "assign FOLDER_ID USER_ID --role NAME [--role NAME ...]",
		Short: "Set the roles a user holds on a folder (and its subfolders)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(roles) == 0 {
				return junction.Invalid("role", "give at least one --role (for example --role %q)", junction.RoleAutomationUser)
			}
			path := folderPath(args[0]) + "/members/" + url.PathEscape(args[1])
			raw, err := c.call(cmd, http.MethodPut, path, map[string]any{"roles": roles})
			if err != nil {
				return err
			}
			if c.raw() && len(raw) > 0 {
				return c.printDoc(raw)
			}
			c.done("User %s now holds %s on folder %s.", args[1], strings.Join(roles, ", "), args[0])
			return nil
		},
	}
	assign.Flags().StringArrayVar(&roles, "role", nil, "role name to hold on the folder (repeatable)")

	unassign := &cobra.Command{
		Use:   "unassign FOLDER_ID USER_ID",
		Short: "Remove every role a user holds directly on a folder",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := folderPath(args[0]) + "/members/" + url.PathEscape(args[1])
			if _, err := c.call(cmd, http.MethodDelete, path, nil); err != nil {
				return err
			}
			c.done("User %s holds no roles on folder %s any more.", args[1], args[0])
			return nil
		},
	}

	cmd.AddCommand(list, create, show, rename, move, del, members, assign, unassign)
	return cmd
}

func folderPath(id string) string { return "/api/v1/folders/" + url.PathEscape(id) }

// folderFields are the lines printObject shows for a folder.
func (c *CLI) folderFields(f *junction.Folder) [][2]string {
	return [][2]string{
		{"ID", f.ID}, {"Name", f.Name}, {"Parent", c.label(refFolder, f.ParentID)},
		{"Path", c.label(refFolder, f.ID)},
		{"Created", formatTime(f.CreatedAt)}, {"Updated", formatTime(f.UpdatedAt)},
	}
}
