package storetest

import (
	"testing"
	"time"

	"junction"
)

// testDebug: a connection's debug_until and an execution's debug record
// are stored and read back as written, and both are off (nil) by default.
func testDebug(t *testing.T, open Open) {
	s := open(t)
	ctx := ctxFor(t)
	tn := mustTenant(t, s, "acme")
	c := mustConnection(t, s, mustFolder(t, s, tn.ID, nil, "F"), "github", "GitHub", false)
	got, err := s.GetConnection(ctx, tn.ID, c.ID)
	must(t, err)
	if got.DebugUntil != nil {
		t.Fatalf("debug_until of a new connection = %v, want nil", got.DebugUntil)
	}

	until := base.Add(2 * time.Hour)
	c.DebugUntil = &until
	must(t, s.UpdateConnection(ctx, c))
	got, err = s.GetConnection(ctx, tn.ID, c.ID)
	must(t, err)
	if got.DebugUntil == nil || !got.DebugUntil.Equal(until) {
		t.Fatalf("debug_until read %v, want %v", got.DebugUntil, until)
	}
	c.DebugUntil = nil
	must(t, s.UpdateConnection(ctx, c))
	got, err = s.GetConnection(ctx, tn.ID, c.ID)
	must(t, err)
	if got.DebugUntil != nil {
		t.Fatalf("debug_until after switching off = %v, want nil", got.DebugUntil)
	}

	debug := &junction.ExecutionDebug{Attempts: []junction.DebugAttempt{{
		Request: junction.DebugRequest{Method: "POST", URL: "https://api.example.com/v1/things?q=1",
			Headers: map[string][]string{"Authorization": {junction.Redacted}}, Body: `{"a":"é\u0000"}`},
		Response: &junction.DebugResponse{Status: 201, Headers: map[string][]string{"Content-Type": {"application/json"}},
			Body: `{"id":"x"}`, BodyTruncated: true},
	}}}
	with := &junction.Execution{ID: junction.NewID(), TenantID: tn.ID, FolderID: c.FolderID, ConnectionID: c.ID,
		Connector: "github", Activity: "create", Status: "succeeded", Attempts: 1, StartedAt: base, Debug: debug}
	without := &junction.Execution{ID: junction.NewID(), TenantID: tn.ID, FolderID: c.FolderID, ConnectionID: c.ID,
		Connector: "github", Activity: "create", Status: "succeeded", Attempts: 1, StartedAt: base}
	single := &junction.Execution{ID: junction.NewID(), TenantID: tn.ID, FolderID: c.FolderID, ConnectionID: c.ID,
		Connector: "github", Activity: "create", Status: "failed", Attempts: 1, StartedAt: base, Debug: debug}
	must(t, s.AppendExecutions(ctx, []*junction.Execution{with, without}))
	must(t, s.AppendExecution(ctx, single))

	for _, id := range []string{with.ID, single.ID} {
		x, err := s.GetExecution(ctx, tn.ID, id)
		must(t, err)
		if x.Debug == nil || len(x.Debug.Attempts) != 1 {
			t.Fatalf("debug read %+v, want one attempt", x.Debug)
		}
		a := x.Debug.Attempts[0]
		wantEqual(t, "method", a.Request.Method, "POST")
		wantEqual(t, "url", a.Request.URL, debug.Attempts[0].Request.URL)
		wantEqual(t, "authorization", a.Request.Headers["Authorization"][0], junction.Redacted)
		wantEqual(t, "request body", a.Request.Body, debug.Attempts[0].Request.Body)
		if a.Response == nil {
			t.Fatal("response not read back")
		}
		wantEqual(t, "status", a.Response.Status, 201)
		wantEqual(t, "response body", a.Response.Body, `{"id":"x"}`)
		wantEqual(t, "truncated", a.Response.BodyTruncated, true)
	}
	x, err := s.GetExecution(ctx, tn.ID, without.ID)
	must(t, err)
	if x.Debug != nil {
		t.Fatalf("debug of an execution without one = %+v, want nil", x.Debug)
	}
}
