package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"junction"
)

func mustConnection(t *testing.T, s junction.Store, f *junction.Folder, connector, name string, isDefault bool) *junction.Connection {
	t.Helper()
	c := &junction.Connection{ID: junction.NewID(), TenantID: f.TenantID, FolderID: f.ID, Connector: connector, Name: name,
		AuthType: "api_key", Fields: map[string]junction.FieldValue{"base_url": {Value: "https://api.example.com"}},
		IsDefault: isDefault, Status: junction.ConnectionConnected, PollIntervalMinutes: 5, CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateConnection(ctxFor(t), c))
	return c
}

func wantConnection(t *testing.T, got, want *junction.Connection) {
	t.Helper()
	g, w := *got, *want
	if g.Fields == nil {
		g.Fields = map[string]junction.FieldValue{}
	}
	if w.Fields == nil {
		w.Fields = map[string]junction.FieldValue{}
	}
	if !g.CreatedAt.Equal(w.CreatedAt) || !g.UpdatedAt.Equal(w.UpdatedAt) {
		t.Fatalf("times read %v, %v, want %v, %v", g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt)
	}
	g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("read %+v, want %+v", got, want)
	}
}

func connIDs(cs []*junction.Connection) []string {
	return ids(cs, func(c *junction.Connection) string { return c.ID })
}

// defaults returns the IDs of the default connections of a tenant.
func defaults(t *testing.T, s junction.Store, tenantID string) []string {
	t.Helper()
	cs, err := s.ListConnections(ctxFor(t), tenantID, junction.ConnectionFilter{Page: junction.Page{Limit: junction.MaxPageSize}})
	must(t, err)
	var out []string
	for _, c := range cs {
		if c.IsDefault {
			out = append(out, c.ID)
		}
	}
	return out
}

