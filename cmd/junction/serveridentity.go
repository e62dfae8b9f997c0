package main

import (
	"context"
	"sync"

	"junction"
)

// serverIdentity is the --store-server-identity policy: which tenants'
// credential stores may log in as this server (its cloud identity, a key
// file, an environment variable). On a server shared by tenants, that
// identity is the operator's, and a store using it reads whatever the
// operator's identity may read; by default only the default tenant, which
// the operator's own first start made, may.
func (m *Main) serverIdentity(tenants interface {
	GetTenantByName(ctx context.Context, name string) (*junction.Tenant, error)
}) func(tenantID string) bool {
	switch m.Config.StoreServerIdentity {
	case "all":
		return func(string) bool { return true }
	case "none":
		return func(string) bool { return false }
	}
	var mu sync.Mutex
	var defaultID string
	return func(tenantID string) bool {
		mu.Lock()
		defer mu.Unlock()
		if defaultID == "" {
			t, err := tenants.GetTenantByName(context.Background(), junction.DefaultTenantName)
			if err != nil {
				return false
			}
			defaultID = t.ID
		}
		return tenantID == defaultID
	}
}
