package webui_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"junction"
	"junction/app"
	"junction/credstore/credproxy"
	"junction/credstore/credstoretest"
	"junction/credstore/vault"
)

// proxyKeyPlanted is the shared key of the proxy these tests register; no
// page may show it.
const proxyKeyPlanted = "ui-proxy-shared-key-planted-1732050807"

var proxyPathRE = regexp.MustCompile(`^/credential-proxies/([0-9a-f-]{36})\?`)

// startCredentialsProxy serves the edit tests' Vault through a real
// Credentials Proxy as "team-vault", accepting proxyKeyPlanted.
func (e *editEnv) startCredentialsProxy() *credstoretest.TLSServer {
	e.t.Helper()
	srv, err := credproxy.NewServer(credproxy.ServerOptions{
		Stores: map[string]credproxy.Definition{"team-vault": {Type: vault.TypeName, Config: map[string]string{
			"address": e.vs.URL(), "ca_cert": e.vs.CACertPEM(), "auth_method": "approle", "role_id": "ui-role", "secret_id": storeSecretPlanted}}},
		Types: map[string]junction.CredentialStoreType{vault.TypeName: vault.Type},
		Keys:  []junction.Secret{junction.NewSecret(proxyKeyPlanted)}, Allow: credstoretest.Loopback,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = srv.Close() })
	return credstoretest.NewTLSServer(e.t, srv.Handler(), credstoretest.TLSServerConfig{})
}

