package cli

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"junction"
)

// createdTenant is the answer of POST /api/v1/tenants: the tenant, its first
// administrator, and that administrator's token, shown this once.
type createdTenant struct {
	Tenant junction.Tenant `json:"tenant"`
	Admin  junction.User   `json:"admin"`
	Token  string          `json:"token"`
}

func (c *CLI) tenantsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenants",
		Short: "List and create tenants and set their quotas (host administrators only)",
	}
	var all bool
	var admin string

	list := &cobra.Command{
		Use:   "list",
		Short: "List tenants",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listAndPrint(c, cmd, "/api/v1/tenants", nil, all, []string{"ID", "NAME", "CREATED"}, func(t *junction.Tenant) []string {
				return []string{t.ID, t.Name, formatTime(t.CreatedAt)}
			})
		},
	}
	addAllFlag(list, &all)

	create := &cobra.Command{
		Use:   "create NAME [--admin NAME]",
		Short: "Create a tenant with its first administrator; their token is shown once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"name": args[0]}
			if admin != "" {
				body["admin_name"] = admin
			}
			raw, err := c.call(cmd, http.MethodPost, "/api/v1/tenants", body)
			if err != nil {
				return err
			}
			return printAnswer(c, raw, func(t *createdTenant) error {
				fmt.Fprintf(c.env.Stderr, "Tenant %s (%s) created with administrator %s; below is their API token.\n",
					t.Tenant.Name, t.Tenant.ID, t.Admin.Name)
				c.printNewToken(t.Token)
				return nil
			})
		},
	}
	create.Flags().StringVar(&admin, "admin", "", "login name of the tenant's first administrator (default: admin)")

	cmd.AddCommand(list, create, c.tenantQuotasCommand())
	return cmd
}
