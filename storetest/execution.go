package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"junction"
)

var errBoom = errors.New("boom")

func oauthState(c *junction.Connection, expires time.Time) *junction.OAuthState {
	return &junction.OAuthState{ID: junction.NewID(), TenantID: c.TenantID, ConnectionID: c.ID, UserID: junction.NewID(),
		StateHash: randomHash(), RedirectURI: "https://junction.example.com/oauth/callback",
		ExpiresAt: expires, CreatedAt: base}
}

func wantOAuthState(t *testing.T, got, want *junction.OAuthState) {
	t.Helper()
	wantEqual(t, "id", got.ID, want.ID)
	wantEqual(t, "tenant", got.TenantID, want.TenantID)
	wantEqual(t, "connection", got.ConnectionID, want.ConnectionID)
	wantEqual(t, "user", got.UserID, want.UserID)
	wantBytes(t, "state hash", got.StateHash, want.StateHash)
	wantEqual(t, "redirect URI", got.RedirectURI, want.RedirectURI)
	wantEqual(t, "sealed ID", got.SealedID, want.SealedID)
	wantTime(t, "expires", got.ExpiresAt, want.ExpiresAt)
	wantTime(t, "created", got.CreatedAt, want.CreatedAt)
}

func testOAuthStates(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		c := mustConnection(t, s, mustFolder(t, s, tn.ID, nil, "F"), "github", "GitHub", false)
		verifier := sealedValue(tn.ID, "k1")
		must(t, s.PutSealed(ctx, verifier))
		st := oauthState(c, base.Add(10*time.Minute))
		st.SealedID = verifier.ID
		must(t, s.CreateOAuthState(ctx, st))

		got, err := s.TakeOAuthState(ctx, st.StateHash, base.Add(time.Minute))
		must(t, err)
		wantOAuthState(t, got, st)
		// The verifier is the caller's to open and delete.
		_, err = s.GetSealed(ctx, tn.ID, verifier.ID)
		must(t, err)
		// Once only.
		_, err = s.TakeOAuthState(ctx, st.StateHash, base.Add(time.Minute))
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		ta, tb := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		c := mustConnection(t, s, mustFolder(t, s, ta.ID, nil, "F"), "github", "GitHub", false)
		_, err := s.TakeOAuthState(ctx, randomHash(), base)
		wantCode(t, err, junction.ENOTFOUND)
		for name, bad := range map[string]*junction.OAuthState{
			"missing connection":      {TenantID: ta.ID, ConnectionID: junction.NewID(), StateHash: randomHash(), ExpiresAt: base.Add(time.Hour)},
			"other tenant connection": {TenantID: tb.ID, ConnectionID: c.ID, StateHash: randomHash(), ExpiresAt: base.Add(time.Hour)},
		} {
			if err := s.CreateOAuthState(ctx, bad); junction.ErrorCode(err) != junction.ENOTFOUND {
				t.Fatalf("%s: error %v, want not_found", name, err)
			}
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		c := mustConnection(t, s, mustFolder(t, s, tn.ID, nil, "F"), "github", "GitHub", false)
		st := oauthState(c, base.Add(time.Hour))
		must(t, s.CreateOAuthState(ctx, st))
		dup := oauthState(c, base.Add(time.Hour))
		dup.StateHash = st.StateHash
		wantCode(t, s.CreateOAuthState(ctx, dup), junction.ECONFLICT)
	})

	t.Run("Expired", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		ta, tb := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		ca := mustConnection(t, s, mustFolder(t, s, ta.ID, nil, "F"), "github", "GitHub", false)
		cb := mustConnection(t, s, mustFolder(t, s, tb.ID, nil, "F"), "github", "GitHub", false)
		expires := base.Add(10 * time.Minute)
		var states []*junction.OAuthState
		var verifiers []*junction.SealedValue
		for _, c := range []*junction.Connection{ca, ca, cb} {
			v := sealedValue(c.TenantID, "k1")
			must(t, s.PutSealed(ctx, v))
			st := oauthState(c, expires)
			st.SealedID = v.ID
			must(t, s.CreateOAuthState(ctx, st))
			states, verifiers = append(states, st), append(verifiers, v)
		}
		fresh := oauthState(cb, expires.Add(time.Hour))
		must(t, s.CreateOAuthState(ctx, fresh))

		// At its expiry a state is gone, with its verifier; so are the
		// other expired states, of every tenant.
		_, err := s.TakeOAuthState(ctx, states[0].StateHash, expires)
		wantCode(t, err, junction.ENOTFOUND)
		for i, v := range verifiers {
			_, err := s.GetSealed(ctx, v.TenantID, v.ID)
			if junction.ErrorCode(err) != junction.ENOTFOUND {
				t.Fatalf("verifier %d of an expired state survived (err %v)", i, err)
			}
		}
		for _, st := range states {
			_, err := s.TakeOAuthState(ctx, st.StateHash, base)
			wantCode(t, err, junction.ENOTFOUND)
		}
		got, err := s.TakeOAuthState(ctx, fresh.StateHash, expires)
		must(t, err)
		wantOAuthState(t, got, fresh)
	})

	t.Run("ExpiredDroppedOnCreate", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		c := mustConnection(t, s, mustFolder(t, s, tn.ID, nil, "F"), "github", "GitHub", false)
		v := sealedValue(tn.ID, "k1")
		must(t, s.PutSealed(ctx, v))
		old := oauthState(c, base.Add(time.Minute))
		old.SealedID = v.ID
		must(t, s.CreateOAuthState(ctx, old))
		next := oauthState(c, base.Add(time.Hour))
		next.CreatedAt = base.Add(time.Minute)
		must(t, s.CreateOAuthState(ctx, next))
		_, err := s.GetSealed(ctx, tn.ID, v.ID)
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.TakeOAuthState(ctx, old.StateHash, base)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("TakeOnce", func(t *testing.T) {
		// Callbacks racing with one state: exactly one gets it.
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		c := mustConnection(t, s, mustFolder(t, s, tn.ID, nil, "F"), "github", "GitHub", false)
		const rounds, racers = 5, 2
		for range rounds {
			st := oauthState(c, base.Add(time.Hour))
			must(t, s.CreateOAuthState(ctx, st))
			var wg sync.WaitGroup
			errs := make(chan error, racers)
			start := make(chan struct{})
			for range racers {
				wg.Go(func() {
					<-start
					_, err := s.TakeOAuthState(ctx, st.StateHash, base)
					errs <- err
				})
			}
			close(start)
			wg.Wait()
			close(errs)
			won := 0
			for err := range errs {
				switch junction.ErrorCode(err) {
				case "":
					won++
				case junction.ENOTFOUND:
				default:
					t.Fatalf("take: %v", err)
				}
			}
			wantEqual(t, "takes that won", won, 1)
		}
	})
}

