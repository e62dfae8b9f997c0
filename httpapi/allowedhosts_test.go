package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"junction"
	"junction/credstore/vault/vaulttest"
)

type hostsJSON struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	AllowedHosts []string `json:"allowed_hosts"`
}

// Allowed hosts are set on create and update, shown by get and list in
// canonical form, checked strictly, and widened only by those who may
// resolve the asset.
func TestAssetAllowedHosts(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		f := e.createFolder(e.admin, "F", "")
		var a hostsJSON
		e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, map[string]any{
			"folder_id": f.ID, "name": "tok", "type": "secret", "value": "allowed-hosts-secret-2f7c",
			"allowed_hosts": []string{"API.example.com", "*.Example.NET.", "api.example.com"},
		}, &a)
		want := []string{"api.example.com", "*.example.net"}
		if !slices.Equal(a.AllowedHosts, want) {
			t.Fatalf("created with %q, want %q", a.AllowedHosts, want)
		}
		path := "/api/v1/assets/" + a.ID
		var got hostsJSON
		e.must(http.StatusOK, "GET", path, e.admin, nil, &got)
		if !slices.Equal(got.AllowedHosts, want) {
			t.Fatalf("read %q", got.AllowedHosts)
		}
		var l list[hostsJSON]
		e.must(http.StatusOK, "GET", "/api/v1/assets?name=tok", e.admin, nil, &l)
		if len(l.Items) != 1 || !slices.Equal(l.Items[0].AllowedHosts, want) {
			t.Fatalf("listed %+v", l.Items)
		}

		t.Run("ErrInvalid", func(t *testing.T) {
			for _, tc := range []struct {
				hosts []string
				field string
			}{
				{[]string{"https://api.example.com"}, "allowed_hosts[0]"},
				{[]string{"api.example.com", "api.example.com/v1"}, "allowed_hosts[1]"},
				{[]string{"api.example.com:443"}, "allowed_hosts[0]"},
				{[]string{"api.*.example.com"}, "allowed_hosts[0]"},
				{[]string{"*.com"}, "allowed_hosts[0]"},
			} {
				p := e.call("PATCH", path, e.admin, map[string]any{"allowed_hosts": tc.hosts}).problem(t)
				if p.Code != junction.EINVALID || p.Field != tc.field {
					t.Errorf("%q: problem %+v, want %s", tc.hosts, p, tc.field)
				}
			}
			p := e.call("POST", "/api/v1/assets", e.admin, map[string]any{
				"folder_id": f.ID, "name": "plain", "type": "text", "value": "x", "allowed_hosts": []string{"a.example.com"},
			}).problem(t)
			if p.Code != junction.EINVALID || p.Field != "allowed_hosts" {
				t.Errorf("text asset: problem %+v", p)
			}
		})

		t.Run("NarrowWithEditWidenWithResolve", func(t *testing.T) {
			_, dev := e.robot("dev", f, junction.RoleAutomationDeveloper)
			// Narrowing: a host below an allowed wildcard, one host dropped.
			e.must(http.StatusOK, "PATCH", path, dev, map[string]any{"allowed_hosts": []string{"a.example.net"}}, &got)
			if !slices.Equal(got.AllowedHosts, []string{"a.example.net"}) {
				t.Fatalf("narrowed to %q", got.AllowedHosts)
			}
			for _, hosts := range [][]string{{"a.example.net", "b.example.net"}, {"*.example.net"}, {}} {
				p := e.call("PATCH", path, dev, map[string]any{"allowed_hosts": hosts}).problem(t)
				if p.Code != junction.EPERMISSIONDENIED || p.Field != "allowed_hosts" {
					t.Errorf("widening to %q: problem %+v", hosts, p)
				}
			}
			// The administrator may resolve, so may lift the restriction.
			var lifted hostsJSON
			e.must(http.StatusOK, "PATCH", path, e.admin, map[string]any{"allowed_hosts": []string{}}, &lifted)
			if lifted.AllowedHosts != nil {
				t.Fatalf("lifted to %q", lifted.AllowedHosts)
			}
			// Unrestricted, anyone who may edit may restrict it.
			e.must(http.StatusOK, "PATCH", path, dev, map[string]any{"allowed_hosts": []string{"api.example.com"}}, nil)
		})
	})
}

