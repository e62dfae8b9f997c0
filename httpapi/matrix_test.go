package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"junction"
	"junction/credstore/vault/vaulttest"
	"junction/httpapi"
)

// TestRouteMatrix calls every route of the table, as every built-in role,
// a host administrator, a user without a role and a caller without a
// token, and checks that each answer matches the route's declared access:
// an allowed caller is not refused (401, 403 or 404), a refused one gets
// 403, or 404 where the object's folder is hidden from them. A route added
// without a case here fails the test, as one without a declaration stops
// the server from starting.
//
// Only the HostAdminTarget subtest targets a host administrator: it holds
// the routes that change a user to the rule that only a host administrator
// may change one.
func TestRouteMatrix(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		m := newMatrix(t, open(t))
		ops := m.e.server.Operations()
		for _, op := range ops {
			if _, ok := m.cases[op.ID]; !ok {
				t.Errorf("route %s %s (%s) has no case in the route matrix: add one", op.Method, op.Path, op.ID)
			}
		}
		for _, c := range m.callers {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				for _, op := range ops {
					mk := m.cases[op.ID]
					if mk == nil {
						continue
					}
					req := mk(t, c)
					want := m.expect(op, c, req.target)
					got := m.do(t, c, req)
					want.check(t, c, op, got)
				}
			})
		}
		t.Run("Self", func(t *testing.T) {
			for _, c := range m.callers {
				if c.anonymous {
					continue
				}
				for _, op := range ops {
					if op.Access.Scope != httpapi.ScopeSelf {
						continue
					}
					req := m.selfCase(t, op.ID, c)
					got := m.do(t, c, req)
					outcome{allowed: true}.check(t, c, op, got)
				}
			}
		})
		t.Run("HiddenReferences", func(t *testing.T) {
			// A request in a folder the caller may use must not reach an
			// object in one it cannot see by naming it.
			hidden := m.hiddenFolder(t)
			for _, c := range m.callers {
				if c.anonymous || c.tenant[junction.PermFoldersView] || len(c.tenant) > 0 {
					continue // these see every folder
				}
				for _, tc := range []struct {
					name         string
					method, path string
					body         any
				}{
					{"ConnectionOnHiddenAsset", "POST", "/api/v1/connections?test=false", map[string]any{
						"folder_id": m.folder, "connector": "http", "name": m.unique("sneaky"), "auth_type": "bearer",
						"fields": map[string]any{"base_url": m.upstream.URL, "token": map[string]any{"asset_id": hidden.asset}}}},
					{"ConnectionUpdatedToHiddenAsset", "PATCH", "/api/v1/connections/" + m.conn, map[string]any{
						"fields": map[string]any{"token": map[string]any{"asset_id": hidden.asset}}}},
					{"TriggerOnHiddenConnection", "POST", "/api/v1/triggers", map[string]any{
						"folder_id": m.folder, "connection_id": hidden.conn, "object": "event", "event": "received",
						"target": map[string]any{"type": "queue", "name": "matrix"}}},
					{"ClaimInHiddenFolder", "POST", "/api/v1/jobs/claim", map[string]any{"queue": "matrix", "folder_id": hidden.folder}},
				} {
					got := m.send(t, tc.method, tc.path, c.token, tc.body)
					if got.status < 400 {
						t.Errorf("%s: %s: %s %s answered %d%s", c.name, tc.name, tc.method, tc.path, got.status, got.problemCode())
					}
				}
				for _, path := range []string{
					"/api/v1/connections?folder_id=" + hidden.folder,
					"/api/v1/assets?folder_id=" + hidden.folder,
					"/api/v1/triggers?folder_id=" + hidden.folder,
					"/api/v1/jobs?folder_id=" + hidden.folder,
					"/api/v1/folders?parent_id=" + hidden.folder,
					"/api/v1/executions?connection_id=" + hidden.conn,
				} {
					got := m.send(t, "GET", path, c.token, nil)
					if got.status == http.StatusOK && !bytes.Contains(got.body, []byte(`"items":[]`)) {
						t.Errorf("%s: GET %s lists what is in a hidden folder", c.name, path)
					}
				}
			}
		})
		t.Run("HostAdminTarget", func(t *testing.T) {
			for _, c := range m.callers {
				if c.anonymous {
					continue
				}
				for _, op := range ops {
					if !op.Access.HostAdminTarget {
						continue
					}
					req := m.hostTargetCase(t, op.ID)
					got := m.do(t, c, req)
					// Host administrators are changed by host
					// administrators only. Whether a refusal says
					// permission_denied or not_found is not fixed, and a
					// conflict (the host administrator cannot be deleted
					// at all) refuses as well.
					outcome{allowed: c.host, either: !c.host}.check(t, c, op, got)
				}
			}
		})
	})
}

// refersToFolder names the routes whose fixture body names the fixture
// folder or an object in it.
var refersToFolder = map[string]bool{"createAsset": true, "createConnection": true, "createTrigger": true}

