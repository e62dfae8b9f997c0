package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/httpapi"
)

func folderNames(fs []junction.Folder) []string {
	var names []string
	for _, f := range fs {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	return names
}

// A user holding a role on folder A sees A and its subfolders and nothing
// else: other folders, and other tenants' folders, answer 404 as if they did
// not exist.
func TestFolderPermissions(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		a := e.createFolder(e.admin, "A", "")
		a1 := e.createFolder(e.admin, "A1", a.ID)
		b := e.createFolder(e.admin, "B", "")
		bob, bobToken := e.createUser(e.admin, "bob")

		var m struct {
			UserID string   `json:"user_id"`
			Roles  []string `json:"roles"`
		}
		e.must(http.StatusOK, "PUT", "/api/v1/folders/"+a.ID+"/members/"+bob.ID, e.admin,
			map[string]any{"roles": []string{junction.RoleAutomationUser}}, &m)
		if m.UserID != bob.ID || !slices.Equal(m.Roles, []string{junction.RoleAutomationUser}) {
			t.Fatalf("member = %+v", m)
		}

		// Another tenant with a folder of its own.
		var created struct {
			Token string `json:"token"`
		}
		e.must(http.StatusCreated, "POST", "/api/v1/tenants", e.admin, map[string]any{"name": "acme"}, &created)
		other := e.createFolder(created.Token, "Other", "")

		t.Run("ListShowsOnlyTheSubtree", func(t *testing.T) {
			var l list[junction.Folder]
			e.must(http.StatusOK, "GET", "/api/v1/folders", bobToken, nil, &l)
			if got := folderNames(l.Items); !slices.Equal(got, []string{"A", "A1"}) {
				t.Fatalf("bob lists %v, want [A A1]", got)
			}
			e.must(http.StatusOK, "GET", "/api/v1/folders?parent_id="+a.ID, bobToken, nil, &l)
			if got := folderNames(l.Items); !slices.Equal(got, []string{"A1"}) {
				t.Fatalf("children of A: %v", got)
			}
			e.must(http.StatusOK, "GET", "/api/v1/folders", e.admin, nil, &l)
			if got := folderNames(l.Items); !slices.Equal(got, []string{"A", "A1", "B", "Shared"}) {
				t.Fatalf("admin lists %v", got)
			}
		})
		t.Run("OK", func(t *testing.T) {
			var f junction.Folder
			e.must(http.StatusOK, "GET", "/api/v1/folders/"+a1.ID, bobToken, nil, &f)
			if !slices.Equal(f.Path, []string{a.ID, a1.ID}) || f.ParentID != a.ID {
				t.Fatalf("A1 = %+v", f)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			for _, tc := range []struct{ method, path string }{
				{"GET", "/api/v1/folders/" + b.ID},
				{"DELETE", "/api/v1/folders/" + b.ID},
				{"GET", "/api/v1/folders/" + other.ID},
				{"GET", "/api/v1/folders?parent_id=" + b.ID},
				{"GET", "/api/v1/folders/not-an-id"},
			} {
				r := e.call(tc.method, tc.path, bobToken, nil)
				if p := r.problem(t); r.status != 404 || p.Code != junction.ENOTFOUND {
					t.Errorf("%s %s: %d %+v, want 404 not_found", tc.method, tc.path, r.status, p)
				}
			}
			// Hidden parents are not found either, whatever the caller may do.
			r := e.call("POST", "/api/v1/folders", bobToken, map[string]any{"name": "x", "parent_id": b.ID})
			if p := r.problem(t); r.status != 404 || p.Field != "parent_id" {
				t.Errorf("create under B: %d %+v", r.status, p)
			}
			// The other tenant's folder is invisible to this tenant's admin too.
			r = e.call("GET", "/api/v1/folders/"+other.ID, e.admin, nil)
			if r.status != 404 {
				t.Errorf("admin reads another tenant's folder: %d", r.status)
			}
		})
		t.Run("ErrPermissionDenied", func(t *testing.T) {
			for _, tc := range []struct {
				method, path string
				body         any
			}{
				{"PATCH", "/api/v1/folders/" + a.ID, map[string]any{"name": "A2"}},
				{"DELETE", "/api/v1/folders/" + a1.ID, nil},
				{"POST", "/api/v1/folders", map[string]any{"name": "x", "parent_id": a.ID}},
				{"GET", "/api/v1/users", nil},
				{"GET", "/api/v1/audit", nil},
			} {
				r := e.call(tc.method, tc.path, bobToken, tc.body)
				if p := r.problem(t); r.status != 403 || p.Code != junction.EPERMISSIONDENIED {
					t.Errorf("%s %s: %d %+v, want 403", tc.method, tc.path, r.status, p)
				}
			}
		})
		t.Run("Me", func(t *testing.T) {
			var me struct {
				User    junction.User `json:"user"`
				Folders []struct {
					FolderID    string   `json:"folder_id"`
					FolderName  string   `json:"folder_name"`
					Permissions []string `json:"permissions"`
				} `json:"folders"`
				Permissions []string `json:"permissions"`
			}
			e.must(http.StatusOK, "GET", "/api/v1/me", bobToken, nil, &me)
			if me.User.ID != bob.ID || len(me.Folders) != 1 || me.Folders[0].FolderID != a.ID ||
				!slices.Contains(me.Folders[0].Permissions, string(junction.PermConnectionsExecute)) || len(me.Permissions) != 0 {
				t.Fatalf("me = %+v", me)
			}
		})
		t.Run("MoveIntoOwnSubtree", func(t *testing.T) {
			r := e.call("PATCH", "/api/v1/folders/"+a.ID, e.admin, map[string]any{"parent_id": a1.ID})
			if p := r.problem(t); r.status != 422 || p.Field != "parent_id" {
				t.Fatalf("move A under A1: %d %+v", r.status, p)
			}
			var f junction.Folder
			e.must(http.StatusOK, "PATCH", "/api/v1/folders/"+a1.ID, e.admin, map[string]any{"parent_id": b.ID}, &f)
			if !slices.Equal(f.Path, []string{b.ID, a1.ID}) {
				t.Fatalf("moved A1: %+v", f)
			}
			// Bob's role was on A, so A1 is now out of his sight.
			if r := e.call("GET", "/api/v1/folders/"+a1.ID, bobToken, nil); r.status != 404 {
				t.Fatalf("bob reads moved A1: %d", r.status)
			}
		})
	})
}

