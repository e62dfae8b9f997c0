package connector_test

import (
	"context"
	"sync/atomic"
	"testing"

	"junction"
	"junction/connector"
	"junction/sqldb/sqldbtest"
)

// countingStore counts the reads Library makes of a real store.
type countingStore struct {
	connector.VersionStore
	reads atomic.Int64
}

func (c *countingStore) GetConnectorVersion(ctx context.Context, tenantID, key, version string) (*junction.ConnectorVersion, error) {
	c.reads.Add(1)
	return c.VersionStore.GetConnectorVersion(ctx, tenantID, key, version)
}

func (c *countingStore) GetCustomConnectorByKey(ctx context.Context, tenantID, key string) (*junction.CustomConnector, error) {
	c.reads.Add(1)
	return c.VersionStore.GetCustomConnectorByKey(ctx, tenantID, key)
}

const customYAML = `key: acme
display_name: Acme
version: 0.0.1
base_url: https://api.acme.test
auth:
  - type: none
activities:
  - name: ping
    method: GET
    path: /ping
`

func TestLibrary(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := sqldbtest.Open(t)
	tn := &junction.Tenant{ID: junction.NewID(), Name: "acme"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	cc := &junction.CustomConnector{TenantID: tn.ID, Key: "acme", DisplayName: "Acme", Draft: customYAML}
	if err := db.CreateCustomConnector(ctx, cc); err != nil {
		t.Fatal(err)
	}
	cat, err := connector.LoadCatalog(connector.Builtin(), "")
	if err != nil {
		t.Fatal(err)
	}
	store := &countingStore{VersionStore: db}
	lib := connector.NewLibrary(cat, store)

	_, err = lib.Definition(ctx, tn.ID, "acme", "")
	if junction.ErrorCode(err) != junction.ENOTFOUND {
		t.Fatalf("unpublished connector: err = %v, want not_found", err)
	}
	for _, v := range []string{"1.0.0", "1.10.0", "1.9.0"} {
		if err := db.CreateConnectorVersion(ctx, &junction.ConnectorVersion{TenantID: tn.ID, ConnectorID: cc.ID,
			Version: v, Definition: customYAML}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := lib.Definition(ctx, tn.ID, "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != "1.10.0" || !d.Custom {
		t.Fatalf("newest = %s custom=%v, want 1.10.0 custom", d.Version, d.Custom)
	}
	old, err := lib.Definition(ctx, tn.ID, "acme", "1.0.0")
	if err != nil || old.Version != "1.0.0" {
		t.Fatalf("version 1.0.0: %v %v", old, err)
	}

	// A published version is parsed once; built-in connectors never reach
	// the store.
	before := store.reads.Load()
	for range 3 {
		if _, err := lib.Definition(ctx, tn.ID, "acme", "1.0.0"); err != nil {
			t.Fatal(err)
		}
		if _, err := lib.Definition(ctx, tn.ID, "github", ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := store.reads.Load() - before; n != 0 {
		t.Fatalf("cached and built-in lookups read the store %d times", n)
	}

	// Another tenant sees neither.
	if _, err := lib.Definition(ctx, junction.NewID(), "acme", "1.0.0"); junction.ErrorCode(err) != junction.ENOTFOUND {
		t.Fatalf("other tenant: err = %v, want not_found", err)
	}
	all, err := lib.Definitions(ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range all {
		found = found || d.Key == "acme" && d.Custom && d.Version == "1.10.0"
	}
	if !found || len(all) != len(cat.List())+1 {
		t.Fatalf("Definitions lists %d, acme found %v", len(all), found)
	}
}

func TestVersions(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"1.0.0", "0.1.0", "10.20.30", "1.0.0-beta.1"} {
		if !connector.ValidVersion(s) {
			t.Errorf("ValidVersion(%q) = false", s)
		}
	}
	for _, s := range []string{"", "1", "1.0", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0-a..b", "1.0.x"} {
		if connector.ValidVersion(s) {
			t.Errorf("ValidVersion(%q) = true", s)
		}
	}
	ordered := []string{"0.9.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0", "1.2.0", "1.10.0", "2.0.0"}
	for i := range ordered {
		for j := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := connector.CompareVersions(ordered[i], ordered[j]); got != want {
				t.Errorf("CompareVersions(%s, %s) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

// BenchmarkDefinitionBuiltin compares the lookup every execution makes,
// through the Library, with the catalog's own.
func BenchmarkDefinitionBuiltin(b *testing.B) {
	cat, err := connector.LoadCatalog(connector.Builtin(), "")
	if err != nil {
		b.Fatal(err)
	}
	lib := connector.NewLibrary(cat, nil)
	ctx := context.Background()
	b.Run("Catalog.Get", func(b *testing.B) {
		for b.Loop() {
			if _, err := cat.Get("github"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Library.Definition", func(b *testing.B) {
		var defs connector.Definitions = lib
		for b.Loop() {
			if _, err := defs.Definition(ctx, "tenant", "github", ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}