// caller is one identity of the matrix, with what the test expects it to
// hold: its own model of the roles, not the server's.
type caller struct {
	name      string
	token     string
	userID    string
	anonymous bool
	host      bool
	// foreign callers administer another tenant.
	foreign bool
	// tenant is held tenant-wide; folder on the fixture folder (and so on
	// its subfolders).
	tenant, folder map[junction.Permission]bool
	// sees says whether the fixture folder is visible to the caller.
	sees bool
}

func (c *caller) holds(ps []junction.Permission) bool {
	for _, p := range ps {
		if !c.tenant[p] && !c.folder[p] {
			return false
		}
	}
	return true
}

// matrixRequest is one call; target is the user a ScopeSelf route acts on.
type matrixRequest struct {
	method, path string
	body         any
	header       []string
	target       string
}

type outcome struct {
	allowed bool
	status  int  // when refused
	either  bool // when refused: 403 and 404 both do
}

func (w outcome) check(t *testing.T, c *caller, op httpapi.Operation, got *response) {
	t.Helper()
	switch {
	case w.allowed:
		if got.status == http.StatusUnauthorized || got.status == http.StatusForbidden || got.status == http.StatusNotFound {
			t.Errorf("%s: %s %s: allowed, got %d%s", c.name, op.Method, op.Path, got.status, got.problemCode())
		}
	case w.either:
		if got.status != http.StatusForbidden && got.status != http.StatusNotFound && got.status != http.StatusConflict {
			t.Errorf("%s: %s %s: refused, got %d%s", c.name, op.Method, op.Path, got.status, got.problemCode())
		}
	default:
		if got.status != w.status {
			t.Errorf("%s: %s %s: refused with %d, got %d%s", c.name, op.Method, op.Path, w.status, got.status, got.problemCode())
		}
	}
}

// problemCode shows a problem document's code and detail; other bodies are
// left out, since an answer wrongly given may carry a token.
func (r *response) problemCode() string {
	if r.header.Get("Content-Type") != "application/problem+json" {
		return ""
	}
	var p httpapi.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		return ""
	}
	return fmt.Sprintf(" (%s: %s)", p.Code, p.Detail)
}

// expect applies a route's declaration to a caller.
func (m *matrix) expect(op httpapi.Operation, c *caller, target string) outcome {
	a := op.Access
	if a.Scope == httpapi.ScopePublic {
		return outcome{allowed: true}
	}
	if c.anonymous {
		return outcome{status: http.StatusUnauthorized}
	}
	denied := outcome{status: http.StatusForbidden}
	if c.foreign {
		// Nothing crosses tenants: another tenant's objects do not exist
		// for the caller, whatever it holds in its own.
		switch {
		case a.Scope == httpapi.ScopeAuthenticated && strings.HasPrefix(op.Path, "/api/v1/custom-connectors/{"):
			// Readable by anyone of the tenant that owns them, like the
			// catalog, and by no one else.
			return outcome{status: http.StatusNotFound}
		case a.Scope == httpapi.ScopeAuthenticated:
		case a.Scope == httpapi.ScopeHostAdmin:
			return denied
		case strings.Contains(op.Path, "{") || refersToFolder[op.ID]:
			return outcome{status: http.StatusNotFound}
		}
		return outcome{allowed: true}
	}
	switch a.Scope {
	case httpapi.ScopeAuthenticated:
		return outcome{allowed: true}
	case httpapi.ScopeHostAdmin:
		if c.host {
			return outcome{allowed: true}
		}
		return denied
	case httpapi.ScopeTenant:
		for _, p := range a.Permissions {
			if !c.tenant[p] {
				return denied
			}
		}
		return outcome{allowed: true}
	case httpapi.ScopeSelf:
		if target == c.userID {
			return outcome{allowed: true}
		}
		for _, p := range a.Permissions {
			if !c.tenant[p] {
				return denied
			}
		}
		return outcome{allowed: true}
	case httpapi.ScopeAnyFolder:
		if c.holds(a.Permissions) {
			return outcome{allowed: true}
		}
		return denied
	case httpapi.ScopeFolder:
		if !c.sees {
			return outcome{status: http.StatusNotFound}
		}
		if c.holds(a.Permissions) {
			return outcome{allowed: true}
		}
		return denied
	}
	panic("unknown scope " + a.Scope)
}

// matrix is one running server with the fixtures every case uses: one
// folder holding one of each object, a user to act on, a custom role and a
// credential store. Objects a case deletes are made afresh for each call.
type matrix struct {
	e         *env
	execution string
	upstream  *httptest.Server
	vault     *vaulttest.Server
	callers   []*caller
	host      *caller

	folder, sub       string
	conn, oauthConn   string
	custom            string // a custom connector's ID
	hookConn          string
	asset             string
	trigger, hookPath string
	job               string
	store, role       string
	targetUser        string
	targetName        string
	tenantID          string
	seq               atomic.Int64
	cases             map[string]func(t *testing.T, c *caller) matrixRequest
}

func (m *matrix) unique(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, m.seq.Add(1))
}