func TestAuthentication(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		carol, _ := e.createUser(e.admin, "carol", junction.RoleViewer)

		newToken := func(body map[string]any) (id, token string) {
			var tok struct {
				ID    string `json:"id"`
				Token string `json:"token"`
			}
			e.must(http.StatusCreated, "POST", "/api/v1/users/"+carol.ID+"/tokens", e.admin, body, &tok)
			if !strings.HasPrefix(tok.Token, "jct_") || len(tok.Token) != 4+43 {
				t.Fatalf("token %q does not look like jct_ + 43 characters", tok.Token)
			}
			return tok.ID, tok.Token
		}
		_, expiring := newToken(map[string]any{"name": "short", "expires_at": e.clock.Now().Add(time.Hour).Format(time.RFC3339)})
		revokedID, revoked := newToken(map[string]any{"name": "revoked"})
		_, disabled := newToken(map[string]any{"name": "for disabling"})

		e.must(http.StatusOK, "GET", "/api/v1/me", expiring, nil, nil)
		e.must(http.StatusNoContent, "DELETE", "/api/v1/tokens/"+revokedID, e.admin, nil, nil)

		var details []string
		check := func(name string, r *response) {
			t.Helper()
			p := r.problem(t)
			if r.status != 401 || p.Code != junction.EUNAUTHENTICATED || r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: %d %+v", name, r.status, p)
			}
			details = append(details, p.Detail)
		}
		check("no header", e.call("GET", "/api/v1/me", "", nil))
		check("basic auth", e.call("GET", "/api/v1/me", "", nil, "Authorization", "Basic YWRtaW46YWRtaW4="))
		check("unknown", e.call("GET", "/api/v1/me", "jct_nope", nil))
		check("revoked", e.call("GET", "/api/v1/me", revoked, nil))

		e.clock.Advance(2 * time.Hour)
		check("expired", e.call("GET", "/api/v1/me", expiring, nil))

		e.must(http.StatusOK, "GET", "/api/v1/me", disabled, nil, nil)
		e.must(http.StatusOK, "PATCH", "/api/v1/users/"+carol.ID, e.admin, map[string]any{"disabled": true}, nil)
		check("disabled user", e.call("GET", "/api/v1/me", disabled, nil))

		for _, d := range details[1:] {
			if d != details[0] {
				t.Errorf("401 details differ (%q vs %q): they must not tell which part was wrong", d, details[0])
			}
		}
		if r := e.call("POST", "/api/v1/users/"+carol.ID+"/tokens", e.admin,
			map[string]any{"expires_at": e.clock.Now().Add(-time.Minute).Format(time.RFC3339)}); r.status != 422 || r.problem(t).Field != "expires_at" {
			t.Errorf("token expiring in the past: %d %s", r.status, r.body)
		}
	})
}

