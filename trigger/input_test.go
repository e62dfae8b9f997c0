package trigger_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/connector"
	"junction/engine"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

const githubToken = "ghp-simulated-token-1"

// githubAPI reproduces GitHub's list of a repository's issues
// (GET /repos/{owner}/{repo}/issues): a bearer token, state, sort,
// direction and since (ISO 8601, issues updated at or after it), pages of
// per_page issues linked by a Link header with rel="next", and 404 for a
// repository it does not have. It records each list call per repository.
type githubAPI struct {
	*httptest.Server
	mu     sync.Mutex
	repos  map[string][]map[string]any // "owner/repo" -> issues
	calls  map[string][]url.Values     // "owner/repo" -> queries of the calls
	nextID int
}

func newGitHubAPI(t testing.TB, repos ...string) *githubAPI {
	api := &githubAPI{repos: map[string][]map[string]any{}, calls: map[string][]url.Values{}, nextID: 1000}
	for _, r := range repos {
		api.repos[r] = nil
	}
	api.Server = httptest.NewTLSServer(http.HandlerFunc(api.serve))
	t.Cleanup(api.Close)
	return api
}

func (a *githubAPI) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if r.Header.Get("Authorization") != "Bearer "+githubToken {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"Bad credentials"}`))
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet || len(parts) != 4 || parts[0] != "repos" || parts[3] != "issues" {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"Not Found"}`))
		return
	}
	repo := parts[1] + "/" + parts[2]
	a.mu.Lock()
	defer a.mu.Unlock()
	issues, ok := a.repos[repo]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"Not Found"}`))
		return
	}
	q := r.URL.Query()
	a.calls[repo] = append(a.calls[repo], q)
	var since time.Time
	if s := q.Get("since"); s != "" {
		var err error
		if since, err = time.Parse(time.RFC3339, s); err != nil {
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = w.Write([]byte(`{"message":"Validation Failed"}`))
			return
		}
	}
	updated := func(is map[string]any) time.Time {
		at, _ := time.Parse(time.RFC3339, is["updated_at"].(string))
		return at
	}
	var match []map[string]any
	for _, is := range issues {
		if q.Get("state") != "all" && is["state"] != cmpOr(q.Get("state"), "open") {
			continue
		}
		if !updated(is).Before(since) {
			match = append(match, is)
		}
	}
	if q.Get("sort") == "updated" {
		slices.SortStableFunc(match, func(x, y map[string]any) int {
			c := updated(x).Compare(updated(y))
			if q.Get("direction") == "desc" {
				c = -c
			}
			return c
		})
	}
	perPage, _ := strconv.Atoi(cmpOr(q.Get("per_page"), "30"))
	page, _ := strconv.Atoi(cmpOr(q.Get("page"), "1"))
	from := min((page-1)*perPage, len(match))
	to := min(from+perPage, len(match))
	if to < len(match) {
		next := *r.URL
		nq := next.Query()
		nq.Set("page", strconv.Itoa(page+1))
		next.RawQuery = nq.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<https://%s%s>; rel="next"`, r.Host, next.RequestURI()))
	}
	_ = json.NewEncoder(w).Encode(append([]map[string]any{}, match[from:to]...))
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// open files a new issue in repo (or changes one, given its number) at t.
func (a *githubAPI) open(repo string, number int, created, updated time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, is := range a.repos[repo] {
		if is["number"] == number {
			is["updated_at"] = updated.UTC().Format(time.RFC3339)
			return is["id"].(int)
		}
	}
	a.nextID++
	a.repos[repo] = append(a.repos[repo], map[string]any{
		"id": a.nextID, "number": number, "title": fmt.Sprintf("issue %d of %s", number, repo), "state": "open",
		"created_at": created.UTC().Format(time.RFC3339), "updated_at": updated.UTC().Format(time.RFC3339),
	})
	return a.nextID
}

// listCalls returns the queries of the list calls repo answered.
func (a *githubAPI) listCalls(repo string) []url.Values {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls[repo])
}

