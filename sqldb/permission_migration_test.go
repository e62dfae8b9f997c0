package sqldb_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"junction"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

// Migration 0013 gives the Tenant Administrator role of tenants made
// before Connectors.Manage existed that permission, once, and leaves other
// roles alone.
func TestMigrationGrantsConnectorsManage(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(filepath.Join("migrations", b.Name, "0013_custom_connectors.sql"))
			if err != nil {
				t.Fatal(err)
			}
			grant := string(src[strings.Index(string(src), "UPDATE roles"):])
			db := b.Open(t, sqldb.Options{})
			ctx := t.Context()
			tn := &junction.Tenant{ID: junction.NewID(), Name: "old"}
			if err := db.CreateTenant(ctx, tn); err != nil {
				t.Fatal(err)
			}
			old := []junction.Permission{junction.PermFoldersView, junction.PermAuditView}
			admin := &junction.Role{ID: junction.NewID(), TenantID: tn.ID, Name: junction.RoleTenantAdmin, Permissions: old, BuiltIn: true}
			custom := &junction.Role{ID: junction.NewID(), TenantID: tn.ID, Name: "Auditor", Permissions: old}
			for _, r := range []*junction.Role{admin, custom} {
				if err := db.CreateRole(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			for range 2 {
				if _, err := db.SQL().ExecContext(ctx, grant); err != nil {
					t.Fatal(err)
				}
			}
			got, err := db.GetRole(ctx, tn.ID, admin.ID)
			if err != nil {
				t.Fatal(err)
			}
			if want := append(slices.Clone(old), junction.PermConnectorsManage); !slices.Equal(got.Permissions, want) {
				t.Fatalf("Tenant Administrator has %v, want %v", got.Permissions, want)
			}
			if got, _ := db.GetRole(ctx, tn.ID, custom.ID); !slices.Equal(got.Permissions, old) {
				t.Fatalf("a custom role changed: %v", got.Permissions)
			}
		})
	}
}