// do sends a request as c; it is safe to call from parallel subtests.
func (m *matrix) do(t *testing.T, c *caller, r matrixRequest) *response {
	t.Helper()
	token := ""
	if c != nil {
		token = c.token
	}
	return m.send(t, r.method, r.path, token, r.body, r.header...)
}

func (m *matrix) send(t *testing.T, method, path, token string, body any, header ...string) *response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, m.e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := m.e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

// admin sends a request as the host administrator and fails unless it
// answers want; it makes fixtures.
func (m *matrix) admin(t *testing.T, want int, method, path string, body, out any) {
	t.Helper()
	r := m.send(t, method, path, m.host.token, body)
	if r.status != want {
		t.Fatalf("fixture %s %s: %d, want %d%s", method, path, r.status, want, r.problemCode())
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("fixture %s %s: %v", method, path, err)
		}
	}
}

type idOnly struct {
	ID string `json:"id"`
}

func (m *matrix) newUser(t *testing.T, name string, roles ...string) (id, token string) {
	t.Helper()
	if roles == nil {
		roles = []string{}
	}
	var u idOnly
	m.admin(t, http.StatusCreated, "POST", "/api/v1/users", map[string]any{"name": name, "roles": roles}, &u)
	var tok struct {
		Token string `json:"token"`
	}
	m.admin(t, http.StatusCreated, "POST", "/api/v1/users/"+u.ID+"/tokens", map[string]any{"name": "matrix"}, &tok)
	return u.ID, tok.Token
}

// newJob makes a job of its own for a case that changes it: a trigger of
// its own, sent one event.
func (m *matrix) newJob(t *testing.T) string {
	t.Helper()
	var tr triggerView
	m.admin(t, http.StatusCreated, "POST", "/api/v1/triggers", m.triggerBody(), &tr)
	path, ok := strings.CutPrefix(tr.WebhookURL, publicURL)
	if !ok {
		t.Fatalf("webhook URL %q", tr.WebhookURL)
	}
	body := `{"type":"order","id":"` + m.unique("o") + `"}`
	if r := m.send(t, "POST", path, "", body, "X-Signature", hookSignature(body)); r.status/100 != 2 {
		t.Fatalf("webhook for a job: %d%s", r.status, r.problemCode())
	}
	return m.e.waitJobs(tr.ID, 1)[0].ID
}

func (m *matrix) newToken(t *testing.T, userID, token string) string {
	t.Helper()
	var tok idOnly
	r := m.send(t, "POST", "/api/v1/users/"+userID+"/tokens", token, map[string]any{"name": m.unique("spare")})
	if r.status != http.StatusCreated {
		t.Fatalf("fixture token: %d%s", r.status, r.problemCode())
	}
	if err := json.Unmarshal(r.body, &tok); err != nil {
		t.Fatal(err)
	}
	return tok.ID
}

func set(ps ...junction.Permission) map[junction.Permission]bool {
	m := map[junction.Permission]bool{}
	for _, p := range ps {
		m[p] = true
	}
	return m
}