func TestStrictBodies(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		for _, tc := range []struct {
			name        string
			body        any
			contentType string
			status      int
			code, field string
		}{
			{"UnknownField", `{"name":"x","colour":"red"}`, "", 422, junction.EINVALID, "colour"},
			{"WrongType", `{"name":42}`, "", 422, junction.EINVALID, "name"},
			{"NotAnObject", `["x"]`, "", 422, junction.EINVALID, ""},
			{"Malformed", `{"name":`, "", 400, junction.EBADJSON, ""},
			{"Garbage", `name=x`, "", 400, junction.EBADJSON, ""},
			{"TrailingData", `{"name":"x"} {"name":"y"}`, "", 400, junction.EBADJSON, ""},
			{"Empty", ``, "", 400, junction.EBADJSON, ""},
			{"NotJSON", `{"name":"x"}`, "text/plain", 415, junction.EUNSUPPORTEDMEDIA, ""},
			{"NoContentType", `{"name":"x"}`, "-", 415, junction.EUNSUPPORTEDMEDIA, ""},
			{"TooLarge", `{"name":"` + strings.Repeat("x", 1<<20) + `"}`, "", 413, junction.ETOOLARGE, ""},
			// The size is checked before the type: the client learns the limit.
			{"TooLargeNotJSON", `{"name":"` + strings.Repeat("x", 1<<20) + `"}`, "text/plain", 413, junction.ETOOLARGE, ""},
			{"EmptyName", `{"name":"  "}`, "", 422, junction.EINVALID, "name"},
			{"SlashInName", `{"name":"a/b"}`, "", 422, junction.EINVALID, "name"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ct := tc.contentType
				switch ct {
				case "":
					ct = "application/json"
				case "-":
					ct = ""
				}
				r := e.call("POST", "/api/v1/folders", e.admin, tc.body, "Content-Type", ct)
				p := r.problem(t)
				if r.status != tc.status || p.Code != tc.code || p.Field != tc.field {
					t.Fatalf("got %d %s field %q (%s), want %d %s field %q", r.status, p.Code, p.Field, p.Detail, tc.status, tc.code, tc.field)
				}
			})
		}
		t.Run("TooLargeChunkedNotJSON", func(t *testing.T) {
			// No Content-Length: the server has to read to the limit to
			// tell an oversized body from a merely mistyped one.
			for _, tc := range []struct {
				size   int
				status int
				code   string
			}{{1 << 21, 413, junction.ETOOLARGE}, {10, 415, junction.EUNSUPPORTEDMEDIA}} {
				body := io.MultiReader(strings.NewReader(strings.Repeat("x", tc.size)))
				req, err := http.NewRequest("POST", e.srv.URL+"/api/v1/folders", body)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+e.admin)
				req.Header.Set("Content-Type", "text/plain")
				resp, err := e.srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var p httpapi.Problem
				err = json.NewDecoder(resp.Body).Decode(&p)
				resp.Body.Close()
				if err != nil || resp.StatusCode != tc.status || p.Code != tc.code {
					t.Fatalf("%d bytes: %d %+v (%v), want %d %s", tc.size, resp.StatusCode, p, err, tc.status, tc.code)
				}
			}
		})
		t.Run("WrongTypeNested", func(t *testing.T) {
			r := e.call("POST", "/api/v1/roles", e.admin, `{"name":"r","permissions":"Assets.View"}`)
			if p := r.problem(t); r.status != 422 || p.Field != "permissions" {
				t.Fatalf("%d %+v", r.status, p)
			}
			r = e.call("POST", "/api/v1/roles", e.admin, `{"name":"r","permissions":["Assets.View","Assets.Fly"]}`)
			if p := r.problem(t); r.status != 422 || p.Field != "permissions[1]" || !strings.Contains(p.Detail, "Assets.Fly") {
				t.Fatalf("%d %+v", r.status, p)
			}
		})
	})
}

