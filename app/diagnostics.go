package app

import (
	"context"

	"junction"
)

// Diagnostics is the outcome of the checks a running server can make:
// Status is the worst of its checks'.
type Diagnostics struct {
	Status string           `json:"status"`
	Checks []junction.Check `json:"checks"`
}

// NewDiagnostics sums checks up.
func NewDiagnostics(checks []junction.Check) Diagnostics {
	d := Diagnostics{Status: junction.CheckOK, Checks: checks}
	for _, c := range checks {
		switch {
		case c.Status == junction.CheckError:
			d.Status = junction.CheckError
		case c.Status == junction.CheckWarning && d.Status == junction.CheckOK:
			d.Status = junction.CheckWarning
		}
	}
	if d.Checks == nil {
		d.Checks = []junction.Check{}
	}
	return d
}

// Diagnostics runs, for a tenant administrator, the server's own checks
// (Options.SystemChecks: the database, its schema, the clocks) and a test
// login to each of the tenant's credential stores. Needs
// CredentialStores.Edit tenant-wide, as testing one store does: the tests
// send Junction's logins to the vaults.
func (a *App) Diagnostics(ctx context.Context, p *junction.Principal) (Diagnostics, error) {
	if err := requireTenant(p, junction.PermCredentialStoresEdit); err != nil {
		return Diagnostics{}, err
	}
	var checks []junction.Check
	if a.systemChecks != nil {
		checks = a.systemChecks(ctx)
	}
	stores, err := a.DiagnoseCredentialStores(ctx, p.TenantID(), "", p.User.HostAdmin)
	if err != nil {
		return Diagnostics{}, err
	}
	return NewDiagnostics(append(checks, stores...)), nil
}

// DiagnoseAllCredentialStores tests every external store of every tenant,
// for the operator running doctor, who sees why a store is unreachable.
func (a *App) DiagnoseAllCredentialStores(ctx context.Context) ([]junction.Check, error) {
	var checks []junction.Check
	err := a.eachTenant(ctx, func(t *junction.Tenant) error {
		cs, err := a.DiagnoseCredentialStores(ctx, t.ID, t.Name+"/", true)
		checks = append(checks, cs...)
		return err
	})
	return checks, err
}

// DiagnoseCredentialStores tests each external store of a tenant; the
// built-in database store needs no login. Check names carry prefix
// before the store's name.
func (a *App) DiagnoseCredentialStores(ctx context.Context, tenantID, prefix string, withDetail bool) ([]junction.Check, error) {
	if err := a.needResolver(); err != nil {
		return nil, err
	}
	var checks []junction.Check
	page := junction.Page{Limit: junction.MaxPageSize}
	for {
		cs, err := a.store.ListCredentialStores(ctx, tenantID, page)
		if err != nil {
			return nil, err
		}
		for _, cfg := range cs {
			if cfg.Type == junction.DatabaseStoreType {
				continue
			}
			checks = append(checks, a.diagnoseStore(ctx, cfg, prefix, withDetail))
		}
		if len(cs) < page.Limit {
			return checks, nil
		}
		page.After = cs[len(cs)-1].ID
	}
}

func (a *App) diagnoseStore(ctx context.Context, cfg *junction.CredentialStoreConfig, prefix string, withDetail bool) junction.Check {
	c := junction.Check{Name: "credential store " + prefix + cfg.Name + " (" + cfg.Type + ")"}
	res, err := a.testStore(ctx, cfg, withDetail)
	if err != nil {
		c.Status, c.Message = junction.CheckError, junction.ErrorMessage(err)
		c.Fix = "Look in the server log for this store's ID (" + cfg.ID + "); its sealed login may need to be entered again."
		return c
	}
	if res.OK {
		c.Status, c.Message = junction.CheckOK, "test login succeeded"
		return c
	}
	c.Status, c.Message = junction.CheckError, res.Message
	if res.Detail != "" {
		c.Message += ": " + res.Detail
	}
	if res.Field != "" {
		c.Message += " (configuration key " + res.Field + ")"
	}
	if e, ok := junction.LookupError(res.Code); ok {
		c.Fix = e.Fix
	}
	return c
}