func newMatrix(t *testing.T, store junction.Store) *matrix {
	t.Helper()
	m := &matrix{}
	m.upstream = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(m.upstream.Close)
	m.vault = vaulttest.New(t, vaulttest.Options{})
	m.vault.SetAppRole("approle", "role-1", "matrix-secret-id")
	m.e = newEnv(t, store)
	var me struct {
		User junction.User `json:"user"`
	}
	m.host = &caller{name: "HostAdministrator", token: m.e.admin, host: true, sees: true}
	m.admin(t, http.StatusOK, "GET", "/api/v1/me", nil, &me)
	m.host.userID, m.tenantID = me.User.ID, me.User.TenantID
	if !me.User.HostAdmin {
		t.Fatal("the bootstrap administrator is no host administrator")
	}

	var f idOnly
	m.admin(t, http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Matrix"}, &f)
	m.folder = f.ID
	m.admin(t, http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Sub", "parent_id": m.folder}, &f)
	m.sub = f.ID

	// The callers. Folder roles are assigned on the fixture folder, the
	// Tenant Administrator tenant-wide, as they are meant to be used.
	builtIn := map[string][]junction.Permission{}
	for _, r := range junction.BuiltInRoles() {
		builtIn[r.Name] = r.Permissions
	}
	all := append(slices.Clone(junction.FolderPermissions), junction.TenantPermissions...)
	m.host.tenant, m.host.folder = set(all...), set()
	m.callers = append(m.callers, m.host)
	id, tok := m.newUser(t, "tenant-admin", junction.RoleTenantAdmin)
	m.callers = append(m.callers, &caller{name: "TenantAdministrator", token: tok, userID: id,
		tenant: set(all...), folder: set(), sees: true})
	for _, role := range []string{junction.RoleFolderAdmin, junction.RoleAutomationDeveloper, junction.RoleAutomationUser,
		junction.RoleViewer, junction.RoleRobot} {
		name := strings.ReplaceAll(role, " ", "")
		id, tok := m.newUser(t, strings.ToLower(name))
		m.admin(t, http.StatusOK, "PUT", "/api/v1/folders/"+m.folder+"/members/"+id, map[string]any{"roles": []string{role}}, nil)
		var folderPerms []junction.Permission
		for _, p := range builtIn[role] {
			if p.IsFolderPermission() {
				folderPerms = append(folderPerms, p)
			}
		}
		m.callers = append(m.callers, &caller{name: name, token: tok, userID: id,
			tenant: set(), folder: set(folderPerms...), sees: true})
	}
	// The same roles assigned tenant-wide: their folder permissions hold
	// in every folder.
	for _, role := range []string{junction.RoleFolderAdmin, junction.RoleAutomationDeveloper, junction.RoleAutomationUser,
		junction.RoleViewer, junction.RoleRobot} {
		name := strings.ReplaceAll(role, " ", "") + "TenantWide"
		id, tok := m.newUser(t, strings.ToLower(name), role)
		m.callers = append(m.callers, &caller{name: name, token: tok, userID: id,
			tenant: set(builtIn[role]...), folder: set(), sees: true})
	}
	id, tok = m.newUser(t, "no-role")
	m.callers = append(m.callers, &caller{name: "NoRole", token: tok, userID: id, tenant: set(), folder: set()})
	var other struct {
		Admin junction.User `json:"admin"`
		Token string        `json:"token"`
	}
	m.admin(t, http.StatusCreated, "POST", "/api/v1/tenants", map[string]any{"name": "other"}, &other)
	m.callers = append(m.callers, &caller{name: "OtherTenantAdministrator", token: other.Token, userID: other.Admin.ID,
		foreign: true, tenant: set(all...), folder: set()})
	m.callers = append(m.callers, &caller{name: "Anonymous", anonymous: true, tenant: set(), folder: set()})

	m.targetName = "target"
	m.targetUser, _ = m.newUser(t, m.targetName)
	var role idOnly
	m.admin(t, http.StatusCreated, "POST", "/api/v1/roles", map[string]any{"name": "Matrix", "permissions": []string{"Assets.View"}}, &role)
	m.role = role.ID
	var cs idOnly
	m.admin(t, http.StatusCreated, "POST", "/api/v1/credential-stores", m.storeBody(), &cs)
	m.store = cs.ID

	var conn idOnly
	m.admin(t, http.StatusCreated, "POST", "/api/v1/connections?test=false", m.connectionBody("api"), &conn)
	m.conn = conn.ID
	m.admin(t, http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": m.folder, "connector": "http", "name": "idp", "auth_type": "oauth2_authorization_code",
		"fields": map[string]any{"base_url": m.upstream.URL, "authorize_url": m.upstream.URL + "/auth",
			"token_url": m.upstream.URL + "/token", "client_id": "matrix", "client_secret": "matrix-client-secret",
			"scopes": "read"},
	}, &conn)
	m.oauthConn = conn.ID
	m.admin(t, http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": m.folder, "connector": "webhook", "name": "hook",
		"fields": map[string]any{"signing_secret": hookSecret, "event_type_path": "type", "id_path": "id"},
	}, &conn)
	m.hookConn = conn.ID
	var asset idOnly
	m.admin(t, http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
		"folder_id": m.folder, "name": "api-key", "type": "secret", "value": "matrix-asset-value"}, &asset)
	m.asset = asset.ID
	var tr triggerView
	m.admin(t, http.StatusCreated, "POST", "/api/v1/triggers", m.triggerBody(), &tr)
	m.trigger = tr.ID
	path, ok := strings.CutPrefix(tr.WebhookURL, publicURL)
	if !ok {
		t.Fatalf("webhook URL %q", tr.WebhookURL)
	}
	m.hookPath = path
	body := `{"type":"order","id":"o-1"}`
	if r := m.send(t, "POST", m.hookPath, "", body, "X-Signature", hookSignature(body)); r.status/100 != 2 {
		t.Fatalf("fixture webhook: %d%s", r.status, r.problemCode())
	}
	m.job = m.e.waitJobs(m.trigger, 1)[0].ID
	var res struct {
		ExecutionID string `json:"execution_id"`
	}
	m.admin(t, http.StatusOK, "POST", "/api/v1/connections/"+m.conn+"/execute",
		map[string]any{"activity": "http_request", "input": map[string]any{"path": "/things"}}, &res)
	if err := m.e.engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.execution = res.ExecutionID

	var custom idOnly
	m.admin(t, http.StatusCreated, "POST", "/api/v1/custom-connectors",
		map[string]any{"key": "matrix-custom", "display_name": "Matrix", "base_url": m.upstream.URL}, &custom)
	m.custom = custom.ID

	m.cases = m.matrixCases()
	maps.Copy(m.cases, m.draftPartCases())
	maps.Copy(m.cases, m.credentialProxyCases(t))
	return m
}

// customDefinition is a valid draft of the matrix's custom connector.
func (m *matrix) customDefinition() map[string]any {
	return map[string]any{"key": "matrix-custom", "display_name": "Matrix", "version": "0.1.0", "base_url": m.upstream.URL,
		"auth":       []any{map[string]any{"type": "none"}},
		"activities": []any{map[string]any{"name": "things", "method": "GET", "path": "/things"}}}
}

