// Package storetest is the conformance suite for junction.Store: every
// backend runs Run against a fresh, real database and must pass all of it,
// so the application can rely on the contract rather than on one backend.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"junction"
)

// Open returns an empty, migrated Store for one test. The suite calls it
// once per subtest, from parallel tests, and the backend closes the store
// when the test ends.
type Open func(t *testing.T) junction.Store

// Run exercises every Store method. Subtests are named after the object and
// then the case (OK, ErrNotFound, ErrConflict, ...).
func Run(t *testing.T, open func(t *testing.T) junction.Store) {
	t.Run("Tenant", func(t *testing.T) { t.Parallel(); testTenants(t, open) })
	t.Run("Folder", func(t *testing.T) { t.Parallel(); testFolders(t, open) })
	t.Run("User", func(t *testing.T) { t.Parallel(); testUsers(t, open) })
	t.Run("Role", func(t *testing.T) { t.Parallel(); testRoles(t, open) })
	t.Run("Assignment", func(t *testing.T) { t.Parallel(); testAssignments(t, open) })
	t.Run("Token", func(t *testing.T) { t.Parallel(); testTokens(t, open) })
	t.Run("Login", func(t *testing.T) { t.Parallel(); testLogins(t, open) })
	t.Run("SetupToken", func(t *testing.T) { t.Parallel(); testSetupTokens(t, open) })
	t.Run("Audit", func(t *testing.T) { t.Parallel(); testAudit(t, open) })
	t.Run("Sealed", func(t *testing.T) { t.Parallel(); testSealed(t, open) })
	t.Run("CredentialStore", func(t *testing.T) { t.Parallel(); testCredentialStores(t, open) })
	t.Run("CredentialProxy", func(t *testing.T) { t.Parallel(); testCredentialProxies(t, open) })
	t.Run("Asset", func(t *testing.T) { t.Parallel(); testAssets(t, open) })
	t.Run("Connection", func(t *testing.T) { t.Parallel(); testConnections(t, open) })
	t.Run("OAuthState", func(t *testing.T) { t.Parallel(); testOAuthStates(t, open) })
	t.Run("Execution", func(t *testing.T) { t.Parallel(); testExecutions(t, open) })
	t.Run("ExecutionCount", func(t *testing.T) { t.Parallel(); testExecutionCounts(t, open) })
	t.Run("ExecutionSearch", func(t *testing.T) { t.Parallel(); testExecutionSearch(t, open) })
	t.Run("ExecutionMessage", func(t *testing.T) { t.Parallel(); testExecutionMessage(t, open) })
	t.Run("Event", func(t *testing.T) { t.Parallel(); testEvents(t, open) })
	t.Run("Trigger", func(t *testing.T) { t.Parallel(); testTriggers(t, open) })
	t.Run("TriggerWebhookSecret", func(t *testing.T) { t.Parallel(); testTriggerWebhookSecret(t, open) })
	t.Run("CustomConnector", func(t *testing.T) { t.Parallel(); testCustomConnectors(t, open) })

	t.Run("Notification", func(t *testing.T) { t.Parallel(); testNotifications(t, open) })
	t.Run("Retention", func(t *testing.T) { t.Parallel(); testRetention(t, open) })
	t.Run("Usage", func(t *testing.T) { t.Parallel(); testUsage(t, open) })
	t.Run("Debug", func(t *testing.T) { t.Parallel(); testDebug(t, open) })
	t.Run("Tx", func(t *testing.T) { t.Parallel(); testTx(t, open) })
	t.Run("Concurrent", func(t *testing.T) { t.Parallel(); testConcurrent(t, open) })
}

// base is a fixed, microsecond-exact time so values read back compare equal.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

func ctxFor(t *testing.T) context.Context { return t.Context() }

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := junction.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustTenant(t *testing.T, s junction.Store, name string) *junction.Tenant {
	t.Helper()
	tn := &junction.Tenant{ID: junction.NewID(), Name: name, CreatedAt: base}
	must(t, s.CreateTenant(ctxFor(t), tn))
	return tn
}

