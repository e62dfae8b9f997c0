package storecache_test

import (
	"context"
	"crypto/rand"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/clocktest"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/storecache"
	"junction/storetest"
)

// The cache is a Store: it passes the same conformance suite as the
// databases it wraps, on each of them.
func TestConformance(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) junction.Store {
				db := b.Open(t, sqldb.Options{})
				return run(t, storecache.New(db, storecache.Options{Feed: db}))
			})
		})
	}
}

// run follows s's feed until the test ends and waits until it listens.
func run(t *testing.T, s *storecache.Store) *storecache.Store {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitLive(t, s)
	return s
}

// waitLive waits until s caches, which for a PostgreSQL feed is once its
// LISTEN has taken effect.
func waitLive(t *testing.T, s *storecache.Store) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !s.Live(); {
		if time.Now().After(deadline) {
			t.Fatal("the cache's change feed did not connect within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type fixture struct {
	tenant *junction.Tenant
	user   *junction.User
	token  *junction.Token
	folder *junction.Folder
	conn   *junction.Connection
	cstore *junction.CredentialStoreConfig
	asset  *junction.Asset
}

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newFixture(t *testing.T, s junction.Store) *fixture {
	t.Helper()
	ctx := t.Context()
	id := junction.NewID()
	f := &fixture{}
	f.tenant = &junction.Tenant{ID: junction.NewID(), Name: "t" + id, CreatedAt: epoch}
	must(t, s.CreateTenant(ctx, f.tenant))
	tid := f.tenant.ID
	f.user = &junction.User{ID: junction.NewID(), TenantID: tid, Name: "robot", CreatedAt: epoch, UpdatedAt: epoch}
	must(t, s.CreateUser(ctx, f.user))
	hash := make([]byte, 32)
	_, _ = rand.Read(hash)
	f.token = &junction.Token{ID: junction.NewID(), TenantID: tid, UserID: f.user.ID, Name: "ci", Hash: hash, CreatedAt: epoch}
	must(t, s.CreateToken(ctx, f.token))
	role := &junction.Role{ID: junction.NewID(), TenantID: tid, Name: "runner",
		Permissions: []junction.Permission{junction.PermConnectionsExecute}, CreatedAt: epoch, UpdatedAt: epoch}
	must(t, s.CreateRole(ctx, role))
	fid := junction.NewID()
	f.folder = &junction.Folder{ID: fid, TenantID: tid, Name: "Finance", Path: []string{fid}, CreatedAt: epoch, UpdatedAt: epoch}
	must(t, s.CreateFolder(ctx, f.folder))
	must(t, s.SetAssignments(ctx, tid, f.user.ID, fid, []string{role.ID}))
	f.cstore = &junction.CredentialStoreConfig{ID: junction.NewID(), TenantID: tid, Name: "vault", Type: "hashicorp-vault",
		Config: map[string]string{"address": "https://vault.example.com"}, CreatedAt: epoch, UpdatedAt: epoch}
	must(t, s.CreateCredentialStore(ctx, f.cstore))
	f.asset = &junction.Asset{ID: junction.NewID(), TenantID: tid, FolderID: fid, Name: "api-key", Type: junction.AssetSecret,
		StoreID: f.cstore.ID, ExternalName: "kv/api", CreatedAt: epoch, UpdatedAt: epoch}
	must(t, s.CreateAsset(ctx, f.asset))
	f.conn = &junction.Connection{ID: junction.NewID(), TenantID: tid, FolderID: fid, Connector: "http", Name: "api",
		AuthType: "api_key", Status: junction.ConnectionConnected, PollIntervalMinutes: 5,
		Fields:    map[string]junction.FieldValue{"base_url": {Value: "https://api.example.com"}, "api_key": {AssetID: f.asset.ID}},
		CreatedAt: epoch, UpdatedAt: epoch}
	must(t, s.CreateConnection(ctx, f.conn))
	return f
}

// newTrigger creates an enabled webhook trigger on the fixture's
// connection, with a random token hash.
func (f *fixture) newTrigger(t *testing.T, s junction.Store) *junction.Trigger {
	t.Helper()
	hash := make([]byte, 32)
	_, _ = rand.Read(hash)
	tr := &junction.Trigger{ID: junction.NewID(), TenantID: f.tenant.ID, FolderID: f.folder.ID, ConnectionID: f.conn.ID,
		Connector: "http", Object: "event", Event: "received", Kind: junction.TriggerWebhook,
		Target: junction.TriggerTarget{Type: junction.TargetQueue, Name: "inbox"}, Enabled: true,
		WebhookTokenHash: hash, CreatedAt: epoch, UpdatedAt: epoch}
	must(t, s.CreateTrigger(t.Context(), tr))
	return tr
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// readAll makes the three cached lookups.
func (f *fixture) readAll(t *testing.T, s junction.Store) (*junction.TokenPrincipal, *junction.Connection, *junction.Folder, *junction.Asset, *junction.CredentialStoreConfig) {
	t.Helper()
	ctx := t.Context()
	p, err := s.GetTokenPrincipal(ctx, f.token.Hash)
	must(t, err)
	c, fo, err := s.GetConnectionWithFolder(ctx, f.tenant.ID, f.conn.ID)
	must(t, err)
	a, cs, err := s.GetAssetWithStore(ctx, f.tenant.ID, f.asset.ID)
	must(t, err)
	return p, c, fo, a, cs
}

// A second lookup is answered from memory: a change made behind the
// cache's back (straight to the database, as no server does on SQLite) is
// not seen until the entry expires.
func TestServesFromMemoryUntilMaxAge(t *testing.T) {
	db := sqldbtest.Open(t)
	clock := clocktest.New(epoch)
	s := storecache.New(db, storecache.Options{Clock: clock, MaxAge: time.Minute})
	f := newFixture(t, db)
	ctx := t.Context()
	f.readAll(t, s)

	must(t, db.RevokeToken(ctx, f.tenant.ID, f.token.ID, epoch))
	f.conn.Name = "renamed"
	must(t, db.UpdateConnection(ctx, f.conn))
	f.asset.ExternalName = "kv/other"
	must(t, db.UpdateAsset(ctx, f.asset))

	p, c, _, a, _ := f.readAll(t, s)
	if p.Token.RevokedAt != nil || c.Name != "api" || a.ExternalName != "kv/api" {
		t.Fatalf("within MaxAge the cached answers should be served: revoked=%v name=%q external=%q",
			p.Token.RevokedAt, c.Name, a.ExternalName)
	}
	clock.Advance(time.Minute)
	p, c, _, a, _ = f.readAll(t, s)
	if p.Token.RevokedAt == nil || c.Name != "renamed" || a.ExternalName != "kv/other" {
		t.Fatal("after MaxAge every entry should be read again")
	}
}

// A trigger found by its webhook token is served from memory until it is
// written to: its settings, its health, or its deletion, whether directly
// or inside a transaction; a write to a trigger keeps the other cached
// lookups.
func TestTriggerByTokenInvalidated(t *testing.T) {
	db := sqldbtest.Open(t)
	s := storecache.New(db, storecache.Options{})
	f := newFixture(t, db)
	ctx := t.Context()
	tr := f.newTrigger(t, db)
	hash := tr.WebhookTokenHash
	get := func() *junction.Trigger {
		t.Helper()
		got, err := s.GetTriggerByTokenHash(ctx, hash)
		must(t, err)
		return got
	}
	get()
	f.readAll(t, s)

	// Behind the cache's back the change is not seen: it came from memory.
	tr.Filter = "true"
	must(t, db.UpdateTrigger(ctx, tr))
	if get().Filter != "" {
		t.Fatal("the second lookup read the database")
	}

	f.conn.Name = "behind-the-back"
	must(t, db.UpdateConnection(ctx, f.conn))
	for _, w := range []struct {
		name  string
		write func() error
		check func(*junction.Trigger) bool
	}{
		{"UpdateTrigger", func() error { tr.Enabled = false; return s.UpdateTrigger(ctx, tr) },
			func(got *junction.Trigger) bool { return !got.Enabled }},
		{"RecordTriggerResult", func() error { _, err := s.RecordTriggerResult(ctx, tr.TenantID, tr.ID, false, epoch); return err },
			func(got *junction.Trigger) bool { return got.ConsecutiveFailures == 1 }},
		{"RecordTriggerSuccesses", func() error { return s.RecordTriggerSuccesses(ctx, []string{tr.ID}, epoch.Add(time.Minute)) },
			func(got *junction.Trigger) bool { return got.ConsecutiveFailures == 0 }},
		{"InTx", func() error {
			return s.InTx(ctx, func(tx junction.Store) error {
				_, err := tx.RecordTriggerResult(ctx, tr.TenantID, tr.ID, false, epoch.Add(2*time.Minute))
				return err
			})
		}, func(got *junction.Trigger) bool { return got.ConsecutiveFailures == 1 }},
	} {
		get()
		must(t, w.write())
		if !w.check(get()) {
			t.Errorf("%s: the next lookup returned the trigger from before the write", w.name)
		}
	}
	if _, c, _, _, _ := f.readAll(t, s); c.Name == "behind-the-back" {
		t.Error("a write to a trigger dropped the cached connection")
	}

	must(t, s.DeleteTrigger(ctx, tr.TenantID, tr.ID))
	if _, err := s.GetTriggerByTokenHash(ctx, hash); !junction.IsCode(err, junction.ENOTFOUND) {
		t.Errorf("after DeleteTrigger: err = %v, want not found", err)
	}
}

// A rotated webhook token stops being served at once; the token a
// rotation left working for a grace period is served until the period
// ends by the cache's clock, though the entry found by it would still be
// within MaxAge, and never after.
func TestRotatedWebhookTokenRetires(t *testing.T) {
	clock := clocktest.New(epoch)
	db := sqldbtest.OpenOptions(t, sqldb.Options{Clock: clock})
	s := storecache.New(db, storecache.Options{Clock: clock, MaxAge: time.Hour})
	f := newFixture(t, db)
	ctx := t.Context()
	tr := f.newTrigger(t, s)
	first := tr.WebhookTokenHash
	lookup := func(hash []byte) error {
		t.Helper()
		_, err := s.GetTriggerByTokenHash(ctx, hash)
		return err
	}
	must(t, lookup(first))

	// Rotated with a minute's grace: both tokens work, from memory too.
	second := make([]byte, 32)
	_, _ = rand.Read(second)
	grace := epoch.Add(time.Minute)
	tr.WebhookTokenHash, tr.PreviousWebhookTokenHash, tr.PreviousWebhookTokenExpiresAt = second, first, &grace
	must(t, s.UpdateTrigger(ctx, tr))
	for range 2 {
		must(t, lookup(first))
		must(t, lookup(second))
	}
	clock.Advance(time.Minute)
	if err := lookup(first); !junction.IsCode(err, junction.ENOTFOUND) {
		t.Fatalf("the retired token: err = %v, want not found", err)
	}
	must(t, lookup(second))

	// Rotated with no grace: the token rotated away is not served from
	// memory either.
	third := make([]byte, 32)
	_, _ = rand.Read(third)
	tr.WebhookTokenHash, tr.PreviousWebhookTokenHash, tr.PreviousWebhookTokenExpiresAt = third, nil, nil
	must(t, s.UpdateTrigger(ctx, tr))
	if err := lookup(second); !junction.IsCode(err, junction.ENOTFOUND) {
		t.Fatalf("the token rotated away: err = %v, want not found", err)
	}
	must(t, lookup(third))
}

// Every write through the cache that changes what it holds is seen by the
// very next lookup.
func TestWritesInvalidate(t *testing.T) {
	db := sqldbtest.Open(t)
	s := storecache.New(db, storecache.Options{})
	f := newFixture(t, db)
	ctx := t.Context()
	tid := f.tenant.ID

	cases := []struct {
		name  string
		write func() error
		check func(p *junction.TokenPrincipal, c *junction.Connection, fo *junction.Folder, a *junction.Asset, cs *junction.CredentialStoreConfig) bool
	}{
		{"RevokeToken", func() error { return s.RevokeToken(ctx, tid, f.token.ID, epoch) },
			func(p *junction.TokenPrincipal, _ *junction.Connection, _ *junction.Folder, _ *junction.Asset, _ *junction.CredentialStoreConfig) bool {
				return p.Token.RevokedAt != nil
			}},
		{"UpdateUser", func() error { f.user.Disabled = true; return s.UpdateUser(ctx, f.user) },
			func(p *junction.TokenPrincipal, _ *junction.Connection, _ *junction.Folder, _ *junction.Asset, _ *junction.CredentialStoreConfig) bool {
				return p.User.Disabled
			}},
		{"SetAssignments", func() error { return s.SetAssignments(ctx, tid, f.user.ID, f.folder.ID, nil) },
			func(p *junction.TokenPrincipal, _ *junction.Connection, _ *junction.Folder, _ *junction.Asset, _ *junction.CredentialStoreConfig) bool {
				return len(p.Assignments) == 0
			}},
		{"UpdateFolder", func() error { f.folder.Name = "Treasury"; return s.UpdateFolder(ctx, f.folder) },
			func(_ *junction.TokenPrincipal, _ *junction.Connection, fo *junction.Folder, _ *junction.Asset, _ *junction.CredentialStoreConfig) bool {
				return fo.Name == "Treasury"
			}},
		{"UpdateConnection", func() error { f.conn.Status = junction.ConnectionDisabled; return s.UpdateConnection(ctx, f.conn) },
			func(_ *junction.TokenPrincipal, c *junction.Connection, _ *junction.Folder, _ *junction.Asset, _ *junction.CredentialStoreConfig) bool {
				return c.Status == junction.ConnectionDisabled
			}},
		{"RecordAuthResult", func() error { _, err := s.RecordAuthResult(ctx, tid, f.conn.ID, false); return err },
			func(_ *junction.TokenPrincipal, c *junction.Connection, _ *junction.Folder, _ *junction.Asset, _ *junction.CredentialStoreConfig) bool {
				return c.AuthFailures == 1
			}},
		{"UpdateAsset", func() error { f.asset.ExternalName = "kv/rotated"; return s.UpdateAsset(ctx, f.asset) },
			func(_ *junction.TokenPrincipal, _ *junction.Connection, _ *junction.Folder, a *junction.Asset, _ *junction.CredentialStoreConfig) bool {
				return a.ExternalName == "kv/rotated"
			}},
		{"UpdateCredentialStore", func() error { f.cstore.ReadOnly = true; return s.UpdateCredentialStore(ctx, f.cstore) },
			func(_ *junction.TokenPrincipal, _ *junction.Connection, _ *junction.Folder, _ *junction.Asset, cs *junction.CredentialStoreConfig) bool {
				return cs.ReadOnly
			}},
		{"InTx", func() error {
			return s.InTx(ctx, func(tx junction.Store) error {
				f.conn.Name = "in-a-transaction"
				return tx.UpdateConnection(ctx, f.conn)
			})
		},
			func(_ *junction.TokenPrincipal, c *junction.Connection, _ *junction.Folder, _ *junction.Asset, _ *junction.CredentialStoreConfig) bool {
				return c.Name == "in-a-transaction"
			}},
	}
	for _, tc := range cases {
		f.readAll(t, s) // fill the cache
		must(t, tc.write())
		if !tc.check(f.readAll(t, s)) {
			t.Errorf("%s: the next lookup still returned the value from before the write", tc.name)
		}
	}

	// Deletes: the next lookup finds nothing.
	f.readAll(t, s)
	must(t, s.DeleteConnection(ctx, tid, f.conn.ID))
	if _, _, err := s.GetConnectionWithFolder(ctx, tid, f.conn.ID); !junction.IsCode(err, junction.ENOTFOUND) {
		t.Errorf("after DeleteConnection: err = %v, want not found", err)
	}
	must(t, s.DeleteAsset(ctx, tid, f.asset.ID))
	if _, _, err := s.GetAssetWithStore(ctx, tid, f.asset.ID); !junction.IsCode(err, junction.ENOTFOUND) {
		t.Errorf("after DeleteAsset: err = %v, want not found", err)
	}
	must(t, s.DeleteUser(ctx, tid, f.user.ID))
	if _, err := s.GetTokenPrincipal(ctx, f.token.Hash); !junction.IsCode(err, junction.ENOTFOUND) {
		t.Errorf("after DeleteUser: err = %v, want not found", err)
	}
}

// A transaction that rolls back leaves nothing to see; one that commits
// is seen at once, including its writes to other tables through the
// transaction handed to the function.
func TestTransactionRollbackKeepsOldValue(t *testing.T) {
	db := sqldbtest.Open(t)
	s := storecache.New(db, storecache.Options{})
	f := newFixture(t, db)
	ctx := t.Context()
	f.readAll(t, s)
	err := s.InTx(ctx, func(tx junction.Store) error {
		f.conn.Name = "never"
		must(t, tx.UpdateConnection(ctx, f.conn))
		// Inside the transaction, lookups see its own writes.
		c, _, err := tx.GetConnectionWithFolder(ctx, f.tenant.ID, f.conn.ID)
		must(t, err)
		if c.Name != "never" {
			t.Errorf("inside the transaction: name %q, want its own write", c.Name)
		}
		return junction.Errorf(junction.ECONFLICT, "roll back")
	})
	if !junction.IsCode(err, junction.ECONFLICT) {
		t.Fatalf("InTx: %v", err)
	}
	_, c, _, _, _ := f.readAll(t, s)
	if c.Name != "api" {
		t.Fatalf("after a rollback: name %q, want the committed one", c.Name)
	}
}

// A token's last-used time is kept current in the cached principal, so
// that a request a minute later touches it once rather than on every
// request.
func TestTouchTokenUpdatesCachedPrincipal(t *testing.T) {
	db := sqldbtest.Open(t)
	s := storecache.New(db, storecache.Options{})
	f := newFixture(t, db)
	ctx := t.Context()
	f.readAll(t, s)
	at := epoch.Add(time.Hour)
	must(t, s.TouchToken(ctx, f.token.ID, at))
	p, _, _, _, _ := f.readAll(t, s)
	if p.Token.LastUsedAt == nil || !p.Token.LastUsedAt.Equal(at) {
		t.Fatalf("cached last-used time %v, want %v", p.Token.LastUsedAt, at)
	}
}

// Callers own what they get: changing it does not change the cache.
func TestResultsAreCopies(t *testing.T) {
	db := sqldbtest.Open(t)
	s := storecache.New(db, storecache.Options{})
	f := newFixture(t, db)
	for range 2 { // the first answer comes from the database, the second from memory
		p, c, fo, a, cs := f.readAll(t, s)
		p.User.Disabled = true
		p.Roles[p.Assignments[0].RoleID].Permissions[0] = junction.PermConnectionsDelete
		c.Fields["base_url"] = junction.FieldValue{Value: "https://evil.example"}
		fo.Path[0] = "elsewhere"
		a.ExternalName = "changed"
		cs.Config["address"] = "changed"
	}
	p, c, fo, a, cs := f.readAll(t, s)
	if p.User.Disabled || p.Roles[p.Assignments[0].RoleID].Permissions[0] == junction.PermConnectionsDelete ||
		c.Fields["base_url"].Value != "https://api.example.com" || fo.Path[0] != f.folder.ID ||
		a.ExternalName != "kv/api" || cs.Config["address"] != "https://vault.example.com" {
		t.Fatal("a caller's change to a returned object reached the cache")
	}
}

// Until the feed connects, and after it is lost, nothing is cached: every
// lookup reads the database.
func TestNoFeedNoCache(t *testing.T) {
	db := sqldbtest.Open(t)
	feed := &manualFeed{started: make(chan feedCalls, 1)}
	s := storecache.New(db, storecache.Options{Feed: feed})
	f := newFixture(t, db)
	ctx := t.Context()
	if s.Live() {
		t.Fatal("live before the feed connected")
	}
	f.readAll(t, s)
	f.conn.Name = "direct"
	must(t, db.UpdateConnection(ctx, f.conn))
	if _, c, _, _, _ := f.readAll(t, s); c.Name != "direct" {
		t.Fatal("without a connected feed a lookup was answered from memory")
	}

	var told []string
	s.OnChange(func(table string) { told = append(told, table) })
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(rctx) }()
	defer func() { cancel(); <-done }()
	calls := <-feed.started
	calls.changed("")
	f.readAll(t, s)
	f.conn.Name = "behind-the-back"
	must(t, db.UpdateConnection(ctx, f.conn))
	if _, c, _, _, _ := f.readAll(t, s); c.Name != "direct" {
		t.Fatal("with the feed connected, the second lookup should come from memory")
	}
	calls.changed("triggers") // only the triggers: the connection stays
	if _, c, _, _, _ := f.readAll(t, s); c.Name != "direct" {
		t.Fatal("a change to triggers dropped the cached connection")
	}
	calls.changed("custom_connectors") // a deletion: for the listeners only
	if _, c, _, _, _ := f.readAll(t, s); c.Name != "direct" {
		t.Fatal("a deleted custom connector dropped the cached connection")
	}
	calls.changed("connections") // another server's change arrives
	if _, c, _, _, _ := f.readAll(t, s); c.Name != "behind-the-back" {
		t.Fatal("a change from the feed did not drop the cache")
	}
	calls.lost()
	f.conn.Name = "while-lost"
	must(t, db.UpdateConnection(ctx, f.conn))
	if _, c, _, _, _ := f.readAll(t, s); c.Name != "while-lost" {
		t.Fatal("with the feed lost, a lookup was answered from memory")
	}
	if want := []string{"", "triggers", "custom_connectors", "connections", ""}; !slices.Equal(told, want) {
		t.Fatalf("listeners were told %q, want %q", told, want)
	}
	f.conn.Name = "still-lost"
	must(t, db.UpdateConnection(ctx, f.conn))
	if _, c, _, _, _ := f.readAll(t, s); c.Name != "still-lost" {
		t.Fatal("with the feed lost, an answer was cached")
	}
}

type feedCalls struct {
	changed func(table string)
	lost    func()
}

type manualFeed struct{ started chan feedCalls }

func (m *manualFeed) WatchChanges(ctx context.Context, changed func(string), lost func()) error {
	m.started <- feedCalls{changed, lost}
	<-ctx.Done()
	return ctx.Err()
}

// Two servers on one PostgreSQL database: a token revoked, a connection
// disabled or an asset changed on one is seen by the other as soon as the
// notification arrives, and also when the change bypasses Junction.
func TestPostgresFeedReachesOtherServers(t *testing.T) {
	dsn := sqldbtest.PostgresSchema(t)
	dbA := sqldbtest.MustOpen(t, dsn, sqldb.Options{})
	dbB := sqldbtest.MustOpen(t, dsn, sqldb.Options{})
	a := run(t, storecache.New(dbA, storecache.Options{Feed: dbA}))
	b := run(t, storecache.New(dbB, storecache.Options{Feed: dbB}))
	f := newFixture(t, a)
	ctx := t.Context()
	f.readAll(t, b)

	must(t, a.RevokeToken(ctx, f.tenant.ID, f.token.ID, epoch))
	eventually(t, "server B sees the revocation", func() bool {
		p, _, _, _, _ := f.readAll(t, b)
		return p.Token.RevokedAt != nil
	})

	// An operator's own SQL, outside any Junction process.
	if _, err := dbA.SQL().ExecContext(ctx, "UPDATE connections SET status = 'disabled' WHERE id = $1", f.conn.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "server B sees the change made with SQL", func() bool {
		_, c, _, _, _ := f.readAll(t, b)
		return c.Status == junction.ConnectionDisabled
	})

	// A trigger disabled on A stops being served enabled by B.
	tr := f.newTrigger(t, a)
	hash := tr.WebhookTokenHash
	// Read twice: a notification of the earlier changes still on its way
	// may drop the first answer.
	for range 2 {
		if got, err := b.GetTriggerByTokenHash(ctx, hash); err != nil || !got.Enabled {
			t.Fatalf("server B reads the new trigger: %v", err)
		}
	}
	tr.Enabled = false
	must(t, a.UpdateTrigger(ctx, tr))
	eventually(t, "server B sees the trigger disabled", func() bool {
		got, err := b.GetTriggerByTokenHash(ctx, hash)
		must(t, err)
		return !got.Enabled
	})

	// A token rotated away on A stops working on B.
	next := make([]byte, 32)
	_, _ = rand.Read(next)
	tr.WebhookTokenHash = next
	must(t, a.UpdateTrigger(ctx, tr))
	eventually(t, "server B drops the token rotated away", func() bool {
		_, err := b.GetTriggerByTokenHash(ctx, hash)
		return junction.IsCode(err, junction.ENOTFOUND)
	})
}

// eventually waits for an asynchronous notification to arrive.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Every Store method that may write is either overridden to invalidate or
// named here with the reason it cannot change a cached value. A method
// added to the Store fails this test until it is classified. Methods
// named Get, List or Count only read.
func TestEveryWriteIsClassified(t *testing.T) {
	unaffected := map[string]string{
		"LockConnection":               "reads; the caller's writes go through the overridden methods",
		"CreateTenant":                 "a new tenant is in no cached entry",
		"CreateFolder":                 "a new folder is in no cached entry",
		"CreateUser":                   "a new user is in no cached entry",
		"CreateRole":                   "a new role reaches a principal only through SetAssignments",
		"CreateToken":                  "unknown tokens are never cached",
		"CreateCredentialStore":        "a new store is in no cached entry",
		"CreateCredentialProxy":        "credential proxies are not cached",
		"UpdateCredentialProxy":        "credential proxies are not cached; the app touches the stores that go through one it changes",
		"DeleteCredentialProxy":        "credential proxies are not cached, and one a store names cannot be deleted",
		"CreateAsset":                  "a new asset is in no cached entry",
		"CreateConnection":             "a new connection is in no cached entry",
		"CreateOAuthState":             "OAuth states are not cached",
		"TakeOAuthState":               "OAuth states are not cached",
		"AppendAudit":                  "audit entries are not cached",
		"AppendExecution":              "execution records are not cached, and the inputs they keep are new sealed values",
		"AppendExecutions":             "execution records are not cached, and the inputs they keep are new sealed values",
		"AppendEvent":                  "events are not cached",
		"AppendTriggerRecord":          "trigger history is not cached",
		"TallyTriggerRecord":           "trigger history is not cached",
		"CreateTrigger":                "a new trigger's webhook token is in no cached entry",
		"CreateTriggerEvent":           "trigger events are not cached",
		"MarkTriggerEventProcessed":    "trigger events are not cached",
		"DeleteProcessedTriggerEvents": "trigger events are not cached",
		"PutPollState":                 "poll state is not cached",
		"PollSlots":                    "poll scheduling is not cached",
		"ClaimPollSlot":                "poll state is not cached",
		"ClaimPollSlots":               "poll state is not cached",
		"PollStates":                   "poll state is not cached",
		"PutClaimedPollState":          "poll state is not cached",
		"ReleasePollSlot":              "poll state and trigger events are not cached",
		"CreateJob":                    "jobs are not cached",
		"ClaimJob":                     "jobs are not cached",
		"CompleteJob":                  "jobs are not cached",
		"FailJob":                      "jobs are not cached",
		"SetJobStatus":                 "jobs are not cached",
		"RetryJob":                     "jobs are not cached",
		"CancelJob":                    "jobs are not cached",
		"DeleteJob":                    "jobs are not cached",
		"CreateCustomConnector":        "custom connectors are not cached here",
		"UpdateCustomConnector":        "custom connectors are not cached here",
		"DeleteCustomConnector":        "custom connectors are not cached here",
		"CreateConnectorVersion":       "published versions never change; connector.Library keeps them",

		"SetPasswordHash":      "a cached user holds no password hash",
		"CreateSession":        "sessions are not cached",
		"TouchSession":         "sessions are not cached",
		"DeleteSession":        "sessions are not cached",
		"DeleteUserSessions":   "sessions are not cached",
		"DeleteSessionsBefore": "sessions are not cached",
		"CreateSetupToken":     "setup tokens are not cached",
		"TakeSetupToken":       "setup tokens are not cached",

		"MarkEventDispatched":        "events are not cached",
		"CreateNotification":         "notifications are not cached",
		"MarkNotificationRead":       "notifications are not cached",
		"MarkAllNotificationsRead":   "notifications are not cached",
		"MarkEmailed":                "notifications are not cached",
		"LastEmailedAt":              "a read: notifications are not cached",
		"SetNotificationPreferences": "preferences are not cached",
		"PutTenantSettings":          "tenant settings are not cached",
		"PruneExecutions":            "executions are not cached",
		"PruneTriggerRecords":        "trigger history is not cached",
		"PruneAudit":                 "audit entries are not cached",
		"PruneJobs":                  "jobs are not cached",
		"PruneNotifications":         "notifications are not cached",
		"AddUsage":                   "usage is not cached",
		"SumUsage":                   "a read: usage is not cached",
		"PutQuotas":                  "quotas are not cached here; usage.Meter holds them and reads them again every flush",
		"ClaimQuotaThreshold":        "thresholds are not cached",
		"ClaimStoreHealthReport":     "health reports are not cached",
	}
	storeT := reflect.TypeOf((*junction.Store)(nil)).Elem()
	cacheT := reflect.TypeOf((*storecache.Store)(nil))
	for i := range storeT.NumMethod() {
		name := storeT.Method(i).Name
		if strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List") || strings.HasPrefix(name, "Count") {
			continue
		}
		m, _ := cacheT.MethodByName(name)
		// A method promoted from the embedded Store is a compiler-made
		// wrapper; one written in this package has a source file.
		file, _ := runtime.FuncForPC(m.Func.Pointer()).FileLine(m.Func.Pointer())
		overridden := file != "<autogenerated>"
		_, listed := unaffected[name]
		switch {
		case overridden && listed:
			t.Errorf("Store.%s is both overridden and listed as unaffected", name)
		case !overridden && !listed:
			t.Errorf("Store.%s may write, but storecache neither invalidates on it nor says why it need not", name)
		}
	}
}

// A sealed value replaced under the same ID (new literal secrets, a
// refreshed OAuth token) is read again at once; until then it is served
// from memory.
func TestSealedValueReplacedInPlace(t *testing.T) {
	db := sqldbtest.Open(t)
	s := storecache.New(db, storecache.Options{})
	f := newFixture(t, db)
	ctx := t.Context()
	sv := &junction.SealedValue{ID: junction.NewID(), TenantID: f.tenant.ID, KeyID: "k1", WrappedKey: []byte("w1"),
		Nonce: []byte("n1"), Ciphertext: []byte("c1"), CreatedAt: epoch, UpdatedAt: epoch}
	must(t, s.PutSealed(ctx, sv))
	read := func() string {
		t.Helper()
		got, err := s.GetSealed(ctx, f.tenant.ID, sv.ID)
		must(t, err)
		return string(got.Ciphertext)
	}
	read()
	sv.Ciphertext = []byte("behind-the-back")
	must(t, db.PutSealed(ctx, sv))
	if got := read(); got != "c1" {
		t.Fatalf("second read %q, want it from memory", got)
	}
	sv.Ciphertext = []byte("c2")
	must(t, s.PutSealed(ctx, sv))
	if got := read(); got != "c2" {
		t.Fatalf("after PutSealed: %q, want the new value", got)
	}
	must(t, s.DeleteSealed(ctx, f.tenant.ID, sv.ID))
	if _, err := s.GetSealed(ctx, f.tenant.ID, sv.ID); !junction.IsCode(err, junction.ENOTFOUND) {
		t.Fatalf("after DeleteSealed: %v, want not found", err)
	}
}
