package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"junction"
	"junction/app"
	"junction/credstore/credstoretest"
	"junction/credstore/vault/vaulttest"
	"junction/httpapi/httpapitest"
)

// storeSecretPlanted is the vault login of the stores these tests make;
// no page may show it.
const storeSecretPlanted = "ui-edit-approle-secret-planted-2718281828"

// assetSecretPlanted is the value of the database asset these tests make.
const assetSecretPlanted = "ui-edit-asset-value-planted-1414213562"

// editEnv is the whole server with the UI, a Vault test server the
// stores log in to, and a check that no page shows a planted secret.
type editEnv struct {
	*fullEnv
	vs *vaulttest.Server
}

func newEditEnv(t *testing.T) *editEnv {
	t.Helper()
	e := &editEnv{fullEnv: newFullEnv(t, httpapitest.Options{StoreAllow: credstoretest.Loopback})}
	e.vs = vaulttest.New(t, vaulttest.Options{})
	e.vs.SetAppRole("approle", "ui-role", storeSecretPlanted)
	t.Cleanup(func() {
		for _, s := range []string{storeSecretPlanted, assetSecretPlanted, proxyKeyPlanted} {
			if strings.Contains(e.s.Logs(), s) {
				t.Error("the server log holds a planted secret")
			}
		}
	})
	return e
}

// page fetches a page as the administrator and refuses one that shows a
// planted secret.
func (e *editEnv) page(path string, want int) string {
	e.t.Helper()
	return noSecret(e.t, "GET "+path, e.get(path, want))
}

// send posts a form as the administrator and refuses an answer that
// shows a planted secret.
func (e *editEnv) send(path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	resp, body := e.post(path, form)
	return resp, noSecret(e.t, "POST "+path, body)
}

func noSecret(t *testing.T, what, body string) string {
	t.Helper()
	for _, s := range []string{storeSecretPlanted, assetSecretPlanted, proxyKeyPlanted} {
		if strings.Contains(body, s) {
			t.Fatalf("%s: the page holds a planted secret", what)
		}
	}
	return body
}

// createStore adds a Vault store through the UI's form and returns it.
func (e *editEnv) createStore(name string, hosts string) *app.CredentialStoreView {
	e.t.Helper()
	resp, body := e.send("/credential-stores", url.Values{"type": {"hashicorp-vault"}, "name": {name},
		"config.address": {e.vs.URL()}, "config.ca_cert": {e.vs.CACertPEM()}, "config.auth_method": {"approle"},
		"config.role_id": {"ui-role"}, "config.secret_id": {storeSecretPlanted}, "allowed_hosts": {hosts}})
	wantStatus(e.t, "create a store: "+body, resp, http.StatusSeeOther)
	list, err := e.app.ListCredentialStores(context.Background(), e.admin, junction.Page{Limit: junction.MaxPageSize})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range list.Items {
		if s.Name == name {
			return s
		}
	}
	e.t.Fatalf("no store %s", name)
	return nil
}