// A change of where a connection's requests go (a field in the host of
// its base URL, the proxy) must give its literal secrets again; other
// changes need not.
func TestConnectionDestinationMoves(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	f := e.createFolder(e.admin, "F", "")
	var c junction.Connection
	e.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", e.admin, map[string]any{
		"folder_id": f.ID, "connector": "jira", "name": "jira", "auth_type": "basic",
		"fields": map[string]any{"site": "acme", "email": "bot@acme.example", "api_token": "jira-literal-8c3d",
			"webhook_secret": "jira-webhook-literal-1a2b"},
	}, &c)
	path := "/api/v1/connections/" + c.ID
	for _, body := range []map[string]any{
		{"fields": map[string]any{"site": "evil"}},
		{"fields": map[string]any{"site": "evil", "webhook_secret": "x-1234"}},
		{"proxy_url": "http://proxy.example.com:3128"},
	} {
		p := e.call("PATCH", path, e.admin, body).problem(t)
		if p.Code != junction.EINVALID || p.Field != "fields.api_token" || p.Details["fields"] == nil {
			t.Errorf("%v: problem %+v", body, p)
		}
	}
	var got junction.Connection
	e.must(http.StatusOK, "GET", path, e.admin, nil, &got)
	if got.Fields["site"].Value != "acme" || got.ProxyURL != "" {
		t.Fatalf("changed anyway: %+v", got)
	}
	// Not a destination: the email, the time zone.
	e.must(http.StatusOK, "PATCH", path, e.admin, map[string]any{"fields": map[string]any{"email": "ops@acme.example"}}, nil)
	// The destination with the token given again; the webhook secret,
	// never sent out, may stay.
	e.must(http.StatusOK, "PATCH", path, e.admin, map[string]any{
		"fields": map[string]any{"site": "acme-eu", "api_token": "jira-literal-new-4f4f"}, "proxy_url": "http://proxy.example.com:3128",
	}, &got)
	if got.Fields["site"].Value != "acme-eu" || got.ProxyURL != "http://proxy.example.com:3128" || !got.Fields["webhook_secret"].Set {
		t.Fatalf("after the move %+v", got)
	}
}

// TestSharedSecretKeepsItsHosts: a second asset referring to an external
// secret that another asset restricts must be restricted within the same
// hosts, unless its creator may read the secret anyway; otherwise allowed
// hosts would be one asset away from useless. (The store confines its
// values to a wider list, without which a developer could not refer to
// its secrets at all: TestStoreConfinesReferences.)
func TestSharedSecretKeepsItsHosts(t *testing.T) {
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "role-1", "secret-id-1")
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		cs := e.vaultStore(vs, "corp-vault", "secret-id-1", map[string]any{
			"allowed_hosts": []string{"api.erp.example.com", "api.crm.example.com", "evil.test"}})
		f := e.createFolder(e.admin, "Robots", "")
		dev, devToken := e.createUser(e.admin, "dev")
		e.must(http.StatusOK, "PUT", "/api/v1/folders/"+f.ID+"/members/"+dev.ID, e.admin,
			map[string]any{"roles": []string{junction.RoleAutomationDeveloper}}, nil)
		asset := func(name, external string, hosts ...string) map[string]any {
			b := map[string]any{"folder_id": f.ID, "name": name, "type": "secret", "store_id": cs.ID, "external_name": external}
			if hosts != nil {
				b["allowed_hosts"] = hosts
			}
			return b
		}
		e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, asset("erp", "erp/api-key", "api.erp.example.com"), nil)

		for name, hosts := range map[string][]string{"none": nil, "elsewhere": {"evil.test"}, "more": {"api.erp.example.com", "evil.test"}} {
			r := e.call("POST", "/api/v1/assets", devToken, asset("copy-"+name, "erp/api-key", hosts...))
			if p := r.problem(t); r.status != http.StatusForbidden || p.Field != "allowed_hosts" {
				t.Errorf("a developer's second asset with hosts %v: %d %+v", hosts, r.status, p)
			}
		}
		var within hostsJSON
		e.must(http.StatusCreated, "POST", "/api/v1/assets", devToken, asset("copy-within", "erp/api-key", "api.erp.example.com"), &within)

		// Pointing another asset at the secret afterwards is the same.
		var other hostsJSON
		e.must(http.StatusCreated, "POST", "/api/v1/assets", devToken, asset("other", "crm/api-key"), &other)
		r := e.call("PATCH", "/api/v1/assets/"+other.ID, devToken, map[string]any{"external_name": "erp/api-key"})
		if p := r.problem(t); r.status != http.StatusForbidden || p.Field != "allowed_hosts" {
			t.Errorf("a developer retargets an unrestricted asset at the secret: %d %+v", r.status, p)
		}

		// Whoever may read the secret anyway may refer to it freely.
		e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, asset("admin-copy", "erp/api-key"), nil)
	})
}