func (m *matrix) storeBody() map[string]any {
	return map[string]any{"name": m.unique("vault"), "type": "hashicorp-vault", "config": map[string]any{
		"address": m.vault.URL(), "ca_cert": m.vault.CACertPEM(), "auth_method": "approle",
		"role_id": "role-1", "secret_id": "matrix-secret-id",
	}}
}

func (m *matrix) connectionBody(name string) map[string]any {
	return map[string]any{"folder_id": m.folder, "connector": "http", "name": name, "auth_type": "bearer",
		"fields": map[string]any{"base_url": m.upstream.URL, "token": "matrix-bearer-token"}}
}

func (m *matrix) triggerBody() map[string]any {
	return map[string]any{"folder_id": m.folder, "connection_id": m.hookConn, "object": "event", "event": "received",
		"target": map[string]any{"type": "queue", "name": "matrix"}}
}

// matrixCases gives each route, by operation ID, a valid-looking call.
func (m *matrix) matrixCases() map[string]func(t *testing.T, c *caller) matrixRequest {
	get := func(path string) func(*testing.T, *caller) matrixRequest {
		return func(*testing.T, *caller) matrixRequest { return matrixRequest{method: "GET", path: path} }
	}
	call := func(method, path string, body any) func(*testing.T, *caller) matrixRequest {
		return func(*testing.T, *caller) matrixRequest { return matrixRequest{method: method, path: path, body: body} }
	}
	// fresh makes the object a destructive call acts on, as the host
	// administrator, so that each caller has its own.
	fresh := func(method string, mk func(t *testing.T) string) func(*testing.T, *caller) matrixRequest {
		return func(t *testing.T, _ *caller) matrixRequest { return matrixRequest{method: method, path: mk(t)} }
	}
	created := func(t *testing.T, path string, body any) string {
		var o idOnly
		m.admin(t, http.StatusCreated, "POST", path, body, &o)
		return o.ID
	}
	hookBody := `{"type":"order","id":"o-2"}`
	return map[string]func(*testing.T, *caller) matrixRequest{
		"health":  get("/healthz"),
		"ready":   get("/readyz"),
		"openapi": get("/api/v1/openapi.json"),
		"metrics": get("/metrics"),
		"receiveWebhook": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "POST", path: m.hookPath, body: hookBody, header: []string{"X-Signature", hookSignature(hookBody)}}
		},
		// The generic webhook connector declares no GET or HEAD
		// handshake: both reach the trigger and answer 405.
		"answerWebhookChallenge": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "GET", path: m.hookPath + "?challenge=c"}
		},
		"checkWebhookURL": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "HEAD", path: m.hookPath}
		},
		"oauthCallback": get("/oauth/callback?state=matrix&code=c"),

		"createTenant": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "POST", path: "/api/v1/tenants", body: map[string]any{"name": m.unique("tenant")}}
		},
		"listTenants": get("/api/v1/tenants"),
		"getTenantQuotas": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "GET", path: "/api/v1/tenants/" + m.tenantID + "/quotas"}
		},
		"setTenantQuotas": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "PUT", path: "/api/v1/tenants/" + m.tenantID + "/quotas", body: map[string]any{}}
		},
		"getUsage":                   get("/api/v1/usage?group_by=connector"),
		"getSystem":                  get("/api/v1/system"),
		"listNotifications":          get("/api/v1/notifications"),
		"readNotification":           m.readNotificationCase,
		"readAllNotifications":       call("POST", "/api/v1/notifications/read-all", nil),
		"getNotificationPreferences": get("/api/v1/me/notification-preferences"),
		"setNotificationPreferences": call("PUT", "/api/v1/me/notification-preferences",
			map[string]any{"preferences": []any{}}),
		"getNotificationWebhook": get("/api/v1/settings/notification-webhook"),
		"setNotificationWebhook": call("PUT", "/api/v1/settings/notification-webhook", map[string]any{"url": ""}),
		"getRetention":           get("/api/v1/settings/retention"),
		"setRetention":           call("PUT", "/api/v1/settings/retention", map[string]any{"audit_days": 400}),
		"me":                     get("/api/v1/me"),
		"listAudit":              get("/api/v1/audit"),
		"exportAudit":            get("/api/v1/audit/export?format=csv"),
		"getDiagnostics":         get("/api/v1/system/diagnostics"),

		"createFolder": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "POST", path: "/api/v1/folders", body: map[string]any{"name": m.unique("folder")}}
		},
		"listFolders":  get("/api/v1/folders"),
		"getFolder":    get("/api/v1/folders/" + m.folder),
		"updateFolder": call("PATCH", "/api/v1/folders/"+m.sub, map[string]any{"name": "Sub"}),
		"deleteFolder": fresh("DELETE", func(t *testing.T) string {
			return "/api/v1/folders/" + created(t, "/api/v1/folders", map[string]any{"name": m.unique("gone"), "parent_id": m.folder})
		}),
		"listFolderMembers": get("/api/v1/folders/" + m.folder + "/members"),
		"setFolderMember": call("PUT", "/api/v1/folders/"+m.folder+"/members/"+m.targetUser,
			map[string]any{"roles": []string{junction.RoleViewer}}),
		"removeFolderMember": call("DELETE", "/api/v1/folders/"+m.sub+"/members/"+m.targetUser, nil),

		"createUser": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "POST", path: "/api/v1/users", body: map[string]any{"name": m.unique("user"), "roles": []string{}}}
		},
		"listUsers": get("/api/v1/users"),
		"getUser": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "GET", path: "/api/v1/users/" + m.targetUser, target: m.targetUser}
		},
		"updateUser": call("PATCH", "/api/v1/users/"+m.targetUser, map[string]any{"display_name": "Target"}),
		"deleteUser": fresh("DELETE", func(t *testing.T) string {
			id, _ := m.newUser(t, m.unique("gone"))
			return "/api/v1/users/" + id
		}),
		"setUserRoles": call("PUT", "/api/v1/users/"+m.targetUser+"/roles", map[string]any{"roles": []string{}}),
		"setUserPassword": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "PUT", path: "/api/v1/users/" + m.targetUser + "/password",
				body: map[string]any{"password": "matrix-passphrase-1"}, target: m.targetUser}
		},
		"createToken": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "POST", path: "/api/v1/users/" + m.targetUser + "/tokens",
				body: map[string]any{"name": "matrix"}, target: m.targetUser}
		},
		"listTokens": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "GET", path: "/api/v1/users/" + m.targetUser + "/tokens", target: m.targetUser}
		},
		"revokeToken": func(t *testing.T, _ *caller) matrixRequest {
			return matrixRequest{method: "DELETE", path: "/api/v1/tokens/" + m.newToken(t, m.targetUser, m.host.token), target: m.targetUser}
		},

		"createRole": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "POST", path: "/api/v1/roles",
				body: map[string]any{"name": m.unique("role"), "permissions": []string{"Jobs.View"}}}
		},
		"listRoles":  get("/api/v1/roles"),
		"getRole":    get("/api/v1/roles/" + m.role),
		"updateRole": call("PATCH", "/api/v1/roles/"+m.role, map[string]any{"description": "Matrix role"}),
		"deleteRole": fresh("DELETE", func(t *testing.T) string {
			return "/api/v1/roles/" + created(t, "/api/v1/roles", map[string]any{"name": m.unique("gone"), "permissions": []string{"Jobs.View"}})
		}),

		"listCredentialStoreTypes": get("/api/v1/credential-store-types"),
		"createCredentialStore": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "POST", path: "/api/v1/credential-stores", body: m.storeBody()}
		},
		"listCredentialStores":  get("/api/v1/credential-stores"),
		"getCredentialStore":    get("/api/v1/credential-stores/" + m.store),
		"updateCredentialStore": call("PATCH", "/api/v1/credential-stores/"+m.store, map[string]any{"read_only": false}),
		"deleteCredentialStore": fresh("DELETE", func(t *testing.T) string {
			return "/api/v1/credential-stores/" + created(t, "/api/v1/credential-stores", m.storeBody())
		}),
		"testCredentialStore": call("POST", "/api/v1/credential-stores/"+m.store+"/test", nil),

		"createAsset": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "POST", path: "/api/v1/assets",
				body: map[string]any{"folder_id": m.folder, "name": m.unique("asset"), "type": "text", "value": "v"}}
		},
		"listAssets":  get("/api/v1/assets"),
		"getAsset":    get("/api/v1/assets/" + m.asset),
		"updateAsset": call("PATCH", "/api/v1/assets/"+m.asset, map[string]any{"description": "Matrix asset"}),
		"deleteAsset": fresh("DELETE", func(t *testing.T) string {
			return "/api/v1/assets/" + created(t, "/api/v1/assets",
				map[string]any{"folder_id": m.folder, "name": m.unique("gone"), "type": "text", "value": "v"})
		}),
		"resolveAsset": call("POST", "/api/v1/assets/"+m.asset+"/resolve", nil),

		"createCustomConnector": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "POST", path: "/api/v1/custom-connectors", body: map[string]any{"display_name": m.unique("custom")}}
		},
		"listCustomConnectors": get("/api/v1/custom-connectors"),
		"importCustomConnector": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "POST", path: "/api/v1/custom-connectors/import", body: map[string]any{
				"key": m.unique("imported"), "content": `{"openapi":"3.0.3","info":{"title":"T","version":"1"},` +
					`"servers":[{"url":"https://api.example.com"}],"paths":{"/me":{"get":{"operationId":"me","responses":{"200":{"description":"ok"}}}}}}`}}
		},
		"getCustomConnector":          get("/api/v1/custom-connectors/" + m.custom),
		"replaceCustomConnectorDraft": call("PUT", "/api/v1/custom-connectors/"+m.custom, m.customDefinition()),
		"updateCustomConnector":       call("PATCH", "/api/v1/custom-connectors/"+m.custom, map[string]any{"display_name": "Matrix"}),
		"deleteCustomConnector": fresh("DELETE", func(t *testing.T) string {
			return "/api/v1/custom-connectors/" + created(t, "/api/v1/custom-connectors", map[string]any{"display_name": m.unique("gone")})
		}),
		"exportCustomConnectorDraft":  get("/api/v1/custom-connectors/" + m.custom + "/definition"),
		"applyCustomConnectorDraft":   call("PUT", "/api/v1/custom-connectors/"+m.custom+"/definition", m.customDefinition()),
		"getCustomConnectorChecklist": get("/api/v1/custom-connectors/" + m.custom + "/checklist"),
		"listCustomConnectorVersions": get("/api/v1/custom-connectors/" + m.custom + "/versions"),
		"publishCustomConnector": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "POST", path: "/api/v1/custom-connectors/" + m.custom + "/publish",
				body: map[string]any{"version": fmt.Sprintf("1.0.%d", m.seq.Add(1))}}
		},
		"testCustomConnectorDraft": call("POST", "/api/v1/custom-connectors/"+m.custom+"/test", map[string]any{
			"connection": map[string]any{"auth_type": "none"}, "activity": "http_request", "input": map[string]any{"path": "/things"}}),

		"listConnectors":     get("/api/v1/connectors"),
		"getConnectorSchema": get("/api/v1/connectors/schema"),
		"getConnector":       get("/api/v1/connectors/http"),
		"getConnectorDocs":   get("/api/v1/connectors/http/docs"),

		"createConnection": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "POST", path: "/api/v1/connections?test=false", body: m.connectionBody(m.unique("conn"))}
		},
		"listConnections":  get("/api/v1/connections"),
		"getConnection":    get("/api/v1/connections/" + m.conn),
		"updateConnection": call("PATCH", "/api/v1/connections/"+m.conn, map[string]any{"name": "api"}),
		"deleteConnection": fresh("DELETE", func(t *testing.T) string {
			return "/api/v1/connections/" + created(t, "/api/v1/connections?test=false", m.connectionBody(m.unique("gone")))
		}),
		"testConnection":      call("POST", "/api/v1/connections/"+m.conn+"/test", nil),
		"authorizeConnection": call("POST", "/api/v1/connections/"+m.oauthConn+"/authorize", nil),
		"executeActivity": call("POST", "/api/v1/connections/"+m.conn+"/execute",
			map[string]any{"activity": "http_request", "input": map[string]any{"path": "/things"}}),
		"listExecutions":   get("/api/v1/executions"),
		"exportExecutions": get("/api/v1/executions/export?format=csv"),
		"getExecution":     get("/api/v1/executions/" + m.execution),
		// It succeeded: a retry is refused with conflict, once the caller
		// may ask.
		"retryExecution": call("POST", "/api/v1/executions/"+m.execution+"/retry", nil),

		"createTrigger":        call("POST", "/api/v1/triggers", m.triggerBody()),
		"listTriggers":         get("/api/v1/triggers"),
		"getTrigger":           get("/api/v1/triggers/" + m.trigger),
		"updateTrigger":        call("PATCH", "/api/v1/triggers/"+m.trigger, map[string]any{"filter": ""}),
		"enableTrigger":        call("POST", "/api/v1/triggers/"+m.trigger+"/enable", nil),
		"disableTrigger":       call("POST", "/api/v1/triggers/"+m.trigger+"/disable", nil),
		"triggerHistory":       get("/api/v1/triggers/" + m.trigger + "/history"),
		"exportTriggerHistory": get("/api/v1/triggers/" + m.trigger + "/history/export"),
		// A trigger of its own: rotating the shared one's URL would retire
		// the URL the hook intake case posts to.
		"rotateTriggerHook": fresh("POST", func(t *testing.T) string {
			return "/api/v1/triggers/" + created(t, "/api/v1/triggers", m.triggerBody()) + "/rotate-hook"
		}),
		"deleteTrigger": fresh("DELETE", func(t *testing.T) string {
			return "/api/v1/triggers/" + created(t, "/api/v1/triggers", m.triggerBody())
		}),

		"claimJob":    call("POST", "/api/v1/jobs/claim", map[string]any{"queue": "matrix-idle"}),
		"listJobs":    get("/api/v1/jobs"),
		"getJob":      get("/api/v1/jobs/" + m.job),
		"completeJob": call("POST", "/api/v1/jobs/"+m.job+"/complete", map[string]any{}),
		"failJob":     call("POST", "/api/v1/jobs/"+m.job+"/fail", map[string]any{"error": "matrix"}),
		// Pending: a retry is refused with conflict, once the caller may ask.
		"retryJob": call("POST", "/api/v1/jobs/"+m.job+"/retry", nil),
		"cancelJob": func(t *testing.T, _ *caller) matrixRequest {
			return matrixRequest{method: "POST", path: "/api/v1/jobs/" + m.newJob(t) + "/cancel", body: map[string]any{"reason": "matrix"}}
		},
		"deleteJob": fresh("DELETE", func(t *testing.T) string { return "/api/v1/jobs/" + m.newJob(t) }),
	}
}