func TestStoreEditPages(t *testing.T) {
	e := newEditEnv(t)
	ctx := context.Background()
	s := e.createStore("corp-vault", "api.example.com\n\n files.example.com \n")
	page := "/credential-stores/" + s.ID
	if !slices.Equal(s.AllowedHosts, []string{"api.example.com", "files.example.com"}) {
		t.Fatalf("the create form's hosts: %v", s.AllowedHosts)
	}

	t.Run("Show", func(t *testing.T) {
		body := e.page("/credential-stores?type=hashicorp-vault", http.StatusOK)
		if !strings.Contains(body, `href="`+page+`"`) || !strings.Contains(body, `id="store-allowed-hosts"`) {
			t.Fatalf("the list links no store page or has no hosts field: %s", body)
		}
		body = e.page(page, http.StatusOK)
		for _, want := range []string{`id="store-edit-form"`, `id="delete-store"`, "<code>secret_id</code></td><td>[secret, set]",
			"<code>api.example.com</code>", "<code>role_id</code></td><td>ui-role", `name="config.secret_id" value=""`} {
			if !strings.Contains(body, want) {
				t.Errorf("the store page has no %s", want)
			}
		}
	})

	t.Run("Edit", func(t *testing.T) {
		resp, _ := e.send(page+"/edit", url.Values{"name": {"corp-vault-2"}, "config.address": {e.vs.URL()},
			"config.ca_cert": {e.vs.CACertPEM()}, "config.auth_method": {"approle"}, "config.role_id": {"ui-role"},
			"config.secret_id": {""}, "allowed_hosts": {"api.example.com"}, "proxy_url": {"http://proxy.example.com:3128"},
			"read_only": {"on"}})
		wantStatus(t, "edit", resp, http.StatusSeeOther)
		got, err := e.app.GetCredentialStore(ctx, e.admin, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "corp-vault-2" || !got.ReadOnly || got.ProxyURL != "http://proxy.example.com:3128" ||
			!slices.Equal(got.AllowedHosts, []string{"api.example.com"}) || !slices.Equal(got.SecretKeys, []string{"secret_id"}) {
			t.Fatalf("after the edit: %+v", got)
		}
		body := e.page(page, http.StatusOK)
		if !strings.Contains(body, `id="store-read-only"`) || !strings.Contains(body, "http://proxy.example.com:3128") {
			t.Fatalf("the page does not show the edit: %s", body)
		}
	})

	t.Run("EditKeepsSecret", func(t *testing.T) {
		// The proxy would stand between Junction and the vault; without it
		// the store logs in with the secret it kept.
		resp, _ := e.send(page+"/edit", url.Values{"name": {"corp-vault-2"}, "config.address": {e.vs.URL()},
			"config.ca_cert": {e.vs.CACertPEM()}, "config.auth_method": {"approle"}, "config.role_id": {"ui-role"},
			"allowed_hosts": {"api.example.com"}, "read_only": {"on"}})
		wantStatus(t, "edit", resp, http.StatusSeeOther)
		res, err := e.app.TestCredentialStore(ctx, e.admin, s.ID)
		if err != nil || !res.OK {
			t.Fatalf("the store does not log in after an edit left its secret empty: %+v %v", res, err)
		}
	})

	t.Run("ClearSecret", func(t *testing.T) {
		// Removing the only login the store has is refused by its type,
		// and the sealed secret stays.
		resp, body := e.send(page+"/edit", url.Values{"name": {"corp-vault-2"}, "config.address": {e.vs.URL()},
			"config.ca_cert": {e.vs.CACertPEM()}, "config.auth_method": {"approle"}, "config.role_id": {"ui-role"},
			"clear.secret_id": {"on"}, "allowed_hosts": {"api.example.com"}, "read_only": {"on"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `<p class="error">`) {
			t.Fatalf("clearing the login: %d %s", resp.StatusCode, body)
		}
		if got, _ := e.app.GetCredentialStore(ctx, e.admin, s.ID); !slices.Equal(got.SecretKeys, []string{"secret_id"}) {
			t.Fatalf("a refused edit removed the secret: %+v", got)
		}
		if !strings.Contains(e.page(page, http.StatusOK), `id="clear.secret_id"`) {
			t.Fatal("no way to remove a secret that is set")
		}
	})

	t.Run("EditRefused", func(t *testing.T) {
		resp, body := e.send(page+"/edit", url.Values{"name": {"corp-vault-2"}, "config.address": {e.vs.URL()},
			"config.auth_method": {"approle"}, "config.role_id": {"ui-role"}, "config.secret_id": {storeSecretPlanted},
			"proxy_url": {"http://user:pw@proxy.example.com"}, "allowed_hosts": {"typed.example.com"}})
		wantStatus(t, "bad proxy", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `<p class="error">must not carry a user name or password`) || !strings.Contains(body, "typed.example.com") {
			t.Fatalf("no problem beside the proxy field, or the form lost what was typed: %s", body)
		}
		if strings.Contains(body, "user:pw@") {
			t.Fatal("the form shows the proxy password it refused")
		}
		if got, _ := e.app.GetCredentialStore(ctx, e.admin, s.ID); got.ProxyURL != "" || !got.ReadOnly {
			t.Fatalf("a refused edit changed the store: %+v", got)
		}
	})

	t.Run("SwitchLogin", func(t *testing.T) {
		resp, _ := e.send(page+"/edit", url.Values{"name": {"corp-vault-2"}, "config.address": {e.vs.URL()},
			"config.ca_cert": {e.vs.CACertPEM()}, "config.auth_method": {"token"}, "config.token": {storeSecretPlanted + "-token"},
			"clear.secret_id": {"on"}, "allowed_hosts": {"api.example.com"}, "read_only": {"on"}})
		wantStatus(t, "switch to a token", resp, http.StatusSeeOther)
		if got, _ := e.app.GetCredentialStore(ctx, e.admin, s.ID); !slices.Equal(got.SecretKeys, []string{"token"}) || got.Config["role_id"] != "" {
			t.Fatalf("after switching the login: %+v", got)
		}
	})

	t.Run("DeleteInUse", func(t *testing.T) {
		a, err := e.app.CreateAsset(ctx, e.admin, app.CreateAssetInput{FolderID: e.folder.ID, Name: "erp-login",
			Type: junction.AssetSecret, StoreID: s.ID, ExternalName: "apps/erp"})
		if err != nil {
			t.Fatal(err)
		}
		body := e.page(page+"/delete", http.StatusOK)
		if !strings.Contains(body, `id="confirm"`) || !strings.Contains(body, `action="`+page+`/delete"`) {
			t.Fatalf("confirmation: %s", body)
		}
		resp, body := e.send(page+"/delete", nil)
		wantStatus(t, "delete a used store", resp, http.StatusConflict)
		if !strings.Contains(body, `id="problem"`) || !strings.Contains(body, "still used by 1 asset") || !strings.Contains(body, "<code>conflict</code>") {
			t.Fatalf("the conflict is not shown: %s", body)
		}
		if err := e.app.DeleteAsset(ctx, e.admin, a.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("NoCSRF", func(t *testing.T) {
		resp, _ := e.do(e.client, "POST", page+"/delete", url.Values{})
		wantStatus(t, "delete without the token", resp, http.StatusForbidden)
		resp, _ = e.do(e.client, "POST", page+"/edit", url.Values{"name": {"x"}})
		wantStatus(t, "edit without the token", resp, http.StatusForbidden)
	})

	t.Run("Viewer", func(t *testing.T) {
		viewer, token := e.signInAs("vera", "Viewer")
		resp, body := e.do(viewer, "GET", page, nil)
		if resp.StatusCode != http.StatusForbidden || strings.Contains(body, "store-edit-form") {
			t.Fatalf("a Viewer's store page: %d", resp.StatusCode)
		}
		resp, _ = e.postAs(viewer, token, page+"/delete", nil)
		wantStatus(t, "a Viewer's delete", resp, http.StatusForbidden)
		resp, _ = e.postAs(viewer, token, page+"/edit", url.Values{"name": {"taken-over"}})
		wantStatus(t, "a Viewer's edit", resp, http.StatusForbidden)
	})

	t.Run("BuiltIn", func(t *testing.T) {
		list, _ := e.app.ListCredentialStores(ctx, e.admin, junction.Page{Limit: junction.MaxPageSize})
		for _, st := range list.Items {
			if st.BuiltIn {
				body := e.page("/credential-stores/"+st.ID, http.StatusOK)
				if strings.Contains(body, "store-edit-form") || strings.Contains(body, "delete-store") {
					t.Fatal("the database store offers edit or delete")
				}
			}
		}
	})

	t.Run("Delete", func(t *testing.T) {
		resp, _ := e.send(page+"/delete", nil)
		wantStatus(t, "delete", resp, http.StatusSeeOther)
		e.page(page, http.StatusNotFound)
	})
}

func TestAssetEditPages(t *testing.T) {
	e := newEditEnv(t)
	ctx := context.Background()
	v := junction.NewSecret(assetSecretPlanted)
	db, err := e.app.CreateAsset(ctx, e.admin, app.CreateAssetInput{FolderID: e.folder.ID, Name: "db-password",
		Type: junction.AssetSecret, Value: &v})
	if err != nil {
		t.Fatal(err)
	}
	resolved := func(id string) string {
		t.Helper()
		res, err := e.app.ResolveAsset(ctx, e.admin, id, true)
		if err != nil {
			t.Fatal(err)
		}
		return res.Value.Reveal()
	}

	t.Run("List", func(t *testing.T) {
		body := e.page("/assets", http.StatusOK)
		for _, want := range []string{`href="/assets/` + db.ID + `/edit"`, `href="/assets/` + db.ID + `/delete"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the list has no %s", want)
			}
		}
	})

	t.Run("EditKeepsValue", func(t *testing.T) {
		body := e.page("/assets/"+db.ID+"/edit", http.StatusOK)
		if !strings.Contains(body, `id="asset-edit-form"`) || !strings.Contains(body, `name="value" autocomplete="off"`) {
			t.Fatalf("edit form: %s", body)
		}
		resp, _ := e.send("/assets/"+db.ID+"/edit", url.Values{"name": {"db-password"}, "description": {"the ERP database"},
			"value": {""}, "allowed_hosts": {"db.example.com\n"}})
		wantStatus(t, "edit", resp, http.StatusSeeOther)
		got, err := e.app.GetAsset(ctx, e.admin, db.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Description != "the ERP database" || !slices.Equal(got.AllowedHosts, []string{"db.example.com"}) {
			t.Fatalf("after the edit: %+v", got)
		}
		if resolved(db.ID) != assetSecretPlanted {
			t.Fatal("an edit with the value left empty changed the value")
		}
	})

	t.Run("EditValue", func(t *testing.T) {
		resp, _ := e.send("/assets/"+db.ID+"/edit", url.Values{"name": {"db-password"}, "description": {"the ERP database"},
			"value": {"second-value"}, "allowed_hosts": {"db.example.com"}})
		wantStatus(t, "edit", resp, http.StatusSeeOther)
		if resolved(db.ID) != "second-value" {
			t.Fatal("the new value was not sealed")
		}
	})

	t.Run("EditRefused", func(t *testing.T) {
		resp, body := e.send("/assets/"+db.ID+"/edit", url.Values{"name": {"db-password"}, "description": {"typed, then refused"},
			"value": {assetSecretPlanted}, "allowed_hosts": {"https://db.example.com/path"}})
		wantStatus(t, "bad host", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `id="asset-allowed-hosts"`) || !strings.Contains(body, "typed, then refused") ||
			!strings.Contains(body, `<p class="error">`) || !strings.Contains(body, "<code>validation_failed</code>") {
			t.Fatalf("no problem beside the hosts, or the form lost what was typed: %s", body)
		}
		if got, _ := e.app.GetAsset(ctx, e.admin, db.ID); got.Description != "the ERP database" || resolved(db.ID) != "second-value" {
			t.Fatalf("a refused edit changed the asset: %+v", got)
		}
	})

	t.Run("Text", func(t *testing.T) {
		a, err := e.app.CreateAsset(ctx, e.admin, app.CreateAssetInput{FolderID: e.folder.ID, Name: "region",
			Type: junction.AssetText, Value: ptr(junction.NewSecret("eu-west"))})
		if err != nil {
			t.Fatal(err)
		}
		if body := e.page("/assets/"+a.ID+"/edit", http.StatusOK); !strings.Contains(body, `value="eu-west"`) {
			t.Fatalf("the text value is not in the form: %s", body)
		}
		resp, _ := e.send("/assets/"+a.ID+"/edit", url.Values{"name": {"region"}, "value": {"us-east"}})
		wantStatus(t, "edit", resp, http.StatusSeeOther)
		if got, _ := e.app.GetAsset(ctx, e.admin, a.ID); string(got.Value) != `"us-east"` {
			t.Fatalf("text value: %s", got.Value)
		}
	})

	t.Run("External", func(t *testing.T) {
		s := e.createStore("team-vault", "")
		a, err := e.app.CreateAsset(ctx, e.admin, app.CreateAssetInput{FolderID: e.folder.ID, Name: "erp-token",
			Type: junction.AssetSecret, StoreID: s.ID, ExternalName: "apps/erp"})
		if err != nil {
			t.Fatal(err)
		}
		body := e.page("/assets/"+a.ID+"/edit", http.StatusOK)
		if !strings.Contains(body, `value="apps/erp"`) || strings.Contains(body, `id="asset-value"`) {
			t.Fatalf("external asset form: %s", body)
		}
		resp, _ := e.send("/assets/"+a.ID+"/edit", url.Values{"name": {"erp-token"}, "external_name": {"apps/erp-2"},
			"allowed_hosts": {"erp.example.com"}})
		wantStatus(t, "edit", resp, http.StatusSeeOther)
		if got, _ := e.app.GetAsset(ctx, e.admin, a.ID); got.ExternalName != "apps/erp-2" || !slices.Equal(got.AllowedHosts, []string{"erp.example.com"}) {
			t.Fatalf("after the edit: %+v", got)
		}
	})

	t.Run("NoCSRF", func(t *testing.T) {
		resp, _ := e.do(e.client, "POST", "/assets/"+db.ID+"/delete", url.Values{})
		wantStatus(t, "delete without the token", resp, http.StatusForbidden)
		resp, _ = e.do(e.client, "POST", "/assets/"+db.ID+"/edit", url.Values{"name": {"x"}})
		wantStatus(t, "edit without the token", resp, http.StatusForbidden)
	})

	t.Run("Viewer", func(t *testing.T) {
		viewer, token := e.signInAs("vita", "Viewer")
		_, body := e.do(viewer, "GET", "/assets", nil)
		if !strings.Contains(body, "db-password") || strings.Contains(body, "edit-asset") || strings.Contains(body, "delete-asset") {
			t.Fatalf("a Viewer is offered to edit or delete: %s", body)
		}
		if resp, body := e.do(viewer, "GET", "/assets/"+db.ID+"/edit", nil); resp.StatusCode != http.StatusForbidden || strings.Contains(body, "asset-edit-form") {
			t.Fatalf("a Viewer's edit page: %d", resp.StatusCode)
		}
		for _, path := range []string{"/assets/" + db.ID + "/edit", "/assets/" + db.ID + "/delete"} {
			resp, _ := e.postAs(viewer, token, path, url.Values{"name": {"taken-over"}})
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("a Viewer's POST %s: %d", path, resp.StatusCode)
			}
		}
		if got, _ := e.app.GetAsset(ctx, e.admin, db.ID); got.Name != "db-password" {
			t.Fatal("a Viewer changed the asset")
		}
	})

	t.Run("Delete", func(t *testing.T) {
		body := e.page("/assets/"+db.ID+"/delete", http.StatusOK)
		if !strings.Contains(body, `id="confirm"`) || !strings.Contains(body, `action="/assets/`+db.ID+`/delete"`) {
			t.Fatalf("confirmation: %s", body)
		}
		resp, _ := e.send("/assets/"+db.ID+"/delete", nil)
		wantStatus(t, "delete", resp, http.StatusSeeOther)
		e.page("/assets/"+db.ID+"/edit", http.StatusNotFound)
	})
}

func ptr[T any](v T) *T { return &v }

func TestFolderEditPages(t *testing.T) {
	e := newEditEnv(t)
	ctx := context.Background()
	mk := func(name, parent string) *junction.Folder {
		t.Helper()
		f, err := e.app.CreateFolder(ctx, e.admin, app.CreateFolderInput{Name: name, ParentID: parent})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	ops := mk("Ops", "")
	child := mk("Batch", ops.ID)
	grand := mk("Nightly", child.ID)

	t.Run("Tree", func(t *testing.T) {
		body := e.page("/folders", http.StatusOK)
		rows := []string{`<tr class="depth-0"><td>Ops</td>`, "<tr class=\"depth-1\"><td>\u00a0\u00a0\u00a0\u00a0Batch</td>",
			"<tr class=\"depth-2\"><td>\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0Nightly</td>", `<tr class="depth-0"><td>Pages</td>`}
		at := -1
		for _, row := range rows {
			i := strings.Index(body, row)
			if i < at {
				t.Fatalf("%q is missing or out of order: %s", row, body)
			}
			at = i
		}
		if !strings.Contains(body, `href="/folders/`+child.ID+`/edit"`) || !strings.Contains(body, `href="/folders/`+child.ID+`/delete"`) {
			t.Fatal("no rename or delete link")
		}
	})

	t.Run("EditForm", func(t *testing.T) {
		body := e.page("/folders/"+child.ID+"/edit", http.StatusOK)
		_, sel, _ := strings.Cut(body, `id="folder-parent"`)
		sel, _, _ = strings.Cut(sel, "</select>")
		if !strings.Contains(body, `id="folder-edit-form"`) || !strings.Contains(sel, `<option value="`+ops.ID+`" selected>`) {
			t.Fatalf("edit form: %s", body)
		}
		if strings.Contains(sel, `<option value="`+grand.ID+`"`) || strings.Contains(sel, `<option value="`+child.ID+`"`) {
			t.Fatal("the folder may be moved into itself or its subfolder")
		}
	})

	t.Run("RenameAndMove", func(t *testing.T) {
		resp, _ := e.send("/folders/"+child.ID+"/edit", url.Values{"name": {"Batches"}, "parent_id": {ops.ID}})
		wantStatus(t, "rename", resp, http.StatusSeeOther)
		resp, _ = e.send("/folders/"+child.ID+"/edit", url.Values{"name": {"Batches"}, "parent_id": {e.folder.ID}})
		wantStatus(t, "move", resp, http.StatusSeeOther)
		f, err := e.app.GetFolder(ctx, e.admin, child.ID)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name != "Batches" || f.ParentID != e.folder.ID {
			t.Fatalf("after rename and move: %+v", f)
		}
		g, _ := e.app.GetFolder(ctx, e.admin, grand.ID)
		if !slices.Equal(g.Path, []string{e.folder.ID, child.ID, grand.ID}) {
			t.Fatalf("the subfolder did not move along: %v", g.Path)
		}
	})

	t.Run("MoveRefused", func(t *testing.T) {
		resp, body := e.send("/folders/"+child.ID+"/edit", url.Values{"name": {"Typed"}, "parent_id": {grand.ID}})
		wantStatus(t, "move into a subfolder", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `<p class="error">a folder cannot move into itself`) || !strings.Contains(body, `value="Typed"`) {
			t.Fatalf("no problem beside the parent: %s", body)
		}
	})

	t.Run("DeleteNotEmpty", func(t *testing.T) {
		if _, err := e.app.CreateAsset(ctx, e.admin, app.CreateAssetInput{FolderID: grand.ID, Name: "keep-me",
			Type: junction.AssetText, Value: ptr(junction.NewSecret("x"))}); err != nil {
			t.Fatal(err)
		}
		body := e.page("/folders/"+child.ID+"/delete", http.StatusOK)
		if !strings.Contains(body, `id="confirm"`) || !strings.Contains(body, "1 subfolder(s) depend on it") {
			t.Fatalf("confirmation: %s", body)
		}
		resp, body := e.send("/folders/"+child.ID+"/delete", nil)
		wantStatus(t, "delete a folder holding an asset", resp, http.StatusConflict)
		if !strings.Contains(body, `id="problem"`) || !strings.Contains(body, "<code>conflict</code>") {
			t.Fatalf("the conflict is not shown: %s", body)
		}
	})

	t.Run("NoCSRF", func(t *testing.T) {
		resp, _ := e.do(e.client, "POST", "/folders/"+ops.ID+"/delete", url.Values{})
		wantStatus(t, "delete without the token", resp, http.StatusForbidden)
		resp, _ = e.do(e.client, "POST", "/folders/"+ops.ID+"/edit", url.Values{"name": {"x"}})
		wantStatus(t, "edit without the token", resp, http.StatusForbidden)
	})

	t.Run("Viewer", func(t *testing.T) {
		viewer, token := e.signInAs("vito", "Viewer")
		_, body := e.do(viewer, "GET", "/folders", nil)
		if !strings.Contains(body, "Ops") || strings.Contains(body, "edit-folder") || strings.Contains(body, "delete-folder") {
			t.Fatalf("a Viewer is offered to edit or delete: %s", body)
		}
		for _, path := range []string{"/folders/" + ops.ID + "/edit", "/folders/" + ops.ID + "/delete"} {
			resp, _ := e.postAs(viewer, token, path, url.Values{"name": {"taken-over"}})
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("a Viewer's POST %s: %d", path, resp.StatusCode)
			}
		}
		if f, _ := e.app.GetFolder(ctx, e.admin, ops.ID); f.Name != "Ops" {
			t.Fatal("a Viewer changed the folder")
		}
	})

	t.Run("Delete", func(t *testing.T) {
		resp, _ := e.send("/folders/"+ops.ID+"/delete", nil)
		wantStatus(t, "delete", resp, http.StatusSeeOther)
		e.page("/folders/"+ops.ID+"/edit", http.StatusNotFound)
	})
}
