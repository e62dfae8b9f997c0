package httpapi_test

import (
	"net/http"
	"testing"

	"junction"
)

// Query parameters that do not parse are refused before anything runs,
// naming the parameter at fault.
func TestQueryParameters(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		for _, tc := range []struct{ method, path, field string }{
			{"GET", "/api/v1/assets?subfolders=maybe", "subfolders"},
			{"GET", "/api/v1/assets?limit=0&subfolders=maybe", "limit"},
			{"GET", "/api/v1/connections?subfolders=maybe", "subfolders"},
			{"POST", "/api/v1/connections?test=maybe", "test"},
			{"GET", "/api/v1/triggers?enabled=maybe", "enabled"},
			{"GET", "/api/v1/audit?since=yesterday", "since"},
			{"GET", "/api/v1/audit?since=2030-01-01T00:00:00Z&until=tomorrow", "until"},
			{"GET", "/api/v1/executions?since=yesterday&until=tomorrow", "since"},
			{"GET", "/api/v1/executions?until=tomorrow", "until"},
			{"GET", "/api/v1/triggers/x/history?since=yesterday", "since"},
			{"GET", "/api/v1/folders?limit=501", "limit"},
			{"GET", "/api/v1/users?limit=1000", "limit"},
			{"GET", "/api/v1/executions?limit=99999999999999999999", "limit"},
			{"GET", "/api/v1/audit?limit=-1", "limit"},
		} {
			r := e.call(tc.method, tc.path, e.admin, nil)
			if r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity {
				t.Errorf("%s %s: status %d, want a validation error: %s", tc.method, tc.path, r.status, r.body)
				continue
			}
			if p := r.problem(t); p.Code != junction.EINVALID || p.Field != tc.field {
				t.Errorf("%s %s: code %q field %q, want %q on %q", tc.method, tc.path, p.Code, p.Field, junction.EINVALID, tc.field)
			}
		}
		// The maximum itself is a valid page size.
		e.must(http.StatusOK, "GET", "/api/v1/folders?limit=500", e.admin, nil, nil)
	})
}