// hidden is a folder no folder role of the matrix is assigned on, with a
// connection and an asset in it.
type hidden struct{ folder, conn, asset string }

func (m *matrix) hiddenFolder(t *testing.T) hidden {
	t.Helper()
	var h hidden
	var o idOnly
	m.admin(t, http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Hidden"}, &o)
	h.folder = o.ID
	m.admin(t, http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
		"folder_id": h.folder, "name": "hidden-key", "type": "secret", "value": "hidden-asset-value"}, &o)
	h.asset = o.ID
	m.admin(t, http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": h.folder, "connector": "webhook", "name": "hidden",
		"fields": map[string]any{"signing_secret": hookSecret, "event_type_path": "type", "id_path": "id"},
	}, &o)
	h.conn = o.ID
	return h
}

// selfCase is a ScopeSelf route called by a user on themself.
func (m *matrix) selfCase(t *testing.T, op string, c *caller) matrixRequest {
	t.Helper()
	switch op {
	case "getUser":
		return matrixRequest{method: "GET", path: "/api/v1/users/" + c.userID}
	case "listTokens":
		return matrixRequest{method: "GET", path: "/api/v1/users/" + c.userID + "/tokens"}
	case "createToken":
		return matrixRequest{method: "POST", path: "/api/v1/users/" + c.userID + "/tokens", body: map[string]any{"name": "self"}}
	case "revokeToken":
		return matrixRequest{method: "DELETE", path: "/api/v1/tokens/" + m.newToken(t, c.userID, c.token)}
	case "setUserPassword":
		return matrixRequest{method: "PUT", path: "/api/v1/users/" + c.userID + "/password",
			body: map[string]any{"password": m.unique("own-passphrase")}}
	}
	t.Fatalf("route %s acts on a user: add a Self case", op)
	return matrixRequest{}
}