func TestProblemDocuments(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		r := e.call("GET", "/api/v1/folders/01890000-0000-7000-8000-000000000000", e.admin, nil, "X-Request-Id", "trace-123")
		p := r.problem(t)
		want := "trace-123"
		if r.status != 404 || p.Status != 404 || p.Type != "/errors/not_found" || p.Title != "Not Found" ||
			p.Code != junction.ENOTFOUND || p.Detail == "" || p.Instance != "/api/v1/folders/01890000-0000-7000-8000-000000000000" ||
			p.RequestID != want || r.header.Get("X-Request-Id") != want {
			t.Fatalf("problem = %+v, header %q", p, r.header.Get("X-Request-Id"))
		}

		t.Run("UnknownRoute", func(t *testing.T) {
			r := e.call("GET", "/api/v1/nothing-here", e.admin, nil)
			if p := r.problem(t); r.status != 404 || p.Code != junction.ENOTFOUND {
				t.Fatalf("%d %+v", r.status, p)
			}
		})
		t.Run("WrongMethod", func(t *testing.T) {
			r := e.call("PUT", "/api/v1/folders", e.admin, map[string]any{})
			if p := r.problem(t); r.status != 405 || p.Code != "method_not_allowed" || r.header.Get("Allow") != "GET, HEAD, POST" {
				t.Fatalf("%d %+v allow %q", r.status, p, r.header.Get("Allow"))
			}
		})
		t.Run("RequestIDs", func(t *testing.T) {
			r := e.call("GET", "/healthz", "", nil)
			generated := r.header.Get("X-Request-Id")
			if r.status != 200 || !junction.ValidID(generated) {
				t.Fatalf("healthz: %d, request id %q", r.status, generated)
			}
			r = e.call("GET", "/healthz", "", nil, "X-Request-Id", "bad id\twith spaces")
			if got := r.header.Get("X-Request-Id"); !junction.ValidID(got) {
				t.Fatalf("an insane incoming id was kept: %q", got)
			}
			// The access log names the request by its id, and never shows
			// the token.
			e.must(http.StatusOK, "GET", "/api/v1/me", e.admin, nil, nil)
			logs := e.logs.String()
			if !strings.Contains(logs, `"request_id":"trace-123"`) || !strings.Contains(logs, `"path":"/api/v1/folders/01890000-0000-7000-8000-000000000000"`) {
				t.Fatalf("access log lacks the request:\n%s", logs)
			}
			if strings.Contains(logs, e.admin) {
				t.Fatal("a token reached the log")
			}
		})
	})
}

