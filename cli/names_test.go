package cli_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"junction"
	"junction/cli"
)

// listCounter stands between the client and the API and counts the list
// requests (GET without an ID) each path receives.
type listCounter struct {
	mu    sync.Mutex
	lists map[string]int
}

func (e *env) countingRunner(t *testing.T) (*runner, *listCounter) {
	t.Helper()
	target, err := url.Parse(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	lc := &listCounter{lists: map[string]int{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Count(r.URL.Path, "/") == 3 {
			lc.mu.Lock()
			lc.lists[r.URL.Path]++
			lc.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return newRunner(t, map[string]string{cli.EnvServer: srv.URL, cli.EnvToken: e.srv.AdminToken}), lc
}

// take returns the counts so far and starts again.
func (lc *listCounter) take() map[string]int {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	out := lc.lists
	lc.lists = map[string]int{}
	return out
}

// Triggers have names that commands take, and tables and detail views
// show the names (and folder paths) of the objects they refer to, while
// -o json keeps the API's IDs.
func TestNamesInViews(t *testing.T) {
	e := newEnv(t)
	sales := e.folder("Sales")
	var eu junction.Folder
	e.api(http.StatusCreated, http.MethodPost, "/api/v1/folders", map[string]any{"name": "EU", "parent_id": sales}, &eu)
	conn := e.webhookConnection("Sales/EU")
	tr := e.create("triggers", "create", "--name", "Paid orders", "--folder", "Sales/EU", "--connection", "shop",
		"--object", "event", "--event", "received", "--target-queue", "orders")
	asset := e.create("assets", "create", "region", "--folder", "Sales/EU", "--type", "text", "--value", "eu-west")
	r, counts := e.countingRunner(t)

	t.Run("TriggerByName", func(t *testing.T) {
		out := r.must("triggers", "show", "Paid orders")
		wantContains(t, out, tr, "Name:", "Paid orders", "Sales/EU", "shop (webhook)")
		if strings.Contains(out, eu.ID) || strings.Contains(out, conn) {
			t.Fatalf("detail view shows IDs where names would do:\n%s", out)
		}
		wantContains(t, r.must("triggers", "show", "Sales/EU/Paid orders"), tr)
		counts.take()
	})
	t.Run("TriggerTable", func(t *testing.T) {
		out := r.must("triggers", "list")
		wantContains(t, out, "NAME", "Paid orders", "Sales/EU", "shop")
		if strings.Contains(out, conn) || strings.Contains(out, eu.ID) {
			t.Fatalf("table shows IDs where names would do:\n%s", out)
		}
		got := counts.take()
		for _, path := range []string{"/api/v1/folders", "/api/v1/connections", "/api/v1/triggers"} {
			if got[path] != 1 {
				t.Fatalf("%s listed %d times, want once: %v", path, got[path], got)
			}
		}
		js := r.must("triggers", "list", "-o", "json")
		wantContains(t, js, `"connection_id": "`+conn+`"`, `"folder_id": "`+eu.ID+`"`, `"name": "Paid orders"`)
		if got := counts.take(); got["/api/v1/folders"] != 0 || got["/api/v1/connections"] != 0 {
			t.Fatalf("-o json listed other kinds: %v", got)
		}
	})
	t.Run("Rename", func(t *testing.T) {
		wantContains(t, r.must("triggers", "update", "Paid orders", "--name", "Paid"), "Name:", "Paid")
		_, _, err := r.run("triggers", "create", "--name", "Paid", "--folder", "Sales/EU", "--connection", "shop",
			"--object", "event", "--event", "received", "--target-queue", "orders")
		wantCode(t, err, junction.ECONFLICT)
		if !strings.Contains(cli.FormatError(err), "--name") {
			t.Fatalf("conflict does not name the flag: %s", cli.FormatError(err))
		}
		wantContains(t, r.must("triggers", "list", "--name", "pai"), "Paid")
	})
	t.Run("ConnectionAndAsset", func(t *testing.T) {
		for _, args := range [][]string{
			{"connections", "list"}, {"connections", "show", "shop"}, {"assets", "list"}, {"assets", "show", asset},
		} {
			out := r.must(args...)
			wantContains(t, out, "Sales/EU")
			if strings.Contains(out, eu.ID) {
				t.Fatalf("%s shows the folder's ID:\n%s", strings.Join(args, " "), out)
			}
		}
	})
	t.Run("JobTrigger", func(t *testing.T) {
		hookURL, _ := e.get("/api/v1/triggers/" + tr)["webhook_url"].(string)
		postHook(t, hookURL, `{"type":"order.paid","id":"o-1"}`)
		var l struct {
			Items []junction.Job `json:"items"`
		}
		eventually(t, "a job", func() bool {
			e.api(http.StatusOK, "GET", "/api/v1/jobs?trigger_id="+tr, nil, &l)
			return len(l.Items) == 1
		})
		out := r.must("jobs", "list")
		wantContains(t, out, l.Items[0].ID, "Paid")
		if strings.Contains(out, tr) {
			t.Fatalf("jobs table shows the trigger's ID:\n%s", out)
		}
		wantContains(t, r.must("jobs", "show", l.Items[0].ID), "Trigger:", "Paid")
	})
}