// hostTargetCase is a route that changes a user, aimed at a host
// administrator made for this one call, so that a call wrongly allowed
// harms nothing the rest of the test uses.
func (m *matrix) hostTargetCase(t *testing.T, op string) matrixRequest {
	t.Helper()
	id, token := m.newUser(t, m.unique("host"), junction.RoleTenantAdmin)
	u, err := m.e.store.GetUser(context.Background(), m.tenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	u.HostAdmin = true
	if err := m.e.store.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	switch op {
	case "updateUser":
		return matrixRequest{method: "PATCH", path: "/api/v1/users/" + id, body: map[string]any{"disabled": true}}
	case "deleteUser":
		return matrixRequest{method: "DELETE", path: "/api/v1/users/" + id}
	case "setUserRoles":
		return matrixRequest{method: "PUT", path: "/api/v1/users/" + id + "/roles", body: map[string]any{"roles": []string{}}}
	case "createToken":
		return matrixRequest{method: "POST", path: "/api/v1/users/" + id + "/tokens", body: map[string]any{"name": "taken"}}
	case "setUserPassword":
		return matrixRequest{method: "PUT", path: "/api/v1/users/" + id + "/password", body: map[string]any{"password": "taken-over-passphrase"}}
	case "revokeToken":
		return matrixRequest{method: "DELETE", path: "/api/v1/tokens/" + m.newToken(t, id, token)}
	case "setFolderMember":
		return matrixRequest{method: "PUT", path: "/api/v1/folders/" + m.folder + "/members/" + id,
			body: map[string]any{"roles": []string{junction.RoleViewer}}}
	case "removeFolderMember":
		m.admin(t, http.StatusOK, "PUT", "/api/v1/folders/"+m.folder+"/members/"+id,
			map[string]any{"roles": []string{junction.RoleViewer}}, nil)
		return matrixRequest{method: "DELETE", path: "/api/v1/folders/" + m.folder + "/members/" + id}
	}
	t.Fatalf("route %s changes users: add a HostAdminTarget case", op)
	return matrixRequest{}
}

// readNotificationCase gives the caller a notification of their own to
// mark read: the route only ever reaches the caller's own.
func (m *matrix) readNotificationCase(t *testing.T, c *caller) matrixRequest {
	if c.anonymous {
		return matrixRequest{method: "POST", path: "/api/v1/notifications/" + junction.NewID() + "/read"}
	}
	var me struct {
		User junction.User `json:"user"`
	}
	if r := m.send(t, "GET", "/api/v1/me", c.token, nil); r.status != http.StatusOK {
		t.Fatalf("me: %d", r.status)
	} else {
		r.decode(t, &me)
	}
	n := &junction.Notification{TenantID: me.User.TenantID, UserID: c.userID, EventID: junction.NewID(),
		Type: junction.EventJobFailed, Title: "Job failed", InApp: true}
	if err := m.e.store.CreateNotification(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	return matrixRequest{method: "POST", path: "/api/v1/notifications/" + n.ID + "/read"}
}