// githubCatalog is the built-in catalog plus the test connectors and
// "github_sim": the built-in GitHub definition, unchanged but for its key
// and a base URL taken from a connection field, so that it can be pointed
// at the simulator.
func githubCatalog(t testing.TB) *connector.Catalog {
	t.Helper()
	dir := t.TempDir()
	tickets, err := os.ReadFile(filepath.Join("testdata", "connectors", "tickets.yaml"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "tickets.yaml"), tickets, 0o600))
	gh, err := fs.ReadFile(connector.Builtin(), "github.yaml")
	must(t, err)
	def := string(gh)
	for _, r := range []struct{ old, new string }{
		{"key: github\n", "key: github_sim\n"},
		{"base_url: https://api.github.com\n", "base_url: \"{base_url}\"\n"},
		{"fields:\n  - name: webhook_secret\n", "fields:\n  - {name: base_url, type: text, required: true}\n  - name: webhook_secret\n"},
	} {
		if !strings.Contains(def, r.old) {
			t.Fatalf("github.yaml no longer has %q", r.old)
		}
		def = strings.Replace(def, r.old, r.new, 1)
	}
	must(t, os.WriteFile(filepath.Join(dir, "github_sim.yaml"), []byte(def), 0o600))
	cat, err := connector.LoadCatalog(connector.Builtin(), dir)
	must(t, err)
	return cat
}

// githubConnection connects env's tenant to the simulator with a token.
func (e *env) githubConnection(t testing.TB, api *githubAPI) *junction.Connection {
	t.Helper()
	c := &junction.Connection{ID: junction.NewID(), TenantID: e.tenant.ID, FolderID: e.folder.ID, Connector: "github_sim",
		Name: "github", AuthType: "bearer", Status: junction.ConnectionConnected, PollIntervalMinutes: 5,
		Fields: map[string]junction.FieldValue{"base_url": {Value: api.URL}, "token": {Set: true}}}
	c.SecretsSealedID = junction.NewID()
	sv, err := engine.SealSecrets(e.ring, c.TenantID, c.SecretsSealedID, map[string]junction.Secret{
		"token": junction.NewSecret(githubToken)})
	must(t, err)
	must(t, e.db.PutSealed(e.ctx, sv))
	must(t, e.db.CreateConnection(e.ctx, c))
	return c
}

// issueTrigger saves a polling trigger on the connection's issue event the
// way the API does: validated first.
func (e *env) issueTrigger(t testing.TB, s *server, conn *junction.Connection, event string, params map[string]any) *junction.Trigger {
	t.Helper()
	tr := &junction.Trigger{ID: junction.NewID(), TenantID: e.tenant.ID, FolderID: e.folder.ID, ConnectionID: conn.ID,
		Connector: conn.Connector, Object: "issue", Event: event, Kind: junction.TriggerPolling, Parameters: params,
		Target: junction.TriggerTarget{Type: junction.TargetQueue, Name: "issues"}, Enabled: true, CreatedAt: e.clock.Now()}
	must(t, s.rt.Validate(e.ctx, tr))
	must(t, e.db.CreateTrigger(e.ctx, tr))
	return tr
}

// TestPollInputHash pins the hash of the empty input (migration 0004 gives
// it to the poll states kept before inputs were) and checks that equal
// inputs hash alike however they were decoded.
func TestPollInputHash(t *testing.T) {
	empty, err := trigger.PollInputHash(nil)
	must(t, err)
	if empty != "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" {
		t.Fatalf("hash of the empty input = %s", empty)
	}
	if h, _ := trigger.PollInputHash(map[string]any{}); h != empty {
		t.Fatalf("{} and nil hash apart: %s", h)
	}
	var decoded map[string]any
	must(t, json.Unmarshal([]byte(`{"repo":"hello","owner":"octo","labels":["bug"],"n":1.0}`), &decoded))
	same := []map[string]any{
		decoded,
		{"owner": "octo", "repo": "hello", "labels": []any{"bug"}, "n": 1},
		{"n": json.Number("1"), "labels": []any{"bug"}, "repo": "hello", "owner": "octo"},
	}
	want, err := trigger.PollInputHash(same[0])
	must(t, err)
	for i, in := range same[1:] {
		if h, _ := trigger.PollInputHash(in); h != want {
			t.Fatalf("input %d hashes %s, want %s", i+1, h, want)
		}
	}
	for _, in := range []map[string]any{
		{"owner": "octo", "repo": "world", "labels": []any{"bug"}, "n": 1},
		{"owner": "octo", "repo": "hello", "labels": []any{"bug"}, "n": 1.5},
		{"owner": "octo", "repo": "hello", "labels": []any{"bug"}, "n": "1"},
	} {
		if h, _ := trigger.PollInputHash(in); h == want {
			t.Fatalf("%v hashes like %v", in, decoded)
		}
	}
}