func TestProxyPages(t *testing.T) {
	e := newEditEnv(t)
	ctx := context.Background()
	ps := e.startCredentialsProxy()
	form := func(extra url.Values) url.Values {
		f := url.Values{"name": {"dc-east"}, "urls": {ps.URL() + "\n"}, "ca_cert": {ps.CACertPEM()}}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}

	resp, body := e.send("/credential-proxies", form(url.Values{"key": {proxyKeyPlanted}}))
	wantStatus(t, "register: "+body, resp, http.StatusSeeOther)
	m := proxyPathRE.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		t.Fatalf("register redirects to %s", resp.Header.Get("Location"))
	}
	page := "/credential-proxies/" + m[1]

	t.Run("List", func(t *testing.T) {
		body := e.page("/credential-proxies", http.StatusOK)
		for _, want := range []string{`href="` + page + `"`, "<code>" + ps.URL() + "</code>", "<td>shared key</td>",
			`id="proxy-form"`, `name="key" value=""`, `type="password" id="proxy-key"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the list has no %s", want)
			}
		}
		if body := e.page("/credential-proxies?q=DC-E", http.StatusOK); !strings.Contains(body, page) {
			t.Error("a search by name does not find the proxy")
		}
		if body := e.page("/credential-proxies?q=nowhere", http.StatusOK); strings.Contains(body, page) {
			t.Error("a search that matches nothing lists the proxy")
		}
		if body := e.page("/credential-stores", http.StatusOK); !strings.Contains(body, `href="/credential-proxies"`) {
			t.Error("the stores page does not link the proxies")
		}
	})

	t.Run("RegisterRefused", func(t *testing.T) {
		resp, body := e.send("/credential-proxies", form(url.Values{"name": {"dc-west"}, "key": {proxyKeyPlanted[:20]}}))
		wantStatus(t, "a short key", resp, http.StatusUnprocessableEntity)
		if !regexp.MustCompile(`id="proxy-key"[^>]*>\s*<p class="error">must be at least 32 characters[^<]*<code>validation_failed</code>`).MatchString(body) {
			t.Fatalf("no problem beside the key field: %s", body)
		}
		if !strings.Contains(body, `value="dc-west"`) || strings.Contains(body, proxyKeyPlanted[:20]) {
			t.Fatal("the refused form lost the name, or shows the key typed")
		}
	})

	t.Run("Test", func(t *testing.T) {
		body := e.page(page, http.StatusOK)
		for _, want := range []string{`id="proxy-edit-form"`, `id="test-proxy"`, `id="delete-proxy"`, `name="key" value=""`,
			`id="remove-key"`, "<code>key</code></td><td>[secret, set]"} {
			if !strings.Contains(body, want) {
				t.Errorf("the proxy page has no %s", want)
			}
		}
		resp, body := e.send(page+"/test", nil)
		wantStatus(t, "test", resp, http.StatusOK)
		if !strings.Contains(body, "Proxy test passed") {
			t.Fatalf("test: %s", body)
		}
	})

	t.Run("EditKeepsKey", func(t *testing.T) {
		resp, _ := e.send(page+"/edit", form(url.Values{"name": {"dc-east-2"}, "key": {""}}))
		wantStatus(t, "edit", resp, http.StatusSeeOther)
		cp, err := e.app.GetCredentialProxy(ctx, e.admin, m[1])
		if err != nil || cp.Name != "dc-east-2" || !slices.Equal(cp.SecretKeys, []string{"key"}) {
			t.Fatalf("after the edit: %+v %v", cp, err)
		}
		if res, err := e.app.TestCredentialProxy(ctx, e.admin, m[1]); err != nil || !res.OK {
			t.Fatalf("the proxy refuses Junction after an edit left the key empty: %+v %v", res, err)
		}
	})

	t.Run("RemoveKeyRefused", func(t *testing.T) {
		resp, body := e.send(page+"/edit", form(url.Values{"name": {"dc-east-2"}, "remove_key": {"on"}}))
		wantStatus(t, "remove the only credential", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `<p class="error">is required unless a client certificate is set`) {
			t.Fatalf("no problem beside the key: %s", body)
		}
		if cp, _ := e.app.GetCredentialProxy(ctx, e.admin, m[1]); !slices.Equal(cp.SecretKeys, []string{"key"}) {
			t.Fatalf("a refused edit removed the key: %+v", cp)
		}
	})

	t.Run("TestFails", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := "https://" + ln.Addr().String()
		_ = ln.Close()
		resp, _ := e.send(page+"/edit", form(url.Values{"name": {"dc-east-2"}, "urls": {down}}))
		wantStatus(t, "edit the address", resp, http.StatusSeeOther)
		_, body := e.send(page+"/test", nil)
		if !strings.Contains(body, "Proxy test failed") || !strings.Contains(body, "<code>credential_store_unavailable</code>") {
			t.Fatalf("a failed test shows no code: %s", body)
		}
		resp, _ = e.send(page+"/edit", form(url.Values{"name": {"dc-east-2"}}))
		wantStatus(t, "edit the address back", resp, http.StatusSeeOther)
	})

	var storeID string
	t.Run("StoreThroughProxy", func(t *testing.T) {
		body := e.page("/credential-stores?type=credentials-proxy", http.StatusOK)
		if !strings.Contains(body, `<option value="`+m[1]+`" >dc-east-2</option>`) {
			t.Fatalf("the store form offers no proxy: %s", body)
		}
		resp, body := e.send("/credential-stores", url.Values{"type": {"credentials-proxy"}, "name": {"vault-via-dc-east"},
			"proxy_id": {m[1]}, "config.store": {"team-vault"}})
		wantStatus(t, "create a store through the proxy: "+body, resp, http.StatusSeeOther)
		list, _ := e.app.ListCredentialStores(ctx, e.admin, junction.Page{Limit: junction.MaxPageSize})
		for _, s := range list.Items {
			if s.Name == "vault-via-dc-east" {
				storeID = s.ID
				if s.ProxyID != m[1] {
					t.Fatalf("the store names proxy %q", s.ProxyID)
				}
			}
		}
		if res, err := e.app.TestCredentialStore(ctx, e.admin, storeID); err != nil || !res.OK {
			t.Fatalf("the store through the proxy: %+v %v", res, err)
		}
		body = e.page("/credential-stores/"+storeID, http.StatusOK)
		if !strings.Contains(body, `<option value="`+m[1]+`" selected>dc-east-2</option>`) || !strings.Contains(body, `href="`+page+`"`) {
			t.Fatalf("the store page does not show its proxy: %s", body)
		}
		resp, _ = e.send("/credential-stores/"+storeID+"/edit", url.Values{"name": {"vault-via-dc-east"}, "proxy_id": {m[1]},
			"config.store": {"team-vault"}})
		wantStatus(t, "edit a store through the proxy", resp, http.StatusSeeOther)
	})

	t.Run("DeleteInUse", func(t *testing.T) {
		body := e.page(page+"/delete", http.StatusOK)
		if !strings.Contains(body, `action="`+page+`/delete"`) {
			t.Fatalf("confirmation: %s", body)
		}
		resp, body := e.send(page+"/delete", nil)
		wantStatus(t, "delete a proxy in use", resp, http.StatusConflict)
		if !strings.Contains(body, `id="problem"`) || !strings.Contains(body, "<code>conflict</code>") {
			t.Fatalf("the conflict is not shown: %s", body)
		}
	})

	t.Run("NoCSRF", func(t *testing.T) {
		for _, path := range []string{"/credential-proxies", page + "/edit", page + "/test", page + "/delete"} {
			resp, _ := e.do(e.client, "POST", path, url.Values{"name": {"x"}})
			wantStatus(t, "POST "+path+" without the token", resp, http.StatusForbidden)
		}
	})

	t.Run("ReadOnlyUser", func(t *testing.T) {
		if _, err := e.app.CreateRole(ctx, e.admin, app.CreateRoleInput{Name: "Store Reader",
			Permissions: []junction.Permission{junction.PermCredentialStoresView}}); err != nil {
			t.Fatal(err)
		}
		c, token := e.signInAs("rita", "Store Reader")
		resp, body := e.do(c, "GET", page, nil)
		wantStatus(t, "a reader's proxy page", resp, http.StatusOK)
		noSecret(t, "reader's page", body)
		for _, offered := range []string{"proxy-edit-form", "test-proxy", "delete-proxy"} {
			if strings.Contains(body, offered) {
				t.Errorf("a reader is offered %s", offered)
			}
		}
		if _, body := e.do(c, "GET", "/credential-proxies", nil); strings.Contains(body, `id="proxy-form"`) {
			t.Error("a reader is offered the register form")
		}
		for _, path := range []string{page + "/edit", page + "/test", page + "/delete"} {
			resp, _ := e.postAs(c, token, path, url.Values{"name": {"taken-over"}})
			wantStatus(t, "a reader's POST "+path, resp, http.StatusForbidden)
		}
		viewer, _ := e.signInAs("vera", "Viewer")
		resp, _ = e.do(viewer, "GET", "/credential-proxies", nil)
		wantStatus(t, "a Viewer's proxies", resp, http.StatusForbidden)
	})

	t.Run("Delete", func(t *testing.T) {
		if err := e.app.DeleteCredentialStore(ctx, e.admin, storeID); err != nil {
			t.Fatal(err)
		}
		resp, _ := e.send(page+"/delete", nil)
		wantStatus(t, "delete", resp, http.StatusSeeOther)
		e.page(page, http.StatusNotFound)
	})
}