func execution(c *junction.Connection, status string, started time.Time) *junction.Execution {
	e := &junction.Execution{ID: junction.NewID(), TenantID: c.TenantID, FolderID: c.FolderID, ConnectionID: c.ID,
		Connector: c.Connector, Activity: "issues.list", Status: status, HTTPStatus: 200, Attempts: 1, DurationMS: 42,
		CallerID: "user-1", StartedAt: started}
	if status == "failed" {
		e.HTTPStatus, e.ErrorCode, e.Attempts = 503, junction.EPROVIDER, 3
	}
	return e
}

func testExecutions(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		c := mustConnection(t, s, mustFolder(t, s, tn.ID, nil, "F"), "github", "GitHub", false)
		e := execution(c, "failed", base)
		must(t, s.AppendExecution(ctx, e))
		got, err := s.GetExecution(ctx, tn.ID, e.ID)
		must(t, err)
		if *got != *e {
			t.Fatalf("got %+v, want %+v", got, e)
		}
		// A retry names the execution it retried; a failure keeps its
		// input sealed.
		input := sealedValue(tn.ID, "k1")
		retry := execution(c, "failed", base.Add(time.Minute))
		retry.RetryOf, retry.Input = e.ID, input
		must(t, s.AppendExecutions(ctx, []*junction.Execution{retry}))
		wantEqual(t, "input ID", retry.InputSealedID, input.ID)
		retry.Input = nil
		got, err = s.GetExecution(ctx, tn.ID, retry.ID)
		must(t, err)
		if *got != *retry {
			t.Fatalf("got %+v, want %+v", got, retry)
		}
		kept, err := s.GetSealed(ctx, tn.ID, input.ID)
		must(t, err)
		wantSealed(t, kept, input)
		// One at a time too.
		single := execution(c, "failed", base.Add(2*time.Minute))
		single.Input = sealedValue(tn.ID, "k1")
		must(t, s.AppendExecution(ctx, single))
		_, err = s.GetSealed(ctx, tn.ID, single.Input.ID)
		must(t, err)

		// Executions outlive their connection; the inputs they kept for
		// retrying through it do not.
		must(t, s.DeleteConnection(ctx, tn.ID, c.ID))
		_, err = s.GetSealed(ctx, tn.ID, input.ID)
		wantCode(t, err, junction.ENOTFOUND)
		es, err := s.ListExecutions(ctx, tn.ID, junction.ExecutionFilter{})
		must(t, err)
		_, err = s.GetSealed(ctx, tn.ID, single.InputSealedID)
		wantCode(t, err, junction.ENOTFOUND)
		retry.InputSealedID = ""
		if len(es) != 3 || *es[1] != *retry || *es[2] != *e || es[0].InputSealedID != "" {
			t.Fatalf("read %+v, want [%s %+v %+v]", es, single.ID, retry, e)
		}

		// Empty IDs and start times are filled.
		blank := &junction.Execution{TenantID: tn.ID, Activity: "ping", Status: "succeeded"}
		must(t, s.AppendExecution(ctx, blank))
		if blank.ID == "" || blank.StartedAt.IsZero() {
			t.Fatalf("AppendExecution left %+v unfilled", blank)
		}
	})

	// PostgreSQL keeps no NUL and no invalid UTF-8 in text; the record is
	// kept anyway, alike on every database.
	t.Run("UnstorableText", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		c := mustConnection(t, s, mustFolder(t, s, tn.ID, nil, "F"), "github", "GitHub", false)
		one, two := execution(c, "failed", base), execution(c, "failed", base.Add(time.Second))
		one.Activity, one.CallerID = "issues.\x00list", "user-\xff"
		two.Activity, two.ErrorCode = "\x00", "bad\x00code"
		must(t, s.AppendExecution(ctx, one))
		must(t, s.AppendExecutions(ctx, []*junction.Execution{two}))
		es, err := s.ListExecutions(ctx, tn.ID, junction.ExecutionFilter{})
		must(t, err)
		if len(es) != 2 {
			t.Fatalf("read %d executions, want 2", len(es))
		}
		// Newest first.
		wantEqual(t, "activity", es[1].Activity, `issues.\u0000list`)
		wantEqual(t, "caller", es[1].CallerID, "user-\uFFFD")
		wantEqual(t, "activity", es[0].Activity, `\u0000`)
		wantEqual(t, "error code", es[0].ErrorCode, `bad\u0000code`)
	})

	t.Run("ForgetInputs", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		ta, tb := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		ca := mustConnection(t, s, mustFolder(t, s, ta.ID, nil, "F"), "github", "GitHub", false)
		cb := mustConnection(t, s, mustFolder(t, s, tb.ID, nil, "F"), "github", "GitHub", false)
		kept := func(c *junction.Connection, started time.Time) (*junction.Execution, *junction.SealedValue) {
			t.Helper()
			v := sealedValue(c.TenantID, "k1")
			x := execution(c, "failed", started)
			x.Input = v
			must(t, s.AppendExecution(ctx, x))
			return x, v
		}
		oldA, oldAInput := kept(ca, base)
		oldB, oldBInput := kept(cb, base.Add(time.Minute))
		old2, _ := kept(ca, base.Add(2*time.Minute))
		fresh, freshInput := kept(ca, base.Add(time.Hour))
		must(t, s.AppendExecution(ctx, execution(ca, "succeeded", base)))

		// Oldest first, across tenants, limit at a time.
		n, err := s.ForgetExecutionInputs(ctx, base.Add(time.Hour), 2)
		must(t, err)
		wantEqual(t, "forgotten", n, 2)
		for _, x := range []*junction.Execution{oldA, oldB} {
			got, err := s.GetExecution(ctx, x.TenantID, x.ID)
			must(t, err)
			wantEqual(t, "input of a forgotten execution", got.InputSealedID, "")
		}
		for _, v := range []*junction.SealedValue{oldAInput, oldBInput} {
			_, err := s.GetSealed(ctx, v.TenantID, v.ID)
			wantCode(t, err, junction.ENOTFOUND)
		}
		n, err = s.ForgetExecutionInputs(ctx, base.Add(time.Hour), 10)
		must(t, err)
		wantEqual(t, "forgotten next", n, 1)
		got, err := s.GetExecution(ctx, ta.ID, old2.ID)
		must(t, err)
		wantEqual(t, "input of the third", got.InputSealedID, "")
		// An input kept at the bound or later stays.
		got, err = s.GetExecution(ctx, ta.ID, fresh.ID)
		must(t, err)
		wantEqual(t, "input of a fresh execution", got.InputSealedID, freshInput.ID)
		_, err = s.GetSealed(ctx, ta.ID, freshInput.ID)
		must(t, err)
		n, err = s.ForgetExecutionInputs(ctx, base.Add(time.Hour), 10)
		must(t, err)
		wantEqual(t, "forgotten once done", n, 0)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn, other := mustTenant(t, s, "acme"), mustTenant(t, s, "other")
		c := mustConnection(t, s, mustFolder(t, s, tn.ID, nil, "F"), "github", "GitHub", false)
		e := execution(c, "failed", base)
		must(t, s.AppendExecution(ctx, e))
		_, err := s.GetExecution(ctx, tn.ID, junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.GetExecution(ctx, other.ID, e.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		c := mustConnection(t, s, mustFolder(t, s, tn.ID, nil, "F"), "github", "GitHub", false)
		e := execution(c, "succeeded", base)
		must(t, s.AppendExecution(ctx, e))
		dup := *e
		wantCode(t, s.AppendExecution(ctx, &dup), junction.ECONFLICT)
		err := s.AppendExecution(ctx, &junction.Execution{TenantID: junction.NewID(), Activity: "x", Status: "succeeded"})
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("Batch", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		c := mustConnection(t, s, mustFolder(t, s, tn.ID, nil, "F"), "github", "GitHub", false)
		must(t, s.AppendExecutions(ctx, nil))
		// More than one INSERT's worth.
		const n = 1234
		batch := make([]*junction.Execution, n)
		want := make([]string, n)
		for i := range batch {
			batch[i] = execution(c, "succeeded", base.Add(time.Duration(i)*time.Millisecond))
			batch[i].ID = ""
		}
		must(t, s.AppendExecutions(ctx, batch))
		for i, e := range batch {
			if e.ID == "" {
				t.Fatalf("execution %d has no ID", i)
			}
			want[i] = e.ID
		}
		var got []string
		after := ""
		for {
			es, err := s.ListExecutions(ctx, tn.ID, junction.ExecutionFilter{Page: junction.Page{Limit: junction.MaxPageSize, After: after}})
			must(t, err)
			if len(es) == 0 {
				break
			}
			for i, e := range es {
				if e.StartedAt.IsZero() || e.Status != "succeeded" {
					t.Fatalf("execution %d read back as %+v", len(got)+i, e)
				}
			}
			got = append(got, ids(es, func(e *junction.Execution) string { return e.ID })...)
			after = got[len(got)-1]
		}
		wantIDs(t, "batch, newest first", got, newestFirst(want...))

		// All or none: a clash in the middle keeps the whole batch out.
		bad := []*junction.Execution{execution(c, "failed", base), execution(c, "failed", base), execution(c, "failed", base)}
		bad[1].ID = want[7]
		bad[0].Input = sealedValue(tn.ID, "k1")
		wantCode(t, s.AppendExecutions(ctx, bad), junction.ECONFLICT)
		_, err := s.GetSealed(ctx, tn.ID, bad[0].Input.ID)
		wantCode(t, err, junction.ENOTFOUND)
		es, err := s.ListExecutions(ctx, tn.ID, junction.ExecutionFilter{Status: "failed"})
		must(t, err)
		wantEqual(t, "failed executions after a failed batch", len(es), 0)
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		other := mustTenant(t, s, "other")
		f, g := mustFolder(t, s, tn.ID, nil, "F"), mustFolder(t, s, tn.ID, nil, "G")
		c1 := mustConnection(t, s, f, "github", "GitHub", false)
		c2 := mustConnection(t, s, g, "jira", "Jira", false)
		oc := mustConnection(t, s, mustFolder(t, s, other.ID, nil, "F"), "github", "GitHub", false)
		must(t, s.AppendExecution(ctx, execution(oc, "succeeded", base)))
		at := func(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }
		e1 := execution(c1, "succeeded", at(0))
		e2 := execution(c1, "failed", at(1))
		e3 := execution(c2, "succeeded", at(2))
		e4 := execution(c2, "failed", at(3))
		e5 := execution(c1, "succeeded", at(4))
		must(t, s.AppendExecutions(ctx, []*junction.Execution{e1, e2, e3, e4, e5}))
		list := func(ef junction.ExecutionFilter) []string {
			t.Helper()
			es, err := s.ListExecutions(ctx, tn.ID, ef)
			must(t, err)
			return ids(es, func(e *junction.Execution) string { return e.ID })
		}
		// Newest first: an operator looks for what just happened.
		all := []string{e5.ID, e4.ID, e3.ID, e2.ID, e1.ID}
		wantIDs(t, "newest first", all, newestFirst(all...))
		wantIDs(t, "all", list(junction.ExecutionFilter{}), all)
		wantIDs(t, "in F", list(junction.ExecutionFilter{FolderIDs: []string{f.ID}}), newestFirst(e1.ID, e2.ID, e5.ID))
		wantIDs(t, "in F and G", list(junction.ExecutionFilter{FolderIDs: []string{f.ID, g.ID}}), all)
		wantIDs(t, "in no folder", list(junction.ExecutionFilter{FolderIDs: []string{}}), nil)
		wantIDs(t, "connection 2", list(junction.ExecutionFilter{ConnectionID: c2.ID}), newestFirst(e3.ID, e4.ID))
		wantIDs(t, "failed", list(junction.ExecutionFilter{Status: "failed"}), newestFirst(e2.ID, e4.ID))
		wantIDs(t, "since", list(junction.ExecutionFilter{Since: at(3)}), newestFirst(e4.ID, e5.ID))
		wantIDs(t, "until", list(junction.ExecutionFilter{Until: at(1)}), []string{e1.ID})
		wantIDs(t, "between", list(junction.ExecutionFilter{Since: at(1), Until: at(3)}), newestFirst(e2.ID, e3.ID))
		wantIDs(t, "failed on connection 1 since 1", list(junction.ExecutionFilter{ConnectionID: c1.ID, Status: "failed", Since: at(1)}),
			[]string{e2.ID})
		wantIDs(t, "other tenant's connection", list(junction.ExecutionFilter{ConnectionID: oc.ID}), nil)
		testPaging(t, all, func(p junction.Page) []string { return list(junction.ExecutionFilter{Page: p}) })
		testPaging(t, newestFirst(e1.ID, e2.ID, e5.ID), func(p junction.Page) []string {
			return list(junction.ExecutionFilter{ConnectionID: c1.ID, Page: p})
		})
	})
}

func testEvents(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		e := &junction.Event{ID: junction.NewID(), TenantID: tn.ID, Type: "connection.disconnected", ObjectType: "connection",
			ObjectID: junction.NewID(), FolderID: junction.NewID(), At: base,
			Details: map[string]any{"reason": "the token was revoked", "failures": 3}}
		must(t, s.AppendEvent(ctx, e))
		es, err := s.ListEvents(ctx, tn.ID, junction.Page{})
		must(t, err)
		if len(es) != 1 {
			t.Fatalf("read %d events, want 1", len(es))
		}
		got := es[0]
		if got.ID != e.ID || got.TenantID != e.TenantID || got.Type != e.Type || got.ObjectType != e.ObjectType ||
			got.ObjectID != e.ObjectID || got.FolderID != e.FolderID || !got.At.Equal(e.At) ||
			got.Details["reason"] != "the token was revoked" || got.Details["failures"] != float64(3) {
			t.Fatalf("read %+v, want %+v", got, e)
		}

		blank := &junction.Event{TenantID: tn.ID, Type: "trigger.disabled"}
		must(t, s.AppendEvent(ctx, blank))
		if blank.ID == "" || blank.At.IsZero() {
			t.Fatalf("AppendEvent left %+v unfilled", blank)
		}
		es, err = s.ListEvents(ctx, tn.ID, junction.Page{})
		must(t, err)
		wantEqual(t, "events", len(es), 2)
		if es[1].Details != nil {
			t.Fatalf("details of an event without any = %v", es[1].Details)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		e := &junction.Event{TenantID: tn.ID, Type: "x"}
		must(t, s.AppendEvent(ctx, e))
		dup := *e
		wantCode(t, s.AppendEvent(ctx, &dup), junction.ECONFLICT)
		wantCode(t, s.AppendEvent(ctx, &junction.Event{TenantID: junction.NewID(), Type: "x"}), junction.ENOTFOUND)
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		a, b := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		var want []string
		for i := range 5 {
			e := &junction.Event{TenantID: a.ID, Type: fmt.Sprintf("event.%d", i), At: base}
			must(t, s.AppendEvent(ctx, e))
			want = append(want, e.ID)
			must(t, s.AppendEvent(ctx, &junction.Event{TenantID: b.ID, Type: "elsewhere"}))
		}
		// IDs from NewID grow, so newest is last.
		wantIDs(t, "in append order", want, sorted(want...))
		testPaging(t, want, func(p junction.Page) []string {
			es, err := s.ListEvents(ctx, a.ID, p)
			must(t, err)
			return ids(es, func(e *junction.Event) string { return e.ID })
		})
	})
}