// TestValidatePollInput refuses polling triggers whose parameters miss an
// input the list operation requires or give one of the wrong type, naming
// the parameter, for the built-in GitHub definition.
func TestValidatePollInput(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	s := e.startServer(t, db)
	check := func(kind junction.TriggerKind, params map[string]any) error {
		return s.rt.Validate(e.ctx, &junction.Trigger{Connector: "github", Object: "issue", Event: "created", Kind: kind,
			Parameters: params, Target: junction.TriggerTarget{Type: junction.TargetQueue, Name: "issues"}})
	}
	for _, c := range []struct {
		name   string
		params map[string]any
		field  string
	}{
		{"NoParameters", nil, "parameters.owner"},
		{"NoRepo", map[string]any{"owner": "octo"}, "parameters.repo"},
		{"NullRepo", map[string]any{"owner": "octo", "repo": nil}, "parameters.repo"},
		{"EmptyOwner", map[string]any{"owner": "", "repo": "hello"}, "parameters.owner"},
		{"RepoNotString", map[string]any{"owner": "octo", "repo": 42.0}, "parameters.repo"},
		{"LabelsNotArray", map[string]any{"owner": "octo", "repo": "hello", "labels": "bug"}, "parameters.labels"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := check(junction.TriggerPolling, c.params)
			var je *junction.Error
			if !junction.IsCode(err, junction.EINVALID) || !errors.As(err, &je) || je.Field != c.field {
				t.Fatalf("Validate = %v, want validation_failed on %s", err, c.field)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		// state is set by the polling itself: as a parameter it goes to
		// the job only, and is not checked against the input's values.
		must(t, check(junction.TriggerPolling, map[string]any{"owner": "octo", "repo": "hello",
			"labels": []any{"bug"}, "state": "whatever", "flow": "triage"}))
		// Webhook triggers take no list input.
		must(t, check(junction.TriggerWebhook, nil))
	})
}

// TestPollingPerRepository polls a GitHub-like API through the built-in
// GitHub definition: two triggers on one repository share one poll per
// interval, a trigger on another repository gets its own, each new issue
// fires exactly once for each trigger on its repository, and every
// parameter reaches the job.
func TestPollingPerRepository(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t, sqldb.Options{})
			e := newEnv(t, db)
			e.cat = githubCatalog(t)
			s := e.startServer(t, db)
			events := subscribe(t, s)
			api := newGitHubAPI(t, "octo/hello", "octo/world")
			conn := e.githubConnection(t, api)
			old := start.Add(-24 * time.Hour)
			api.open("octo/hello", 1, old, old)
			api.open("octo/world", 1, old, old)

			triage := e.issueTrigger(t, s, conn, "created", map[string]any{"owner": "octo", "repo": "hello", "flow": "triage"})
			// Another trigger on the same repository; state is the
			// polling's own input, so it is not part of this poll's input.
			notify := e.issueTrigger(t, s, conn, "created", map[string]any{"repo": "hello", "owner": "octo", "flow": "notify",
				"state": "open"})
			world := e.issueTrigger(t, s, conn, "created", map[string]any{"owner": "octo", "repo": "world"})
			_, helloHash, err := s.rt.PollInput(triage)
			must(t, err)
			if _, h, _ := s.rt.PollInput(notify); h != helloHash {
				t.Fatal("two triggers on one repository have different poll inputs")
			}
			_, worldHash, err := s.rt.PollInput(world)
			must(t, err)
			if worldHash == helloHash {
				t.Fatal("triggers on two repositories have the same poll input")
			}

			interval := func(want int) {
				t.Helper()
				e.schedulePolls(t, s, events, want)
				// Scheduling again within the interval adds nothing.
				if n, err := s.rt.SchedulePolls(e.ctx); err != nil || n != 0 {
					t.Fatalf("scheduled %d polls again within the interval (%v)", n, err)
				}
			}
			interval(2) // the baseline of each repository

			h2 := api.open("octo/hello", 2, start.Add(time.Minute), start.Add(time.Minute))
			h3 := api.open("octo/hello", 3, start.Add(2*time.Minute), start.Add(2*time.Minute))
			w2 := api.open("octo/world", 2, start.Add(3*time.Minute), start.Add(3*time.Minute))
			e.clock.Advance(5 * time.Minute)
			interval(2)

			// Nothing new, but the look-back lists the recent issues again;
			// an edit of h2 is no new issue.
			api.open("octo/hello", 2, start.Add(time.Minute), start.Add(6*time.Minute))
			e.clock.Advance(5 * time.Minute)
			interval(2)

			h4 := api.open("octo/hello", 4, start.Add(11*time.Minute), start.Add(11*time.Minute))
			e.clock.Advance(5 * time.Minute)
			interval(2)

			ids := func(ns ...int) []string {
				out := make([]string, len(ns))
				for i, n := range ns {
					out[i] = strconv.Itoa(n)
				}
				return out
			}
			wantStrings(t, "triage jobs", jobObjects(e.jobs(t, triage.ID)), ids(h2, h3, h4))
			wantStrings(t, "notify jobs", jobObjects(e.jobs(t, notify.ID)), ids(h2, h3, h4))
			wantStrings(t, "world jobs", jobObjects(e.jobs(t, world.ID)), ids(w2))
			j := e.jobs(t, notify.ID)[0]
			if j.Parameters["owner"] != "octo" || j.Parameters["repo"] != "hello" || j.Parameters["flow"] != "notify" ||
				j.Parameters["state"] != "open" {
				t.Fatalf("job parameters = %v", j.Parameters)
			}

			// One list call per repository and interval, whatever the
			// number of triggers; since is sent once there is a watermark,
			// with the polling's own state, sort and direction.
			for _, repo := range []string{"octo/hello", "octo/world"} {
				calls := api.listCalls(repo)
				if len(calls) != 4 {
					t.Fatalf("%s listed %d times in 4 intervals, want 4", repo, len(calls))
				}
				for i, q := range calls {
					if q.Get("state") != "all" || q.Get("sort") != "updated" || q.Get("direction") != "asc" {
						t.Fatalf("%s call %d query = %v", repo, i, q)
					}
					if (i == 0) != (q.Get("since") == "") {
						t.Fatalf("%s call %d since = %q", repo, i, q.Get("since"))
					}
				}
			}
			for _, h := range []string{helloHash, worldHash} {
				st, err := db.GetPollState(e.ctx, e.tenant.ID, conn.ID, "issue", "created", h)
				must(t, err)
				if !st.Baselined || st.InputHash != h {
					t.Fatalf("poll state = %+v", st)
				}
			}
		})
	}
}