func testConnections(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "Shared")
		g := mustFolder(t, s, tn.ID, nil, "Other")
		u := mustUser(t, s, tn.ID, "ann")
		c := &junction.Connection{ID: junction.NewID(), TenantID: tn.ID, FolderID: f.ID, Connector: "github", ConnectorVersion: "1.2.0", Name: "GitHub",
			AuthType: "oauth2", IsDefault: true, Status: junction.ConnectionConnected, PollIntervalMinutes: 15,
			ProxyURL: "http://proxy.example.com:3128", SecretsSealedID: junction.NewID(), TokenSealedID: junction.NewID(),
			CreatedBy: u.ID, CreatedAt: base, UpdatedAt: base,
			Fields: map[string]junction.FieldValue{
				"org":           {Value: "acme"},
				"client_secret": {Set: true},
				"password":      {AssetID: junction.NewID(), Part: "password"},
			}}
		must(t, s.CreateConnection(ctx, c))
		got, err := s.GetConnection(ctx, tn.ID, c.ID)
		must(t, err)
		wantConnection(t, got, c)

		// Every mutable column, a move to another folder included.
		c.FolderID, c.Name, c.AuthType, c.IsDefault = g.ID, "GitHub 2", "api_key", false
		c.Status, c.StatusReason = junction.ConnectionDisconnected, "the token was revoked"
		c.PollIntervalMinutes, c.ProxyURL, c.SecretsSealedID, c.TokenSealedID = 60, "", "", ""
		c.AuthFailures, c.ConnectorVersion = 3, "2.0.0"
		c.Fields = map[string]junction.FieldValue{"org": {Value: "acme-2"}}
		c.UpdatedAt = base.Add(later)
		sent := *c
		sent.Connector, sent.CreatedBy, sent.CreatedAt = "ignored", "ignored", base.Add(time.Hour)
		must(t, s.UpdateConnection(ctx, &sent))
		wantConnection(t, &sent, c) // the immutable columns are read back
		got, err = s.GetConnection(ctx, tn.ID, c.ID)
		must(t, err)
		wantConnection(t, got, c)

		// Numbers in fields come back as JSON numbers.
		c.Fields = map[string]junction.FieldValue{"page_size": {Value: 100}}
		must(t, s.UpdateConnection(ctx, c))
		got, err = s.GetConnection(ctx, tn.ID, c.ID)
		must(t, err)
		wantEqual(t, "numeric field", got.Fields["page_size"].Value, any(float64(100)))

		must(t, s.DeleteConnection(ctx, tn.ID, c.ID))
		_, err = s.GetConnection(ctx, tn.ID, c.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		ta, tb := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		fa := mustFolder(t, s, ta.ID, nil, "Shared")
		fb := mustFolder(t, s, tb.ID, nil, "Shared")
		c := mustConnection(t, s, fa, "github", "GitHub", true)

		_, err := s.GetConnection(ctx, ta.ID, junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.DeleteConnection(ctx, ta.ID, junction.NewID()), junction.ENOTFOUND)
		_, err = s.RecordAuthResult(ctx, ta.ID, junction.NewID(), false)
		wantCode(t, err, junction.ENOTFOUND)
		missing := *c
		missing.ID = junction.NewID()
		wantCode(t, s.UpdateConnection(ctx, &missing), junction.ENOTFOUND)

		// Another tenant's connection does not exist for tenant b.
		_, err = s.GetConnection(ctx, tb.ID, c.ID)
		wantCode(t, err, junction.ENOTFOUND)
		moved := *c
		moved.TenantID, moved.FolderID = tb.ID, fb.ID
		wantCode(t, s.UpdateConnection(ctx, &moved), junction.ENOTFOUND)
		wantCode(t, s.DeleteConnection(ctx, tb.ID, c.ID), junction.ENOTFOUND)
		_, err = s.RecordAuthResult(ctx, tb.ID, c.ID, false)
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.InTx(ctx, func(tx junction.Store) error {
			_, err := tx.LockConnection(ctx, tb.ID, c.ID)
			return err
		}), junction.ENOTFOUND)
		list, err := s.ListConnections(ctx, tb.ID, junction.ConnectionFilter{})
		must(t, err)
		wantEqual(t, "connections seen from b", len(list), 0)

		// Missing folders, or another tenant's.
		for name, folderID := range map[string]string{"missing folder": junction.NewID(), "other tenant folder": fb.ID} {
			bad := &junction.Connection{TenantID: ta.ID, FolderID: folderID, Connector: "github", Name: "x"}
			if err := s.CreateConnection(ctx, bad); junction.ErrorCode(err) != junction.ENOTFOUND {
				t.Fatalf("create in %s: error %v, want not_found", name, err)
			}
		}
		moved = *c
		moved.FolderID = fb.ID
		wantCode(t, s.UpdateConnection(ctx, &moved), junction.ENOTFOUND)
		got, err := s.GetConnection(ctx, ta.ID, c.ID)
		must(t, err)
		wantConnection(t, got, c)
	})

	t.Run("WithFolder", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		ta, tb := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		top := mustFolder(t, s, ta.ID, nil, "Shared")
		sub := mustFolder(t, s, ta.ID, top, "Team")
		c := mustConnection(t, s, sub, "github", "GitHub", true)

		got, f, err := s.GetConnectionWithFolder(ctx, ta.ID, c.ID)
		must(t, err)
		wantConnection(t, got, c)
		want, err := s.GetFolder(ctx, ta.ID, sub.ID)
		must(t, err)
		if f.ID != want.ID || f.TenantID != want.TenantID || f.ParentID != want.ParentID || f.Name != want.Name ||
			!slices.Equal(f.Path, want.Path) || !f.CreatedAt.Equal(want.CreatedAt) || !f.UpdatedAt.Equal(want.UpdatedAt) {
			t.Fatalf("folder = %+v, want %+v", f, want)
		}

		_, _, err = s.GetConnectionWithFolder(ctx, ta.ID, junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
		_, _, err = s.GetConnectionWithFolder(ctx, tb.ID, c.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f, g := mustFolder(t, s, tn.ID, nil, "F"), mustFolder(t, s, tn.ID, nil, "G")
		mustConnection(t, s, f, "github", "GitHub", false)
		other := mustConnection(t, s, g, "github", "GitHub", false) // same name, other folder: fine
		mustConnection(t, s, f, "jira", "Jira", false)
		err := s.CreateConnection(ctx, &junction.Connection{TenantID: tn.ID, FolderID: f.ID, Connector: "slack", Name: "GitHub"})
		wantCode(t, err, junction.ECONFLICT)
		if msg := junction.ErrorMessage(err); !containsAll(msg, `"GitHub"`) {
			t.Fatalf("message %q does not name the connection", msg)
		}
		other.FolderID = f.ID
		wantCode(t, s.UpdateConnection(ctx, other), junction.ECONFLICT)
		other.FolderID, other.Name = g.ID, "Jira"
		must(t, s.UpdateConnection(ctx, other))
		other.FolderID = f.ID
		wantCode(t, s.UpdateConnection(ctx, other), junction.ECONFLICT)
		dup := &junction.Connection{ID: other.ID, TenantID: tn.ID, FolderID: g.ID, Connector: "github", Name: "new"}
		wantCode(t, s.CreateConnection(ctx, dup), junction.ECONFLICT)
	})

	t.Run("Default", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f, g := mustFolder(t, s, tn.ID, nil, "F"), mustFolder(t, s, tn.ID, nil, "G")
		a := mustConnection(t, s, f, "github", "A", true)
		jira := mustConnection(t, s, f, "jira", "Jira", true) // another connector
		ga := mustConnection(t, s, g, "github", "GA", true)   // another folder
		wantIDs(t, "defaults", defaults(t, s, tn.ID), sorted(a.ID, jira.ID, ga.ID))

		// A new default takes the flag from the folder's other one.
		b := mustConnection(t, s, f, "github", "B", true)
		wantIDs(t, "defaults after creating B", defaults(t, s, tn.ID), sorted(b.ID, jira.ID, ga.ID))

		// So does an update, and one that leaves the flag unset keeps the
		// others'.
		a.IsDefault = true
		must(t, s.UpdateConnection(ctx, a))
		wantIDs(t, "defaults after updating A", defaults(t, s, tn.ID), sorted(a.ID, jira.ID, ga.ID))
		b.Name, b.IsDefault = "B2", false
		must(t, s.UpdateConnection(ctx, b))
		wantIDs(t, "defaults after renaming B", defaults(t, s, tn.ID), sorted(a.ID, jira.ID, ga.ID))

		// Moving a default into another folder takes that folder's flag, by
		// the stored connector even when the caller sends another.
		a.FolderID = g.ID
		a.Connector = "jira"
		must(t, s.UpdateConnection(ctx, a))
		wantEqual(t, "connector read back", a.Connector, "github")
		wantIDs(t, "defaults after moving A", defaults(t, s, tn.ID), sorted(a.ID, jira.ID))

		// Clearing the flag leaves the connector without a default.
		a.IsDefault = false
		must(t, s.UpdateConnection(ctx, a))
		wantIDs(t, "defaults after clearing A", defaults(t, s, tn.ID), []string{jira.ID})

		// Nothing changes when the update fails, the clearing included.
		j2 := mustConnection(t, s, f, "jira", "J2", false)
		j2.Name, j2.IsDefault = jira.Name, true
		wantCode(t, s.UpdateConnection(ctx, j2), junction.ECONFLICT)
		missing := *j2
		missing.ID, missing.Name = junction.NewID(), "J3"
		wantCode(t, s.UpdateConnection(ctx, &missing), junction.ENOTFOUND)
		wantIDs(t, "defaults after failed updates", defaults(t, s, tn.ID), []string{jira.ID})
	})

	t.Run("DefaultConcurrent", func(t *testing.T) {
		// Servers making different connections the default at once take
		// turns: every call succeeds and one default is left.
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		const n = 8
		cs := make([]*junction.Connection, n)
		for i := range cs {
			cs[i] = mustConnection(t, s, f, "github", fmt.Sprintf("c%d", i), i == 0)
		}
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for _, c := range cs {
			wg.Go(func() {
				c := *c
				c.IsDefault = true
				errs <- s.UpdateConnection(ctx, &c)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		wantEqual(t, "defaults left", len(defaults(t, s, tn.ID)), 1)
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		other := mustTenant(t, s, "other")
		mustConnection(t, s, mustFolder(t, s, other.ID, nil, "F"), "github", "elsewhere", false)
		f, g := mustFolder(t, s, tn.ID, nil, "F"), mustFolder(t, s, tn.ID, nil, "G")
		c1 := mustConnection(t, s, f, "github", "GitHub prod", true)
		c2 := mustConnection(t, s, f, "jira", "Jira_main", false)
		c3 := mustConnection(t, s, g, "github", "github test", false)
		c4 := mustConnection(t, s, g, "slack", "Slack", false)
		c4.Status, c4.StatusReason = junction.ConnectionDisconnected, "revoked"
		must(t, s.UpdateConnection(ctx, c4))
		list := func(cf junction.ConnectionFilter) []string {
			t.Helper()
			cs, err := s.ListConnections(ctx, tn.ID, cf)
			must(t, err)
			return connIDs(cs)
		}
		all := sorted(c1.ID, c2.ID, c3.ID, c4.ID)
		wantIDs(t, "all", list(junction.ConnectionFilter{}), all)
		wantIDs(t, "in F", list(junction.ConnectionFilter{FolderIDs: []string{f.ID}}), sorted(c1.ID, c2.ID))
		wantIDs(t, "in F and G", list(junction.ConnectionFilter{FolderIDs: []string{f.ID, g.ID}}), all)
		wantIDs(t, "in no folder", list(junction.ConnectionFilter{FolderIDs: []string{}}), nil)
		wantIDs(t, "github", list(junction.ConnectionFilter{Connector: "github"}), sorted(c1.ID, c3.ID))
		wantIDs(t, "disconnected", list(junction.ConnectionFilter{Status: junction.ConnectionDisconnected}), []string{c4.ID})
		wantIDs(t, "name contains github", list(junction.ConnectionFilter{NameContains: "GITHUB"}), sorted(c1.ID, c3.ID))
		wantIDs(t, "name contains _ literally", list(junction.ConnectionFilter{NameContains: "_"}), []string{c2.ID})
		wantIDs(t, "github in G", list(junction.ConnectionFilter{FolderIDs: []string{g.ID}, Connector: "github"}), []string{c3.ID})
		wantIDs(t, "by ID", list(junction.ConnectionFilter{IDs: []string{c2.ID, c4.ID, junction.NewID()}}), sorted(c2.ID, c4.ID))
		wantIDs(t, "by no ID", list(junction.ConnectionFilter{IDs: []string{}}), nil)
		testPaging(t, all, func(p junction.Page) []string { return list(junction.ConnectionFilter{Page: p}) })
	})

	t.Run("ErrDeleteFolder", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		a := mustFolder(t, s, tn.ID, nil, "A")
		b := mustFolder(t, s, tn.ID, a, "B")
		c := mustConnection(t, s, b, "github", "GitHub", false)
		err := s.DeleteFolder(ctx, tn.ID, a.ID)
		wantCode(t, err, junction.ECONFLICT)
		if msg := junction.ErrorMessage(err); !containsAll(msg, "connections") {
			t.Fatalf("message %q does not say connections are in the way", msg)
		}
		_, err = s.GetFolder(ctx, tn.ID, b.ID)
		must(t, err)
		must(t, s.DeleteConnection(ctx, tn.ID, c.ID))
		must(t, s.DeleteFolder(ctx, tn.ID, a.ID))
	})

	t.Run("DeleteRemovesSealedValues", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		secrets, token, verifier, unrelated := sealedValue(tn.ID, "k1"), sealedValue(tn.ID, "k1"), sealedValue(tn.ID, "k1"), sealedValue(tn.ID, "k1")
		for _, v := range []*junction.SealedValue{secrets, token, verifier, unrelated} {
			must(t, s.PutSealed(ctx, v))
		}
		c := mustConnection(t, s, f, "github", "GitHub", false)
		c.SecretsSealedID, c.TokenSealedID = secrets.ID, token.ID
		must(t, s.UpdateConnection(ctx, c))
		st := oauthState(c, base.Add(time.Hour))
		st.SealedID = verifier.ID
		must(t, s.CreateOAuthState(ctx, st))
		keep := mustConnection(t, s, f, "github", "Keep", false)
		keepState := oauthState(keep, base.Add(time.Hour))
		must(t, s.CreateOAuthState(ctx, keepState))

		must(t, s.DeleteConnection(ctx, tn.ID, c.ID))
		for _, v := range []*junction.SealedValue{secrets, token, verifier} {
			_, err := s.GetSealed(ctx, tn.ID, v.ID)
			wantCode(t, err, junction.ENOTFOUND)
		}
		_, err := s.GetSealed(ctx, tn.ID, unrelated.ID)
		must(t, err)
		_, err = s.TakeOAuthState(ctx, st.StateHash, base)
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.TakeOAuthState(ctx, keepState.StateHash, base)
		must(t, err)
	})

	t.Run("RecordAuthResult", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		c := mustConnection(t, s, f, "github", "GitHub", false)
		other := mustConnection(t, s, f, "github", "Other", false)

		// Concurrent failures are all counted, each caller seeing a
		// different count.
		const n = 20
		var wg sync.WaitGroup
		counts := make(chan int, n)
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				got, err := s.RecordAuthResult(ctx, tn.ID, c.ID, false)
				errs <- err
				counts <- got
			})
		}
		wg.Wait()
		close(errs)
		close(counts)
		for err := range errs {
			must(t, err)
		}
		seen := slices.Sorted(func(yield func(int) bool) {
			for v := range counts {
				if !yield(v) {
					return
				}
			}
		})
		for i, v := range seen {
			if v != i+1 {
				t.Fatalf("counts returned = %v, want 1..%d", seen, n)
			}
		}
		got, err := s.GetConnection(ctx, tn.ID, c.ID)
		must(t, err)
		wantEqual(t, "auth failures", got.AuthFailures, n)
		got, err = s.GetConnection(ctx, tn.ID, other.ID)
		must(t, err)
		wantEqual(t, "other's auth failures", got.AuthFailures, 0)

		k, err := s.RecordAuthResult(ctx, tn.ID, c.ID, true)
		must(t, err)
		wantEqual(t, "count after success", k, 0)
		k, err = s.RecordAuthResult(ctx, tn.ID, c.ID, false)
		must(t, err)
		wantEqual(t, "count after one more failure", k, 1)
	})

	t.Run("LockConnection", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		c := mustConnection(t, s, f, "github", "GitHub", false)

		_, err := s.LockConnection(ctx, tn.ID, c.ID)
		wantCode(t, err, junction.EINTERNAL)
		if msg := err.Error(); !containsAll(msg, "InTx") {
			t.Fatalf("error %q does not say LockConnection needs a transaction", msg)
		}
		must(t, s.InTx(ctx, func(tx junction.Store) error {
			got, err := tx.LockConnection(ctx, tn.ID, c.ID)
			if err != nil {
				return err
			}
			wantConnection(t, got, c)
			_, err = tx.LockConnection(ctx, tn.ID, junction.NewID())
			wantCode(t, err, junction.ENOTFOUND)
			return nil
		}))

		// Read-modify-write under the lock loses no update, however the
		// transactions interleave.
		const workers, each = 8, 3
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for range workers {
			wg.Go(func() {
				for range each {
					errs <- s.InTx(ctx, func(tx junction.Store) error {
						got, err := tx.LockConnection(ctx, tn.ID, c.ID)
						if err != nil {
							return err
						}
						got.PollIntervalMinutes++
						got.UpdatedAt = time.Time{}
						return tx.UpdateConnection(ctx, got)
					})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		got, err := s.GetConnection(ctx, tn.ID, c.ID)
		must(t, err)
		wantEqual(t, "increments kept", got.PollIntervalMinutes, c.PollIntervalMinutes+workers*each)
	})

	t.Run("Rollback", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		var c *junction.Connection
		err := s.InTx(ctx, func(tx junction.Store) error {
			c = mustConnection(t, tx, f, "github", "GitHub", true)
			must(t, tx.CreateOAuthState(ctx, oauthState(c, base.Add(time.Hour))))
			must(t, tx.AppendExecution(ctx, execution(c, "succeeded", base)))
			must(t, tx.AppendEvent(ctx, &junction.Event{TenantID: tn.ID, Type: "connection.disconnected"}))
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("InTx returned %v, want fn's error", err)
		}
		_, err = s.GetConnection(ctx, tn.ID, c.ID)
		wantCode(t, err, junction.ENOTFOUND)
		es, err := s.ListExecutions(ctx, tn.ID, junction.ExecutionFilter{})
		must(t, err)
		wantEqual(t, "executions after rollback", len(es), 0)
		evs, err := s.ListEvents(ctx, tn.ID, junction.Page{})
		must(t, err)
		wantEqual(t, "events after rollback", len(evs), 0)
	})
}
