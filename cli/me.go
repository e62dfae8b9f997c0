package cli

import (
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"junction"
)

// whoami is the answer of GET /api/v1/me.
type whoami struct {
	User        *junction.User   `json:"user"`
	Tenant      *junction.Tenant `json:"tenant"`
	Roles       []string         `json:"roles"`
	Permissions []string         `json:"permissions"`
	Folders     []folderGrant    `json:"folders"`
}

// folderGrant is what the caller holds directly on one folder.
type folderGrant struct {
	FolderID    string   `json:"folder_id"`
	FolderName  string   `json:"folder_name"`
	Permissions []string `json:"permissions"`
}

func (w *whoami) user() *junction.User {
	if w.User == nil {
		return &junction.User{}
	}
	return w.User
}

func (c *CLI) meCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "me",
		Short: "Show who the token belongs to and what it may do",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return callAndPrint(c, cmd, http.MethodGet, "/api/v1/me", nil, func(w *whoami) [][2]string {
				u := w.user()
				out := [][2]string{{"User", u.Name}, {"User ID", u.ID}}
				if u.DisplayName != "" {
					out = append(out, [2]string{"Display name", u.DisplayName})
				}
				if w.Tenant != nil {
					out = append(out, [2]string{"Tenant", w.Tenant.Name}, [2]string{"Tenant ID", w.Tenant.ID})
				} else {
					out = append(out, [2]string{"Tenant ID", u.TenantID})
				}
				if u.HostAdmin {
					out = append(out, [2]string{"Host administrator", "yes"})
				}
				out = append(out, [2]string{"Tenant-wide roles", strings.Join(w.Roles, ", ")})
				if len(w.Permissions) > 0 {
					out = append(out, [2]string{"Tenant-wide permissions", strings.Join(w.Permissions, ", ")})
				}
				for _, g := range w.Folders {
					out = append(out, [2]string{"Folder " + g.FolderName + " (" + g.FolderID + ")", strings.Join(g.Permissions, ", ")})
				}
				return out
			})
		},
	}
}
