package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"junction"
)

// TestListUsersFilters: GET /api/v1/users keeps the users in a status, or
// holding a role tenant-wide or on any folder; an unknown status or role
// is refused naming its parameter.
func TestListUsersFilters(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		f := e.createFolder(e.admin, "Team", "")
		e.createUser(e.admin, "ann", junction.RoleViewer)
		bob, _ := e.createUser(e.admin, "bob", junction.RoleViewer)
		cid, _ := e.createUser(e.admin, "cid")
		e.must(http.StatusOK, "PATCH", "/api/v1/users/"+bob.ID, e.admin, map[string]any{"disabled": true}, nil)
		e.must(http.StatusOK, "PUT", "/api/v1/folders/"+f.ID+"/members/"+cid.ID, e.admin,
			map[string]any{"roles": []string{junction.RoleAutomationUser}}, nil)

		names := func(query url.Values) []string {
			t.Helper()
			var users list[junction.User]
			e.must(http.StatusOK, "GET", "/api/v1/users?"+query.Encode(), e.admin, nil, &users)
			var out []string
			for _, u := range users.Items {
				if u.Name != "ann" && u.Name != "bob" && u.Name != "cid" {
					continue // the bootstrapped administrator
				}
				out = append(out, u.Name)
			}
			slices.Sort(out)
			return out
		}
		for _, tc := range []struct {
			query url.Values
			want  []string
		}{
			{url.Values{"status": {"disabled"}}, []string{"bob"}},
			{url.Values{"status": {"active"}}, []string{"ann", "cid"}},
			{url.Values{"role": {junction.RoleViewer}}, []string{"ann", "bob"}},
			{url.Values{"role": {junction.RoleAutomationUser}}, []string{"cid"}},
			{url.Values{"role": {junction.RoleViewer}, "status": {"active"}}, []string{"ann"}},
			{url.Values{"role": {junction.RoleRobot}}, nil},
			{url.Values{"name": {"B"}, "status": {"disabled"}}, []string{"bob"}},
		} {
			if got := names(tc.query); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.query.Encode(), got, tc.want)
			}
		}

		for _, tc := range []struct{ query, field string }{
			{"status=enabled", "status"},
			{"role=Astronaut", "role"},
		} {
			r := e.call("GET", "/api/v1/users?"+tc.query, e.admin, nil)
			if p := r.problem(t); r.status != http.StatusUnprocessableEntity || p.Code != junction.EINVALID || p.Field != tc.field {
				t.Errorf("%s: %d %+v, want %s on %s", tc.query, r.status, p, junction.EINVALID, tc.field)
			}
		}
	})
}
