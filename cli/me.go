package cli

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"junction"
)

// whoami is the answer of GET /api/v1/me.
type whoami struct {
	User        *junction.User            `json:"user"`
	Tenant      *junction.Tenant          `json:"tenant"`
	Permissions []string                  `json:"permissions"`
	Assignments []junction.RoleAssignment `json:"assignments"`
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
			cl, err := c.client()
			if err != nil {
				return err
			}
			var raw json.RawMessage
			if err := cl.Do(ctx(cmd), http.MethodGet, "/api/v1/me", nil, &raw); err != nil {
				return err
			}
			return printObject(c, raw, func(w *whoami) [][2]string {
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
				for _, a := range w.Assignments {
					scope := "tenant-wide"
					if a.FolderID != "" {
						scope = "folder " + a.FolderID
					}
					out = append(out, [2]string{"Role", a.RoleName + " (" + scope + ")"})
				}
				if len(w.Permissions) > 0 {
					out = append(out, [2]string{"Tenant permissions", strings.Join(w.Permissions, ", ")})
				}
				return out
			})
		},
	}
}