func TestAudit(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t), envOptions{trustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		dave, daveToken := e.createUser(e.admin, "dave")
		r := e.call("POST", "/api/v1/folders", e.admin, map[string]any{"name": "Finance"},
			"X-Request-Id", "req-folder", "X-Forwarded-For", "198.51.100.9, 203.0.113.7")
		var f junction.Folder
		r.decode(t, &f)

		var l list[junction.AuditEntry]
		e.must(http.StatusOK, "GET", "/api/v1/audit?action=folder.create", e.admin, nil, &l)
		if len(l.Items) != 1 {
			t.Fatalf("audit = %+v", l.Items)
		}
		got := l.Items[0]
		if got.ObjectID != f.ID || got.ObjectType != "folder" || got.FolderID != f.ID || got.ActorName != "admin" ||
			got.RequestID != "req-folder" || got.IP != "203.0.113.7" || got.Outcome != "success" {
			t.Fatalf("audit entry = %+v", got)
		}
		e.must(http.StatusOK, "GET", "/api/v1/audit?object_type=user", e.admin, nil, &l)
		if len(l.Items) != 1 || l.Items[0].ObjectID != dave.ID || l.Items[0].Action != "user.create" {
			t.Fatalf("user audit = %+v", l.Items)
		}
		if r := e.call("GET", "/api/v1/audit", daveToken, nil); r.status != 403 {
			t.Fatalf("audit without Audit.View: %d", r.status)
		}
		if r := e.call("GET", "/api/v1/audit?since=yesterday", e.admin, nil); r.status != 422 || r.problem(t).Field != "since" {
			t.Fatalf("bad since: %d %s", r.status, r.body)
		}
	})
}

// A change that fails half-way leaves nothing behind: the user row written
// before the unknown role was found is rolled back with the rest.
func TestRollback(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		r := e.call("POST", "/api/v1/users", e.admin, map[string]any{"name": "erin", "roles": []string{junction.RoleViewer, "Astronaut"}})
		if p := r.problem(t); r.status != 422 || p.Field != "roles[1]" {
			t.Fatalf("%d %+v", r.status, p)
		}
		var users list[junction.User]
		e.must(http.StatusOK, "GET", "/api/v1/users?name=erin", e.admin, nil, &users)
		if len(users.Items) != 0 {
			t.Fatalf("erin exists after a failed create: %+v", users.Items)
		}
		var audit list[junction.AuditEntry]
		e.must(http.StatusOK, "GET", "/api/v1/audit?action=user.create", e.admin, nil, &audit)
		if len(audit.Items) != 0 {
			t.Fatalf("audit of a rolled-back change: %+v", audit.Items)
		}
		// The same name works afterwards: nothing of the failed attempt remains.
		e.must(http.StatusCreated, "POST", "/api/v1/users", e.admin, map[string]any{"name": "erin", "roles": []string{junction.RoleViewer}}, nil)

		// A tenant whose name is taken is refused as a whole.
		e.must(http.StatusCreated, "POST", "/api/v1/tenants", e.admin, map[string]any{"name": "twice"}, nil)
		if r := e.call("POST", "/api/v1/tenants", e.admin, map[string]any{"name": "twice"}); r.status != 409 {
			t.Fatalf("duplicate tenant: %d %s", r.status, r.body)
		}
		var tenants list[junction.Tenant]
		e.must(http.StatusOK, "GET", "/api/v1/tenants", e.admin, nil, &tenants)
		if len(tenants.Items) != 2 {
			t.Fatalf("tenants = %+v", tenants.Items)
		}
	})
}

