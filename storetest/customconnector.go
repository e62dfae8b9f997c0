package storetest

import (
	"reflect"
	"testing"

	"junction"
)

func testCustomConnectors(t *testing.T, open Open) {
	newConnector := func(tenantID, key string) *junction.CustomConnector {
		return &junction.CustomConnector{TenantID: tenantID, Key: key, DisplayName: "Acme " + key,
			Draft: "key: " + key + "\n", SourceFormat: "openapi-3.0", ImportNotes: `[{"item":"Body","status":"warning"}]`,
			CreatedBy: junction.NewID(), CreatedAt: base, UpdatedAt: base}
	}
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		c := newConnector(tn.ID, "acme-crm")
		must(t, s.CreateCustomConnector(ctx, c))
		got, err := s.GetCustomConnector(ctx, tn.ID, c.ID)
		must(t, err)
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("read %+v, want %+v", got, c)
		}
		byKey, err := s.GetCustomConnectorByKey(ctx, tn.ID, "acme-crm")
		must(t, err)
		if byKey.ID != c.ID {
			t.Fatalf("by key read %s, want %s", byKey.ID, c.ID)
		}
		must(t, s.CreateCustomConnector(ctx, newConnector(tn.ID, "a-first")))
		list, err := s.ListCustomConnectors(ctx, tn.ID)
		must(t, err)
		if len(list) != 2 || list[0].Key != "a-first" || list[1].Key != "acme-crm" {
			t.Fatalf("list = %+v, want a-first then acme-crm", list)
		}

		upd := *c
		upd.DisplayName, upd.Draft, upd.Key, upd.ImportNotes = "Acme CRM", "key: acme-crm2\n", "acme-crm2", ""
		upd.CreatedBy, upd.UpdatedAt = "", base.Add(1e9)
		must(t, s.UpdateCustomConnector(ctx, &upd))
		got, err = s.GetCustomConnector(ctx, tn.ID, c.ID)
		must(t, err)
		if got.DisplayName != "Acme CRM" || got.Draft != upd.Draft || got.Key != "acme-crm2" || got.ImportNotes != "[]" ||
			!got.UpdatedAt.Equal(upd.UpdatedAt) || got.CreatedBy != c.CreatedBy || !got.CreatedAt.Equal(base) {
			t.Fatalf("after update read %+v", got)
		}
	})
	t.Run("Versions", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		c := newConnector(tn.ID, "acme-crm")
		must(t, s.CreateCustomConnector(ctx, c))
		v1 := &junction.ConnectorVersion{TenantID: tn.ID, ConnectorID: c.ID, Version: "1.0.0", Definition: "v1",
			PublishedAt: base, PublishedBy: "ann"}
		must(t, s.CreateConnectorVersion(ctx, v1))
		v2 := &junction.ConnectorVersion{TenantID: tn.ID, ConnectorID: c.ID, Version: "1.1.0", Definition: "v2",
			PublishedAt: base.Add(1e9)}
		must(t, s.CreateConnectorVersion(ctx, v2))
		got, err := s.GetConnectorVersion(ctx, tn.ID, "acme-crm", "1.0.0")
		must(t, err)
		if !reflect.DeepEqual(got, v1) {
			t.Fatalf("read %+v, want %+v", got, v1)
		}
		list, err := s.ListConnectorVersions(ctx, tn.ID, c.ID)
		must(t, err)
		if len(list) != 2 || list[0].Version != "1.0.0" || list[1].Version != "1.1.0" {
			t.Fatalf("versions = %+v", list)
		}
		again := *v1
		again.Definition = "changed"
		wantCode(t, s.CreateConnectorVersion(ctx, &again), junction.ECONFLICT)
		got, err = s.GetConnectorVersion(ctx, tn.ID, "acme-crm", "1.0.0")
		must(t, err)
		if got.Definition != "v1" {
			t.Fatalf("a published version changed: %q", got.Definition)
		}
		_, err = s.GetConnectorVersion(ctx, tn.ID, "acme-crm", "9.9.9")
		wantCode(t, err, junction.ENOTFOUND)

		must(t, s.DeleteCustomConnector(ctx, tn.ID, c.ID))
		list, err = s.ListConnectorVersions(ctx, tn.ID, c.ID)
		must(t, err)
		if len(list) != 0 {
			t.Fatalf("versions outlived their connector: %+v", list)
		}
		wantCode(t, s.CreateConnectorVersion(ctx, &junction.ConnectorVersion{TenantID: tn.ID, ConnectorID: c.ID,
			Version: "2.0.0", Definition: "x"}), junction.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		other := mustTenant(t, s, "other")
		must(t, s.CreateCustomConnector(ctx, newConnector(tn.ID, "acme-crm")))
		wantCode(t, s.CreateCustomConnector(ctx, newConnector(tn.ID, "acme-crm")), junction.ECONFLICT)
		// Keys are per tenant.
		must(t, s.CreateCustomConnector(ctx, newConnector(other.ID, "acme-crm")))
		second := newConnector(tn.ID, "second")
		must(t, s.CreateCustomConnector(ctx, second))
		second.Key = "acme-crm"
		wantCode(t, s.UpdateCustomConnector(ctx, second), junction.ECONFLICT)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		other := mustTenant(t, s, "other")
		c := newConnector(tn.ID, "acme-crm")
		must(t, s.CreateCustomConnector(ctx, c))
		_, err := s.GetCustomConnector(ctx, other.ID, c.ID)
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.GetCustomConnectorByKey(ctx, other.ID, "acme-crm")
		wantCode(t, err, junction.ENOTFOUND)
		must(t, s.CreateConnectorVersion(ctx, &junction.ConnectorVersion{TenantID: tn.ID, ConnectorID: c.ID, Version: "1.0.0", Definition: "x"}))
		_, err = s.GetConnectorVersion(ctx, other.ID, "acme-crm", "1.0.0")
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.UpdateCustomConnector(ctx, &junction.CustomConnector{TenantID: other.ID, ID: c.ID, Key: "x", DisplayName: "x"}), junction.ENOTFOUND)
		wantCode(t, s.DeleteCustomConnector(ctx, other.ID, c.ID), junction.ENOTFOUND)
		list, err := s.ListCustomConnectors(ctx, other.ID)
		must(t, err)
		if len(list) != 0 {
			t.Fatalf("another tenant's connectors listed: %+v", list)
		}
	})
}