// TestPollingMissingRepository records a poll of a repository the API does
// not have as a failure of the triggers on it only.
func TestPollingMissingRepository(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	e.cat = githubCatalog(t)
	s := e.startServer(t, db)
	api := newGitHubAPI(t, "octo/hello")
	conn := e.githubConnection(t, api)
	good := e.issueTrigger(t, s, conn, "created", map[string]any{"owner": "octo", "repo": "hello"})
	gone := e.issueTrigger(t, s, conn, "created", map[string]any{"owner": "octo", "repo": "gone"})
	slot := trigger.Slot(e.clock.Now(), trigger.PollInterval(conn.PollIntervalMinutes))
	// An empty InputHash polls every input of the event.
	must(t, s.rt.Poll(e.ctx, junction.PollSubscription{TenantID: conn.TenantID, ConnectionID: conn.ID,
		Object: "issue", Event: "created"}, slot))
	g, err := db.GetTrigger(e.ctx, e.tenant.ID, good.ID)
	must(t, err)
	b, err := db.GetTrigger(e.ctx, e.tenant.ID, gone.ID)
	must(t, err)
	if g.ConsecutiveFailures != 0 || g.BaselineAt == nil || b.ConsecutiveFailures != 1 || b.BaselineAt != nil {
		t.Fatalf("good: %d failures, baseline %v; gone: %d failures, baseline %v",
			g.ConsecutiveFailures, g.BaselineAt, b.ConsecutiveFailures, b.BaselineAt)
	}
	hist := e.history(t, gone.ID)
	if len(hist) != 1 || hist[0].Status != junction.TriggerFailed || !strings.Contains(hist[0].Reason, "404") {
		t.Fatalf("history of the missing repository's trigger = %+v", hist)
	}
}