func TestTenants(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		var created struct {
			Tenant  junction.Tenant `json:"tenant"`
			Admin   junction.User   `json:"admin"`
			TokenID string          `json:"token_id"`
			Token   string          `json:"token"`
		}
		e.must(http.StatusCreated, "POST", "/api/v1/tenants", e.admin, map[string]any{"name": "acme", "admin_name": "root"}, &created)
		if created.Tenant.Name != "acme" || created.Admin.Name != "root" || created.Admin.HostAdmin || created.Token == "" {
			t.Fatalf("created = %+v", created)
		}
		acme := created.Token

		var tenants list[junction.Tenant]
		e.must(http.StatusOK, "GET", "/api/v1/tenants", acme, nil, &tenants)
		if len(tenants.Items) != 1 || tenants.Items[0].ID != created.Tenant.ID {
			t.Fatalf("acme's admin lists tenants %+v", tenants.Items)
		}
		// The new tenant starts with its own Shared folder, roles and admin only.
		var folders list[junction.Folder]
		e.must(http.StatusOK, "GET", "/api/v1/folders", acme, nil, &folders)
		if len(folders.Items) != 1 || folders.Items[0].Name != junction.SharedFolderName || folders.Items[0].TenantID != created.Tenant.ID {
			t.Fatalf("acme folders = %+v", folders.Items)
		}
		var users list[junction.User]
		e.must(http.StatusOK, "GET", "/api/v1/users", acme, nil, &users)
		if len(users.Items) != 1 || users.Items[0].ID != created.Admin.ID {
			t.Fatalf("acme users = %+v", users.Items)
		}
		var roles list[junction.Role]
		e.must(http.StatusOK, "GET", "/api/v1/roles", acme, nil, &roles)
		if len(roles.Items) != len(junction.BuiltInRoles()) {
			t.Fatalf("acme roles = %d", len(roles.Items))
		}
		// The host administrator gets no access to the new tenant's objects.
		var me struct {
			User junction.User `json:"user"`
		}
		e.must(http.StatusOK, "GET", "/api/v1/me", e.admin, nil, &me)
		if r := e.call("GET", "/api/v1/users/"+created.Admin.ID, e.admin, nil); r.status != 404 {
			t.Fatalf("host admin reads acme's admin: %d", r.status)
		}
		if r := e.call("GET", "/api/v1/users/"+me.User.ID, acme, nil); r.status != 404 {
			t.Fatalf("acme reads the host admin: %d", r.status)
		}
		// Only host administrators create tenants.
		if r := e.call("POST", "/api/v1/tenants", acme, map[string]any{"name": "evil"}); r.status != 403 {
			t.Fatalf("tenant admin creates a tenant: %d", r.status)
		}
	})
}

