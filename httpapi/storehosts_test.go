package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"junction"
	"junction/credstore/vault/vaulttest"
)

// TestStoreConfinesReferences: referring to a secret already in a vault
// lets its value go wherever the asset's connections point, so unless the
// store confines where its values may go, only someone who may read the
// secret (Assets.Resolve) may refer to it. Bringing one's own value needs
// no more than Assets.Create. Once an administrator gives the store
// allowed hosts, developers may refer to its secrets, within those hosts.
func TestStoreConfinesReferences(t *testing.T) {
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "role-1", "secret-id-1")
	vs.Put("secret/apps/erp/api-key", map[string]string{"value": "store-hosts-planted-5c1d"})
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		cs := e.vaultStore(vs, "corp-vault", "secret-id-1", nil)
		f := e.createFolder(e.admin, "Robots", "")
		_, dev := e.robot("dev", f, junction.RoleAutomationDeveloper)
		ref := func(name string, hosts ...string) map[string]any {
			b := map[string]any{"folder_id": f.ID, "name": name, "type": "secret", "store_id": cs.ID, "external_name": "erp/api-key"}
			if hosts != nil {
				b["allowed_hosts"] = hosts
			}
			return b
		}

		// An unconfined store: a developer may not refer to what is there,
		// even restricting the asset to hosts of their own choosing.
		for _, hosts := range [][]string{nil, {"evil.test"}} {
			r := e.call("POST", "/api/v1/assets", dev, ref("mine", hosts...))
			if p := r.problem(t); r.status != http.StatusForbidden || p.Code != junction.EPERMISSIONDENIED || p.Field != "external_name" {
				t.Fatalf("a developer refers to an existing secret (hosts %v): %d %+v", hosts, r.status, p)
			}
		}
		// Bringing a value of one's own is fine, and so is an
		// administrator's reference.
		var own hostsJSON
		e.must(http.StatusCreated, "POST", "/api/v1/assets", dev, map[string]any{
			"folder_id": f.ID, "name": "own", "type": "secret", "store_id": cs.ID, "external_name": "dev/own-key",
			"value": "dev-own-value-7a2b",
		}, &own)
		e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, ref("admins"), nil)
		// Pointing one's own asset at the existing secret is a reference too.
		r := e.call("PATCH", "/api/v1/assets/"+own.ID, dev, map[string]any{"external_name": "erp/api-key"})
		if p := r.problem(t); r.status != http.StatusForbidden || p.Field != "external_name" {
			t.Fatalf("a developer retargets an asset at an existing secret: %d %+v", r.status, p)
		}

		// Only who may edit stores confines one; the list is canonical.
		r = e.call("PATCH", "/api/v1/credential-stores/"+cs.ID, dev, map[string]any{"allowed_hosts": []string{"evil.test"}})
		if r.status != http.StatusForbidden {
			t.Fatalf("a developer confines the store: %d", r.status)
		}
		var confined struct {
			AllowedHosts []string `json:"allowed_hosts"`
		}
		e.must(http.StatusOK, "PATCH", "/api/v1/credential-stores/"+cs.ID, e.admin,
			map[string]any{"allowed_hosts": []string{"API.erp.example.com.", "*.erp.example.net"}}, &confined)
		want := []string{"api.erp.example.com", "*.erp.example.net"}
		if !slices.Equal(confined.AllowedHosts, want) {
			t.Fatalf("store confined to %q, want %q", confined.AllowedHosts, want)
		}
		e.must(http.StatusOK, "GET", "/api/v1/credential-stores/"+cs.ID, e.admin, nil, &confined)
		if !slices.Equal(confined.AllowedHosts, want) {
			t.Fatalf("store read back with %q", confined.AllowedHosts)
		}

		// Confined: a developer may refer, within the store's hosts only.
		e.must(http.StatusCreated, "POST", "/api/v1/assets", dev, ref("mine"), nil)
		e.must(http.StatusCreated, "POST", "/api/v1/assets", dev, ref("narrower", "a.erp.example.net"), nil)
		r = e.call("POST", "/api/v1/assets", dev, ref("wider", "api.erp.example.com", "evil.test"))
		if p := r.problem(t); r.status != http.StatusUnprocessableEntity || p.Code != junction.EINVALID || p.Field != "allowed_hosts" {
			t.Fatalf("an asset wider than its store: %d %+v", r.status, p)
		}

		// Lifting the confinement needs the store's edit right too, and
		// closes references again.
		confined.AllowedHosts = nil
		e.must(http.StatusOK, "PATCH", "/api/v1/credential-stores/"+cs.ID, e.admin, map[string]any{"allowed_hosts": []string{}}, &confined)
		if confined.AllowedHosts != nil {
			t.Fatalf("lifted to %q", confined.AllowedHosts)
		}
		if r := e.call("POST", "/api/v1/assets", dev, ref("again")); r.status != http.StatusForbidden {
			t.Fatalf("a reference after the confinement was lifted: %d", r.status)
		}
	})
}