// mustFolder creates a folder under parent (nil for top level).
func mustFolder(t *testing.T, s junction.Store, tenantID string, parent *junction.Folder, name string) *junction.Folder {
	t.Helper()
	f := &junction.Folder{ID: junction.NewID(), TenantID: tenantID, Name: name, CreatedAt: base, UpdatedAt: base}
	if parent != nil {
		f.ParentID = parent.ID
		f.Path = append(slices.Clone(parent.Path), f.ID)
	} else {
		f.Path = []string{f.ID}
	}
	must(t, s.CreateFolder(ctxFor(t), f))
	return f
}

func mustUser(t *testing.T, s junction.Store, tenantID, name string) *junction.User {
	t.Helper()
	u := &junction.User{ID: junction.NewID(), TenantID: tenantID, Name: name, DisplayName: "User " + name,
		Email: name + "@example.com", CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateUser(ctxFor(t), u))
	return u
}

func mustRole(t *testing.T, s junction.Store, tenantID, name string, perms ...junction.Permission) *junction.Role {
	t.Helper()
	if perms == nil {
		perms = []junction.Permission{junction.PermAssetsView}
	}
	r := &junction.Role{ID: junction.NewID(), TenantID: tenantID, Name: name, Description: "role " + name,
		Permissions: perms, CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateRole(ctxFor(t), r))
	return r
}

func randomHash() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	h := sha256.Sum256(b)
	return h[:]
}

func mustToken(t *testing.T, s junction.Store, u *junction.User, name string) *junction.Token {
	t.Helper()
	tok := &junction.Token{ID: junction.NewID(), TenantID: u.TenantID, UserID: u.ID, Name: name,
		Hash: randomHash(), CreatedAt: base}
	must(t, s.CreateToken(ctxFor(t), tok))
	return tok
}

func mustCredStore(t *testing.T, s junction.Store, tenantID, name string) *junction.CredentialStoreConfig {
	t.Helper()
	cs := &junction.CredentialStoreConfig{ID: junction.NewID(), TenantID: tenantID, Name: name, Type: "hashicorp-vault",
		Config:    map[string]string{"address": "https://vault.example.com:8200", "mount": "secret"},
		CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateCredentialStore(ctxFor(t), cs))
	return cs
}

func mustAsset(t *testing.T, s junction.Store, f *junction.Folder, name string, store *junction.CredentialStoreConfig) *junction.Asset {
	t.Helper()
	a := &junction.Asset{ID: junction.NewID(), TenantID: f.TenantID, FolderID: f.ID, Name: name, Type: junction.AssetText,
		Value: "v-" + name, CreatedAt: base, UpdatedAt: base}
	if store != nil {
		a.Type, a.Value, a.StoreID, a.ExternalName = junction.AssetCredential, "", store.ID, "apps/"+name
	}
	must(t, s.CreateAsset(ctxFor(t), a))
	return a
}

// ids returns the IDs of objects, in order.
func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func folderIDs(fs []*junction.Folder) []string {
	return ids(fs, func(f *junction.Folder) string { return f.ID })
}

// sorted returns a sorted copy: lists are ordered by ID.
func sorted(s ...string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// newestFirst sorts IDs from NewID, which grow with time, newest first.
func newestFirst(s ...string) []string {
	out := sorted(s...)
	slices.Reverse(out)
	return out
}

func wantIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func wantEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func wantBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s = %x, want %x", what, got, want)
	}
}

// testPaging checks that pages of size 2 walk all of want in order and that
// limits are capped; list lists with a page.
func testPaging(t *testing.T, want []string, list func(p junction.Page) []string) {
	t.Helper()
	var got []string
	after := ""
	for range len(want) + 1 {
		page := list(junction.Page{Limit: 2, After: after})
		if len(page) > 2 {
			t.Fatalf("page of limit 2 has %d items", len(page))
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1]
	}
	wantIDs(t, "paged IDs", got, want)
	wantIDs(t, "default page", list(junction.Page{}), want)
	wantIDs(t, "huge page", list(junction.Page{Limit: junction.MaxPageSize * 10}), want)
	if len(want) > 0 {
		wantIDs(t, "after last", list(junction.Page{After: want[len(want)-1]}), nil)
	}
}