func TestUsersAndRoles(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		var me struct {
			User junction.User `json:"user"`
		}
		e.must(http.StatusOK, "GET", "/api/v1/me", e.admin, nil, &me)

		if r := e.call("DELETE", "/api/v1/users/"+me.User.ID, e.admin, nil); r.status != 409 {
			t.Fatalf("delete yourself: %d", r.status)
		}
		frank, frankToken := e.createUser(e.admin, "frank", junction.RoleTenantAdmin)
		// The bootstrap admin is a host administrator: no tenant role
		// reaches it (TestHostAdminOutOfTenantReach covers the rest).
		if r := e.call("DELETE", "/api/v1/users/"+me.User.ID, frankToken, nil); r.status != 403 {
			t.Fatalf("delete the host admin: %d", r.status)
		}
		// The bootstrap admin giving up Tenant Administrator leaves frank.
		e.must(http.StatusOK, "PUT", "/api/v1/users/"+me.User.ID+"/roles", e.admin, map[string]any{"roles": []string{junction.RoleViewer}}, nil)
		// Now frank is the last one and keeps it.
		r := e.call("PUT", "/api/v1/users/"+frank.ID+"/roles", frankToken, map[string]any{"roles": []string{}})
		if p := r.problem(t); r.status != 409 || p.Code != junction.ECONFLICT {
			t.Fatalf("remove the last tenant admin: %d %+v", r.status, p)
		}

		// Custom roles: create, use on a folder, refuse deletion while assigned.
		var role junction.Role
		e.must(http.StatusCreated, "POST", "/api/v1/roles", frankToken, map[string]any{
			"name": "Auditor", "permissions": []string{"Audit.View", "Logs.View"},
		}, &role)
		if role.BuiltIn || !slices.Equal(role.Permissions, []junction.Permission{"Audit.View", "Logs.View"}) {
			t.Fatalf("role = %+v", role)
		}
		var tenantOnly junction.Role
		e.must(http.StatusCreated, "POST", "/api/v1/roles", frankToken, map[string]any{
			"name": "Reader", "permissions": []string{"Audit.View"},
		}, &tenantOnly)
		f := e.createFolder(frankToken, "Ops", "")
		gina, _ := e.createUser(frankToken, "gina")
		if r := e.call("PUT", "/api/v1/folders/"+f.ID+"/members/"+gina.ID, frankToken, map[string]any{"roles": []string{"Reader"}}); r.status != 422 {
			t.Fatalf("tenant-only role on a folder: %d %s", r.status, r.body)
		}
		e.must(http.StatusOK, "PUT", "/api/v1/folders/"+f.ID+"/members/"+gina.ID, frankToken, map[string]any{"roles": []string{"Auditor"}}, nil)
		var members list[struct {
			UserID string   `json:"user_id"`
			Roles  []string `json:"roles"`
		}]
		e.must(http.StatusOK, "GET", "/api/v1/folders/"+f.ID+"/members", frankToken, nil, &members)
		if len(members.Items) != 1 || members.Items[0].UserID != gina.ID {
			t.Fatalf("members = %+v", members.Items)
		}
		if r := e.call("DELETE", "/api/v1/roles/"+role.ID, frankToken, nil); r.status != 409 {
			t.Fatalf("delete a role in use: %d", r.status)
		}
		e.must(http.StatusNoContent, "DELETE", "/api/v1/folders/"+f.ID+"/members/"+gina.ID, frankToken, nil, nil)
		e.must(http.StatusNoContent, "DELETE", "/api/v1/roles/"+role.ID, frankToken, nil, nil)

		var roles list[junction.Role]
		e.must(http.StatusOK, "GET", "/api/v1/roles", frankToken, nil, &roles)
		for _, r := range roles.Items {
			if r.Name == junction.RoleViewer {
				if resp := e.call("PATCH", "/api/v1/roles/"+r.ID, frankToken, map[string]any{"description": "x"}); resp.status != 409 {
					t.Fatalf("change a built-in role: %d", resp.status)
				}
				if resp := e.call("DELETE", "/api/v1/roles/"+r.ID, frankToken, nil); resp.status != 409 {
					t.Fatalf("delete a built-in role: %d", resp.status)
				}
			}
		}
		// Users manage their own tokens without Users.Edit.
		var tok struct {
			ID    string `json:"id"`
			Token string `json:"token"`
		}
		_, ginaToken := e.createUser(frankToken, "gina2")
		var ginaMe struct {
			User junction.User `json:"user"`
		}
		e.must(http.StatusOK, "GET", "/api/v1/me", ginaToken, nil, &ginaMe)
		e.must(http.StatusCreated, "POST", "/api/v1/users/"+ginaMe.User.ID+"/tokens", ginaToken, map[string]any{"name": "mine"}, &tok)
		var toks list[junction.Token]
		e.must(http.StatusOK, "GET", "/api/v1/users/"+ginaMe.User.ID+"/tokens", ginaToken, nil, &toks)
		if len(toks.Items) != 2 {
			t.Fatalf("tokens = %+v", toks.Items)
		}
		if strings.Contains(string(e.call("GET", "/api/v1/users/"+ginaMe.User.ID+"/tokens", ginaToken, nil).body), "hash") {
			t.Fatal("token listing shows hashes")
		}
		if r := e.call("POST", "/api/v1/users/"+frank.ID+"/tokens", ginaToken, map[string]any{}); r.status != 403 {
			t.Fatalf("token for someone else: %d", r.status)
		}
		e.must(http.StatusNoContent, "DELETE", "/api/v1/tokens/"+tok.ID, ginaToken, nil, nil)
	})
}
